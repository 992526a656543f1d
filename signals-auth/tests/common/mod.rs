//! Shared by the flow suite (`tests/suite/*.rs`), which runs on every
//! store: a recorder of every signal, receivers that fail or panic on
//! demand, and helpers that read the store through its own transactions.
//!
//! A test binary instantiates the suite for one store by defining, at its
//! root, `type TestStore` (a [`Store`] that implements [`Inspect`]) and
//! `async fn new_store() -> TestStore` (a fresh, empty store), then
//! `mod common;` and `common::flow_suite!();`. See `tests/memory.rs`.
//!
//! The recorder's receivers are static, so they see the sends of every test
//! in the binary, which run in parallel threads; each test tags its
//! requests with its own `X-Request-Id` and reads back only its events.

#![allow(dead_code)] // each suite file uses a different part

/// One `mod` per suite file, each `include!`d into the calling test binary
/// (an `include!` path is read from the file that calls this macro, so the
/// paths are relative to `tests/`). The binary defines `TestStore` and
/// `new_store` first.
macro_rules! flow_suite {
    () => {
        mod account_flows {
            include!("suite/account_flows.rs");
        }

        mod social_flows {
            include!("suite/social_flows.rs");
        }

        mod trust {
            include!("suite/trust.rs");
        }
    };
}
pub(crate) use flow_suite;

use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};

use http::{HeaderValue, Method};
use signals_auth::account::{
    EmailAdded, EmailChanged, EmailConfirmationSent, EmailConfirmed, EmailRemoved, PasswordChanged,
    PasswordReset, PasswordSet, UserLoggedIn, UserLoggedOut, UserSignedUp,
};
use signals_auth::flows::{Accounts, Settings, SignupForm, SignupOutcome};
use signals_auth::memory::MemoryMailer;
use signals_auth::socialaccount::{
    PreSocialLogin, SocialAccountAdded, SocialAccountRemoved, SocialAccountUpdated,
};
use signals_auth::{
    AuthUser, EmailAddress, RequestContext, SocialAccount, SocialLogin, SocialToken, Store,
    Transaction,
};
use signals_core::receiver;

/// What the suite needs to see in a store beyond the [`Store`] trait.
pub trait Inspect: Store {
    /// Everything the store holds, comparable field by field (secrets by
    /// value), printable without secrets.
    type Snapshot: PartialEq + Debug;

    /// The store's whole content now.
    fn snapshot(&self) -> impl Future<Output = Self::Snapshot>;
    /// How many users there are.
    fn user_count(&self) -> impl Future<Output = usize>;
    /// How many sessions are open.
    fn session_count(&self) -> impl Future<Output = usize>;
}

pub type TestAccounts = Accounts<crate::TestStore, MemoryMailer>;
pub type User = <crate::TestStore as Store>::User;

static EVENTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// A request tagged with the test's id.
pub fn request(id: &str) -> RequestContext {
    RequestContext::new(Method::POST, "/accounts/".parse().unwrap()).with_header(
        "x-request-id".parse().unwrap(),
        HeaderValue::from_str(id).unwrap(),
    )
}

/// A request whose receivers of `signal` (the signal's Rust name, such as
/// `"UserSignedUp"`) return `Err`, or panic when `panic` is set.
pub fn failing(id: &str, signal: &str, panic: bool) -> RequestContext {
    let header = if panic { "x-test-panic" } else { "x-test-fail" };
    request(id).with_header(
        header.parse().unwrap(),
        HeaderValue::from_str(signal).unwrap(),
    )
}

/// Flows over a fresh store of the binary's kind.
pub async fn accounts(settings: Settings) -> TestAccounts {
    Accounts::new(crate::new_store().await, MemoryMailer::new(), settings)
}

/// Signs up `email` with password "pw" and returns the user; clears the
/// events it caused.
pub async fn signed_up(accounts: &TestAccounts, id: &str, email: &str) -> Arc<User> {
    let outcome = accounts
        .signup(&request(id), SignupForm::new(email).password("pw"))
        .await
        .unwrap();
    let user = match outcome {
        SignupOutcome::LoggedIn(login) => login.user,
        SignupOutcome::VerificationRequired { pending_login } => {
            find_user(accounts, &pending_login.user_id)
                .await
                .expect("the new user")
        }
    };
    events(id);
    user
}

/// A user by id, read in a transaction of its own.
pub async fn find_user(accounts: &TestAccounts, id: &str) -> Option<Arc<User>> {
    let mut tx = accounts.store().begin().await.unwrap();
    let user = tx.user(id).await.unwrap();
    tx.rollback().await.unwrap();
    user
}

/// A user's addresses, the primary first.
pub async fn addresses(accounts: &TestAccounts, user_id: &str) -> Vec<EmailAddress> {
    let mut tx = accounts.store().begin().await.unwrap();
    let addresses = tx.email_addresses(user_id).await.unwrap();
    tx.rollback().await.unwrap();
    addresses
}

/// An address, whoever has it.
pub async fn address(accounts: &TestAccounts, email: &str) -> Option<EmailAddress> {
    let mut tx = accounts.store().begin().await.unwrap();
    let address = tx.email_address(email).await.unwrap();
    tx.rollback().await.unwrap();
    address
}

/// A stored social account and its token.
pub async fn stored_social(
    accounts: &TestAccounts,
    provider: &str,
    uid: &str,
) -> (Option<SocialAccount>, Option<SocialToken>) {
    let mut tx = accounts.store().begin().await.unwrap();
    let account = tx.social_account(provider, uid).await.unwrap();
    let token = tx.social_token(provider, uid).await.unwrap();
    tx.rollback().await.unwrap();
    (account, token)
}

/// The store's snapshot.
pub async fn snapshot(accounts: &TestAccounts) -> <crate::TestStore as Inspect>::Snapshot {
    Inspect::snapshot(accounts.store()).await
}

/// How many users the store has.
pub async fn user_count(accounts: &TestAccounts) -> usize {
    Inspect::user_count(accounts.store()).await
}

/// How many sessions the store has.
pub async fn session_count(accounts: &TestAccounts) -> usize {
    Inspect::session_count(accounts.store()).await
}

/// The events recorded for requests tagged `id`, in send order; clears them.
pub fn events(id: &str) -> Vec<String> {
    let mut all = EVENTS.lock().unwrap();
    let mut mine = Vec::new();
    all.retain(|(request, event)| {
        if request == id {
            mine.push(event.clone());
            false
        } else {
            true
        }
    });
    mine
}

/// Runs a future, catching a panic that unwinds out of it (a receiver's
/// panic goes through `send_async` and the flow, as an exception through
/// Django's `send`); the future is dropped either way.
pub async fn catch_panic<F: Future>(future: F) -> Result<F::Output, String> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(value)) => std::task::Poll::Ready(Ok(value)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Err(payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default())),
        }
    })
    .await
}

/// Fails or panics if the request asks this signal to.
fn sabotage(request: &RequestContext, signal: &str) -> Result<(), std::io::Error> {
    if request.header("x-test-panic") == Some(signal) {
        panic!("{signal} receiver panicked on purpose");
    }
    if request.header("x-test-fail") == Some(signal) {
        return Err(std::io::Error::other(format!("{signal} receiver failed")));
    }
    Ok(())
}

macro_rules! saboteurs {
    ($($signal:ident => $name:ident),* $(,)?) => {$(
        #[receiver(signal = $signal, order = 1000)]
        fn $name(s: &$signal) -> Result<(), std::io::Error> {
            sabotage(s.request, stringify!($signal))
        }
    )*};
}

saboteurs! {
    UserLoggedIn => fail_logged_in,
    UserLoggedOut => fail_logged_out,
    UserSignedUp => fail_signed_up,
    PasswordSet => fail_password_set,
    PasswordChanged => fail_password_changed,
    PasswordReset => fail_password_reset,
    EmailConfirmed => fail_email_confirmed,
    EmailConfirmationSent => fail_confirmation_sent,
    EmailChanged => fail_email_changed,
    EmailAdded => fail_email_added,
    EmailRemoved => fail_email_removed,
    PreSocialLogin => fail_pre_social_login,
    SocialAccountAdded => fail_social_account_added,
    SocialAccountUpdated => fail_social_account_updated,
    SocialAccountRemoved => fail_social_account_removed,
}

fn record(request: &RequestContext, event: String) {
    let id = request.request_id().unwrap_or("").to_owned();
    EVENTS.lock().unwrap().push((id, event));
}

fn user(user: &Arc<dyn AuthUser>) -> String {
    user.id()
}

fn social(login: Option<&SocialLogin>) -> String {
    login.map_or_else(|| "-".to_owned(), |login| login.provider().to_owned())
}

fn account(login: &SocialLogin) -> String {
    let user = login
        .user()
        .map_or_else(|| "None".to_owned(), |user| user.id());
    format!(
        "{}/{}, user={user}",
        login.account.provider, login.account.uid
    )
}

#[receiver(signal = UserLoggedIn, order = -1000)]
fn on_logged_in(s: &UserLoggedIn) {
    record(
        s.request,
        format!(
            "user_logged_in(user={}, social={})",
            user(&s.user),
            social(s.sociallogin)
        ),
    );
}

#[receiver(signal = UserLoggedOut, order = -1000)]
fn on_logged_out(s: &UserLoggedOut) {
    let who = s.user.as_ref().map_or_else(|| "None".to_owned(), user);
    record(s.request, format!("user_logged_out(user={who})"));
}

#[receiver(signal = UserSignedUp, order = -1000)]
fn on_signed_up(s: &UserSignedUp) {
    record(
        s.request,
        format!(
            "user_signed_up(user={}, social={})",
            user(&s.user),
            social(s.sociallogin)
        ),
    );
}

#[receiver(signal = PasswordSet, order = -1000)]
fn on_password_set(s: &PasswordSet) {
    record(s.request, format!("password_set(user={})", user(&s.user)));
}

#[receiver(signal = PasswordChanged, order = -1000)]
fn on_password_changed(s: &PasswordChanged) {
    record(
        s.request,
        format!("password_changed(user={})", user(&s.user)),
    );
}

#[receiver(signal = PasswordReset, order = -1000)]
fn on_password_reset(s: &PasswordReset) {
    record(s.request, format!("password_reset(user={})", user(&s.user)));
}

#[receiver(signal = EmailConfirmed, order = -1000)]
fn on_email_confirmed(s: &EmailConfirmed) {
    let address = s.email_address;
    assert!(
        address.verified,
        "email_confirmed carries a verified address"
    );
    record(s.request, format!("email_confirmed({})", address.email));
}

#[receiver(signal = EmailConfirmationSent, order = -1000)]
fn on_confirmation_sent(s: &EmailConfirmationSent) {
    assert!(s.confirmation.sent.is_some());
    record(
        s.request,
        format!(
            "email_confirmation_sent(signup={}, to={})",
            s.signup, s.confirmation.email_address.email
        ),
    );
}

#[receiver(signal = EmailChanged, order = -1000)]
fn on_email_changed(s: &EmailChanged) {
    let from = s
        .from_email_address
        .map_or("None", |address| address.email.as_str());
    record(
        s.request,
        format!(
            "email_changed(user={}, from={from}, to={})",
            user(&s.user),
            s.to_email_address.email
        ),
    );
}

#[receiver(signal = EmailAdded, order = -1000)]
fn on_email_added(s: &EmailAdded) {
    record(
        s.request,
        format!(
            "email_added(user={}, {})",
            user(&s.user),
            s.email_address.email
        ),
    );
}

#[receiver(signal = EmailRemoved, order = -1000)]
fn on_email_removed(s: &EmailRemoved) {
    record(
        s.request,
        format!(
            "email_removed(user={}, {})",
            user(&s.user),
            s.email_address.email
        ),
    );
}

#[receiver(signal = PreSocialLogin, order = -1000)]
fn on_pre_social_login(s: &PreSocialLogin) {
    record(
        s.request,
        format!("pre_social_login({})", account(s.sociallogin)),
    );
}

#[receiver(signal = SocialAccountAdded, order = -1000)]
fn on_social_account_added(s: &SocialAccountAdded) {
    record(
        s.request,
        format!("social_account_added({})", account(s.sociallogin)),
    );
}

#[receiver(signal = SocialAccountUpdated, order = -1000)]
fn on_social_account_updated(s: &SocialAccountUpdated) {
    record(
        s.request,
        format!("social_account_updated({})", account(s.sociallogin)),
    );
}

#[receiver(signal = SocialAccountRemoved, order = -1000)]
fn on_social_account_removed(s: &SocialAccountRemoved) {
    let account = s.socialaccount;
    record(
        s.request,
        format!(
            "social_account_removed({}/{})",
            account.provider, account.uid
        ),
    );
}
