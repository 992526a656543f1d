//! Shared by the flow tests: a recorder of every signal, and helpers.
//!
//! The recorder's receivers are static, so they see the sends of every test
//! in the binary, which run in parallel threads; each test tags its
//! requests with its own `X-Request-Id` and reads back only its events.

#![allow(dead_code)] // each test binary uses a different part

use std::sync::{Arc, Mutex};

use http::{HeaderValue, Method};
use signals_auth::account::{
    EmailAdded, EmailChanged, EmailConfirmationSent, EmailConfirmed, EmailRemoved, PasswordChanged,
    PasswordReset, PasswordSet, UserLoggedIn, UserLoggedOut, UserSignedUp,
};
use signals_auth::flows::{Accounts, Settings, SignupForm, SignupOutcome};
use signals_auth::memory::{BasicUser, MemoryMailer, MemoryStore};
use signals_auth::socialaccount::{
    PreSocialLogin, SocialAccountAdded, SocialAccountRemoved, SocialAccountUpdated,
};
use signals_auth::{AuthUser, RequestContext, SocialLogin};
use signals_core::receiver;

pub type TestAccounts = Accounts<MemoryStore, MemoryMailer>;

static EVENTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// A request tagged with the test's id.
pub fn request(id: &str) -> RequestContext {
    RequestContext::new(Method::POST, "/accounts/".parse().unwrap()).with_header(
        "x-request-id".parse().unwrap(),
        HeaderValue::from_str(id).unwrap(),
    )
}

/// Flows over a fresh in-memory store.
pub fn accounts(settings: Settings) -> TestAccounts {
    Accounts::new(MemoryStore::new(), MemoryMailer::new(), settings)
}

/// The events recorded for requests tagged `id`, in send order; clears them.
/// Signs up `email` with password "pw" and returns the user; clears the
/// events it caused.
pub async fn signed_up(accounts: &TestAccounts, id: &str, email: &str) -> Arc<BasicUser> {
    let user = match accounts
        .signup(&request(id), SignupForm::new(email).password("pw"))
        .await
        .unwrap()
    {
        SignupOutcome::LoggedIn(login) => login.user,
        SignupOutcome::VerificationRequired { user, .. } => user,
    };
    events(id);
    user
}

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
