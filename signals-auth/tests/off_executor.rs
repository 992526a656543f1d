//! With the `tokio` feature, argon2 leaves the executor: on a multi-thread
//! runtime with a single worker, another task keeps running while a sign-up
//! hashes its password and while a login verifies one (without the feature
//! the only worker is busy hashing and the other task stands still).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use signals_auth::flows::{Accounts, Credentials, LoginOutcome, Settings, SignupForm};
use signals_auth::http::Method;
use signals_auth::memory::{MemoryMailer, MemoryStore};
use signals_auth::RequestContext;

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn other_tasks_run_while_a_password_is_hashed() {
    let accounts = Arc::new(Accounts::new(
        MemoryStore::new(),
        MemoryMailer::new(),
        Settings::new(),
    ));
    let ticks = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // A task that counts every time the worker lets it run.
    let ticker = tokio::spawn({
        let (ticks, stop) = (ticks.clone(), stop.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                ticks.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }
    });
    // The flows run as a task on the single worker, as a server's would.
    let during = tokio::spawn({
        let (accounts, ticks) = (accounts.clone(), ticks.clone());
        async move {
            let request = RequestContext::new(Method::POST, "/accounts/".parse().unwrap());
            let before = ticks.load(Ordering::Relaxed);
            let form = SignupForm::new("ada@example.com").password("correct horse");
            accounts.signup(&request, form).await.unwrap();
            let after_signup = ticks.load(Ordering::Relaxed);
            let credentials = Credentials::new("ada@example.com", "correct horse");
            let login = accounts.login(&request, credentials).await.unwrap();
            assert!(matches!(login, LoginOutcome::LoggedIn(_)));
            let after_login = ticks.load(Ordering::Relaxed);
            (after_signup - before, after_login - after_signup)
        }
    })
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    ticker.await.unwrap();
    assert!(
        during.0 > 0 && during.1 > 0,
        "the other task stood still while argon2 ran (ticks during sign-up, login: {during:?})"
    );
}
