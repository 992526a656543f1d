//! Every signal accepts a plain and an async `#[receiver]` from another
//! crate (an integration test is one), and sends reach both.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use signals_auth::account::{
    EmailAdded, EmailChanged, EmailConfirmationSent, EmailConfirmed, EmailRemoved, PasswordChanged,
    PasswordReset, PasswordSet, UserLoggedIn, UserLoggedOut, UserSignedUp,
};
use signals_auth::memory::BasicUser;
use signals_auth::socialaccount::{
    PreSocialLogin, SocialAccountAdded, SocialAccountRemoved, SocialAccountUpdated,
};
use signals_auth::{
    AuthUser, EmailAddress, EmailConfirmation, RequestContext, ResponseContext, Secret,
    SocialAccount, SocialLogin,
};
use signals_core::{receiver, Signal};

/// One counter per receiver: [signal index][0 = sync, 1 = async].
static CALLS: [[AtomicUsize; 2]; 15] =
    [const { [const { AtomicUsize::new(0) }, const { AtomicUsize::new(0) }] }; 15];

fn hit(signal: usize, kind: usize) {
    CALLS[signal][kind].fetch_add(1, Ordering::SeqCst);
}

/// Yields once, so the async receivers really suspend.
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}

// Written out by hand: a `macro_rules!` that writes `#[receiver]` with the
// signal or the function name as a metavariable does not compile yet (the
// generated locals `__signals_event` / `__signals_param` lose hygiene).
#[receiver(signal = UserLoggedIn)]
fn logged_in_sync(_event: &UserLoggedIn) {
    hit(0, 0);
}

#[receiver(signal = UserLoggedIn)]
async fn logged_in_async(_event: &UserLoggedIn<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(0, 1);
    Ok(())
}

#[receiver(signal = UserLoggedOut)]
fn logged_out_sync(_event: &UserLoggedOut) {
    hit(1, 0);
}

#[receiver(signal = UserLoggedOut)]
async fn logged_out_async(_event: &UserLoggedOut<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(1, 1);
    Ok(())
}

#[receiver(signal = UserSignedUp)]
fn signed_up_sync(_event: &UserSignedUp) {
    hit(2, 0);
}

#[receiver(signal = UserSignedUp)]
async fn signed_up_async(_event: &UserSignedUp<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(2, 1);
    Ok(())
}

#[receiver(signal = PasswordSet)]
fn password_set_sync(_event: &PasswordSet) {
    hit(3, 0);
}

#[receiver(signal = PasswordSet)]
async fn password_set_async(_event: &PasswordSet<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(3, 1);
    Ok(())
}

#[receiver(signal = PasswordReset)]
fn password_reset_sync(_event: &PasswordReset) {
    hit(5, 0);
}

#[receiver(signal = PasswordReset)]
async fn password_reset_async(_event: &PasswordReset<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(5, 1);
    Ok(())
}

#[receiver(signal = EmailChanged)]
fn email_changed_sync(_event: &EmailChanged) {
    hit(8, 0);
}

#[receiver(signal = EmailChanged)]
async fn email_changed_async(_event: &EmailChanged<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(8, 1);
    Ok(())
}

#[receiver(signal = EmailAdded)]
fn email_added_sync(_event: &EmailAdded) {
    hit(9, 0);
}

#[receiver(signal = EmailAdded)]
async fn email_added_async(_event: &EmailAdded<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(9, 1);
    Ok(())
}

#[receiver(signal = EmailRemoved)]
fn email_removed_sync(_event: &EmailRemoved) {
    hit(10, 0);
}

#[receiver(signal = EmailRemoved)]
async fn email_removed_async(_event: &EmailRemoved<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(10, 1);
    Ok(())
}

#[receiver(signal = PasswordChanged)]
fn password_changed_sync(_event: &PasswordChanged) {
    hit(4, 0);
}

#[receiver(signal = PasswordChanged)]
async fn password_changed_async(_event: &PasswordChanged<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(4, 1);
    Ok(())
}

#[receiver(signal = EmailConfirmed)]
fn email_confirmed_sync(_event: &EmailConfirmed) {
    hit(6, 0);
}

#[receiver(signal = EmailConfirmed)]
async fn email_confirmed_async(_event: &EmailConfirmed<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(6, 1);
    Ok(())
}

#[receiver(signal = EmailConfirmationSent)]
fn confirmation_sent_sync(_event: &EmailConfirmationSent) {
    hit(7, 0);
}

#[receiver(signal = EmailConfirmationSent)]
async fn confirmation_sent_async(_event: &EmailConfirmationSent<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(7, 1);
    Ok(())
}

#[receiver(signal = PreSocialLogin)]
fn pre_social_login_sync(_event: &PreSocialLogin) {
    hit(11, 0);
}

#[receiver(signal = PreSocialLogin)]
async fn pre_social_login_async(_event: &PreSocialLogin<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(11, 1);
    Ok(())
}

#[receiver(signal = SocialAccountAdded)]
fn account_added_sync(_event: &SocialAccountAdded) {
    hit(12, 0);
}

#[receiver(signal = SocialAccountAdded)]
async fn account_added_async(_event: &SocialAccountAdded<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(12, 1);
    Ok(())
}

#[receiver(signal = SocialAccountUpdated)]
fn account_updated_sync(_event: &SocialAccountUpdated) {
    hit(13, 0);
}

#[receiver(signal = SocialAccountUpdated)]
async fn account_updated_async(_event: &SocialAccountUpdated<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(13, 1);
    Ok(())
}

#[receiver(signal = SocialAccountRemoved)]
fn account_removed_sync(_event: &SocialAccountRemoved) {
    hit(14, 0);
}

#[receiver(signal = SocialAccountRemoved)]
async fn account_removed_async(_event: &SocialAccountRemoved<'_>) -> Result<(), std::io::Error> {
    yield_now().await;
    hit(14, 1);
    Ok(())
}

/// Both receivers are registered, one of them async, and the name is
/// allauth's.
fn registered<S: Signal>(name: &str) {
    assert_eq!(S::NAME, name);
    let receivers = S::receivers();
    assert_eq!(receivers.len(), 2, "{name}: {receivers:?}");
    assert_eq!(
        receivers.iter().filter(|r| r.is_async()).count(),
        1,
        "{name}"
    );
}

#[tokio::test]
async fn every_signal_takes_a_plain_and_an_async_receiver_from_another_crate() {
    registered::<UserLoggedIn>("allauth.account.user_logged_in");
    registered::<UserLoggedOut>("allauth.account.user_logged_out");
    registered::<UserSignedUp>("allauth.account.user_signed_up");
    registered::<PasswordSet>("allauth.account.password_set");
    registered::<PasswordChanged>("allauth.account.password_changed");
    registered::<PasswordReset>("allauth.account.password_reset");
    registered::<EmailConfirmed>("allauth.account.email_confirmed");
    registered::<EmailConfirmationSent>("allauth.account.email_confirmation_sent");
    registered::<EmailChanged>("allauth.account.email_changed");
    registered::<EmailAdded>("allauth.account.email_added");
    registered::<EmailRemoved>("allauth.account.email_removed");
    registered::<PreSocialLogin>("allauth.socialaccount.pre_social_login");
    registered::<SocialAccountAdded>("allauth.socialaccount.social_account_added");
    registered::<SocialAccountUpdated>("allauth.socialaccount.social_account_updated");
    registered::<SocialAccountRemoved>("allauth.socialaccount.social_account_removed");

    let request = RequestContext::new(http::Method::POST, "/".parse().unwrap());
    let response = ResponseContext::new();
    let user = || -> Arc<dyn AuthUser> { Arc::new(BasicUser::new("1")) };
    let address = EmailAddress::new("1", "a@example.com");
    let confirmation = EmailConfirmation {
        email_address: address.clone(),
        created: SystemTime::now(),
        sent: None,
        key: Secret::from("k"),
    };
    let login = SocialLogin::new(SocialAccount::new("github", "1"));
    let account = SocialAccount::new("github", "1");

    UserLoggedIn {
        request: &request,
        response: &response,
        user: user(),
        sociallogin: None,
    }
    .send_async()
    .await
    .unwrap();
    UserLoggedOut {
        request: &request,
        user: None,
    }
    .send_async()
    .await
    .unwrap();
    UserSignedUp {
        request: &request,
        user: user(),
        sociallogin: Some(&login),
    }
    .send_async()
    .await
    .unwrap();
    PasswordSet {
        request: &request,
        user: user(),
    }
    .send_async()
    .await
    .unwrap();
    PasswordChanged {
        request: &request,
        user: user(),
    }
    .send_async()
    .await
    .unwrap();
    PasswordReset {
        request: &request,
        user: user(),
    }
    .send_async()
    .await
    .unwrap();
    EmailConfirmed {
        request: &request,
        email_address: &address,
    }
    .send_async()
    .await
    .unwrap();
    EmailConfirmationSent {
        request: &request,
        confirmation: &confirmation,
        signup: false,
    }
    .send_async()
    .await
    .unwrap();
    EmailChanged {
        request: &request,
        user: user(),
        from_email_address: None,
        to_email_address: &address,
    }
    .send_async()
    .await
    .unwrap();
    EmailAdded {
        request: &request,
        user: user(),
        email_address: &address,
    }
    .send_async()
    .await
    .unwrap();
    EmailRemoved {
        request: &request,
        user: user(),
        email_address: &address,
    }
    .send_async()
    .await
    .unwrap();
    PreSocialLogin {
        request: &request,
        sociallogin: &login,
    }
    .send_async()
    .await
    .unwrap();
    SocialAccountAdded {
        request: &request,
        sociallogin: &login,
    }
    .send_async()
    .await
    .unwrap();
    SocialAccountUpdated {
        request: &request,
        sociallogin: &login,
    }
    .send_async()
    .await
    .unwrap();
    SocialAccountRemoved {
        request: &request,
        socialaccount: &account,
    }
    .send_async()
    .await
    .unwrap();

    for (index, calls) in CALLS.iter().enumerate() {
        assert_eq!(
            calls[0].load(Ordering::SeqCst),
            1,
            "sync receiver of signal {index}"
        );
        assert_eq!(
            calls[1].load(Ordering::SeqCst),
            1,
            "async receiver of signal {index}"
        );
    }
}

/// The sends of the flows are `Send` futures: a server can spawn them.
#[test]
fn flow_futures_are_send() {
    fn assert_send<F: std::future::Future + Send>(_: F) {}
    let accounts = signals_auth::flows::Accounts::new(
        signals_auth::memory::MemoryStore::new(),
        signals_auth::memory::MemoryMailer::new(),
        signals_auth::flows::Settings::new(),
    );
    let request = RequestContext::new(http::Method::POST, "/".parse().unwrap());
    assert_send(accounts.signup(
        &request,
        signals_auth::flows::SignupForm::new("a@example.com"),
    ));
    assert_send(accounts.social_login(
        &request,
        SocialLogin::new(SocialAccount::new("github", "1")),
    ));
    assert_send(accounts.logout(&request));
}
