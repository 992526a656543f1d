//! The eleven signals of allauth's `account` app: logins, sign-ups,
//! passwords and email addresses.
//!
//! All are `#[signal(async)]`: receivers may be plain or `async fn`, and the
//! flows send them with `send_async().await`, stopping at the first receiver
//! that fails (allauth always uses `send`, never `send_robust`). Every signal
//! carries the [`RequestContext`] it was sent for.
//!
//! Each signal's page says when the [flows](crate::flows) send it and what
//! follows; the order within each flow is listed in the [crate
//! documentation](crate#order-within-a-flow).

use std::sync::Arc;

use signals_core::signal;

use crate::models::{EmailAddress, EmailConfirmation, SocialLogin};
use crate::request::{RequestContext, ResponseContext};
use crate::user::AuthUser;

/// Sent right after a user logged in (allauth's `user_logged_in`).
///
/// **When:** at the end of every successful login: a password login, the
/// login that ends a sign-up (unless verification is mandatory), a login
/// resumed by an email confirmation, a login on password reset (if
/// enabled), and a social login (then `sociallogin` is set). The session
/// already exists.
///
/// **What follows:** nothing; it is the last signal of its flow. A receiver
/// may add headers to the login response through `response` (a cookie, for
/// example). Receivers should be idempotent: allauth itself sends a second,
/// Django-level "logged in" on every login.
///
/// ```
/// use signals_auth::account::UserLoggedIn;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, ResponseContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = UserLoggedIn)]
/// fn mark_device(event: &UserLoggedIn) {
///     let via = event.sociallogin.map_or("password", |login| login.provider());
///     let value = format!("last-login-via={via}; HttpOnly").parse().unwrap();
///     event.response.append_header(http::header::SET_COOKIE, value);
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/login/".parse().unwrap());
/// # let response = ResponseContext::new();
/// # let user = Arc::new(BasicUser::new("1"));
/// UserLoggedIn { request: &request, response: &response, user, sociallogin: None }
///     .send_blocking()
///     .unwrap();
/// assert_eq!(response.headers()["set-cookie"], "last-login-via=password; HttpOnly");
/// ```
#[signal(name = "allauth.account.user_logged_in", async)]
#[derive(Debug)]
pub struct UserLoggedIn<'a> {
    /// The login request.
    pub request: &'a RequestContext,
    /// Headers to add to the login response.
    pub response: &'a ResponseContext,
    /// The user who logged in.
    pub user: Arc<dyn AuthUser>,
    /// The social login, when the user logged in through a provider.
    pub sociallogin: Option<&'a SocialLogin>,
}

/// Sent when a logged-in user logs out, before the session is deleted
/// (Django's `user_logged_out`).
///
/// **When:** on logout of an authenticated session, and on a password
/// change when the site logs out on password change (then
/// [`PasswordChanged`] follows). The flows only log out an authenticated
/// user, so `user` is `Some` from them; it is optional because Django also
/// sends it for an anonymous session.
///
/// **What follows:** the session is deleted; nothing else is sent.
///
/// ```
/// use signals_auth::account::UserLoggedOut;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = UserLoggedOut)]
/// async fn revoke_device_tokens(event: &UserLoggedOut<'_>) -> Result<(), std::io::Error> {
///     if let Some(user) = &event.user {
///         println!("revoking the device tokens of user {}", user.id());
///     }
///     Ok(())
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/logout/".parse().unwrap());
/// let user: Arc<dyn signals_auth::AuthUser> = Arc::new(BasicUser::new("1"));
/// UserLoggedOut { request: &request, user: Some(user) }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.account.user_logged_out", async)]
#[derive(Debug)]
pub struct UserLoggedOut<'a> {
    /// The logout request.
    pub request: &'a RequestContext,
    /// The user who was logged in; `None` if nobody was.
    pub user: Option<Arc<dyn AuthUser>>,
}

/// Sent when a user signed up, before they are logged in (allauth's
/// `user_signed_up`).
///
/// **When:** once per new user, after the user and their address are
/// saved: by a local sign-up, and by a social login that creates a user
/// (then `sociallogin` is set).
///
/// **What follows:** [`EmailConfirmationSent`] (`signup: true`) if the
/// address is unverified and verification is optional or mandatory; then
/// [`UserLoggedIn`], unless verification is mandatory and the address is
/// unverified.
///
/// ```
/// use signals_auth::account::UserSignedUp;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = UserSignedUp)]
/// async fn welcome(event: &UserSignedUp<'_>) -> Result<(), std::io::Error> {
///     let member = event.user.downcast_ref::<BasicUser>().expect("our user type");
///     println!("welcome, {}", member.username.as_deref().unwrap_or("new member"));
///     Ok(())
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/signup/".parse().unwrap());
/// let user = Arc::new(BasicUser::new("1").with_username("alice"));
/// UserSignedUp { request: &request, user, sociallogin: None }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.account.user_signed_up", async)]
#[derive(Debug)]
pub struct UserSignedUp<'a> {
    /// The sign-up request.
    pub request: &'a RequestContext,
    /// The new user.
    pub user: Arc<dyn AuthUser>,
    /// The social login, when the user signed up through a provider.
    pub sociallogin: Option<&'a SocialLogin>,
}

/// Sent when a user who had no usable password set one (allauth's
/// `password_set`).
///
/// **When:** after the password is saved, for a user who signed up without
/// one (typically through a provider). A user who already had a password
/// gets [`PasswordChanged`] instead.
///
/// **What follows:** nothing.
///
/// ```
/// use signals_auth::account::PasswordSet;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = PasswordSet)]
/// fn note_password_set(event: &PasswordSet) {
///     println!("user {} can now log in with a password", event.user.id());
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/password/set/".parse().unwrap());
/// PasswordSet { request: &request, user: Arc::new(BasicUser::new("1")) }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.account.password_set", async)]
#[derive(Debug)]
pub struct PasswordSet<'a> {
    /// The request that set the password.
    pub request: &'a RequestContext,
    /// The user.
    pub user: Arc<dyn AuthUser>,
}

/// Sent when a user changed their password (allauth's `password_changed`).
///
/// **When:** after the new password is saved. If the site logs out on
/// password change, [`UserLoggedOut`] comes first. A user without a usable
/// password gets [`PasswordSet`] instead.
///
/// **What follows:** nothing.
///
/// ```
/// use signals_auth::account::PasswordChanged;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = PasswordChanged)]
/// fn security_notice(event: &PasswordChanged) {
///     println!("password of user {} changed from {:?}", event.user.id(), event.request.client_addr());
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/password/change/".parse().unwrap());
/// PasswordChanged { request: &request, user: Arc::new(BasicUser::new("1")) }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.account.password_changed", async)]
#[derive(Debug)]
pub struct PasswordChanged<'a> {
    /// The request that changed the password.
    pub request: &'a RequestContext,
    /// The user.
    pub user: Arc<dyn AuthUser>,
}

/// Sent when a user reset a forgotten password with a reset key
/// (allauth's `password_reset`).
///
/// **When:** after the new password is saved and the key is used up, before
/// the "your password was reset" notification mail.
///
/// **What follows:** the notification mail; then [`UserLoggedIn`] if the
/// site logs in on password reset.
///
/// ```
/// use signals_auth::account::PasswordReset;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = PasswordReset)]
/// fn end_other_sessions(event: &PasswordReset) {
///     println!("ending the other sessions of user {}", event.user.id());
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/password/reset/key/".parse().unwrap());
/// PasswordReset { request: &request, user: Arc::new(BasicUser::new("1")) }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.account.password_reset", async)]
#[derive(Debug)]
pub struct PasswordReset<'a> {
    /// The request that reset the password.
    pub request: &'a RequestContext,
    /// The user.
    pub user: Arc<dyn AuthUser>,
}

/// Sent when an address was confirmed (allauth's `email_confirmed`).
///
/// **When:** after the address is saved as verified, by the confirmation
/// flow. [`EmailAdded`] comes first if the address was not stored yet (an
/// email change that only stores the address once it is verified).
///
/// **What follows:** [`EmailChanged`] if the address became the user's
/// primary; then [`UserLoggedIn`] if the confirmation resumes the login of
/// a sign-up that waited for it.
///
/// ```
/// use signals_auth::account::EmailConfirmed;
/// use signals_core::receiver;
/// # use signals_auth::{EmailAddress, RequestContext};
///
/// #[receiver(signal = EmailConfirmed)]
/// fn unlock_features(event: &EmailConfirmed) {
///     assert!(event.email_address.verified);
///     println!("user {} confirmed {}", event.email_address.user_id, event.email_address.email);
/// }
///
/// # let request = RequestContext::new(http::Method::GET, "/accounts/confirm-email/".parse().unwrap());
/// let address = EmailAddress::new("1", "alice@example.com").verified(true);
/// EmailConfirmed { request: &request, email_address: &address }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.account.email_confirmed", async)]
#[derive(Debug)]
pub struct EmailConfirmed<'a> {
    /// The confirmation request.
    pub request: &'a RequestContext,
    /// The address, now verified.
    pub email_address: &'a EmailAddress,
}

/// Sent right after a confirmation mail went out (allauth's
/// `email_confirmation_sent`).
///
/// **When:** on sign-up with an unverified address when verification is
/// optional or mandatory (`signup: true`); when an address is added or an
/// email change is requested, when a confirmation is re-sent, and on a
/// password login that mandatory verification blocks (`signup: false`).
/// Never for an address that belongs to no user: the mail that goes there
/// says so, and no signal tells anyone (enumeration prevention).
///
/// **What follows:** [`UserLoggedIn`] on a sign-up with optional
/// verification; [`EmailAdded`] when an address is added; nothing
/// otherwise. The `confirmation`'s key is a secret: `Debug` redacts it.
///
/// ```
/// use signals_auth::account::EmailConfirmationSent;
/// use signals_core::receiver;
/// # use signals_auth::{EmailAddress, EmailConfirmation, RequestContext, Secret};
/// # use std::time::SystemTime;
///
/// #[receiver(signal = EmailConfirmationSent)]
/// fn count_confirmations(event: &EmailConfirmationSent) {
///     let kind = if event.signup { "sign-up" } else { "address" };
///     println!("{kind} confirmation sent to {}", event.confirmation.email_address.email);
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/signup/".parse().unwrap());
/// let confirmation = EmailConfirmation {
///     email_address: EmailAddress::new("1", "alice@example.com"),
///     created: SystemTime::now(),
///     sent: Some(SystemTime::now()),
///     key: Secret::from("k3y"),
/// };
/// EmailConfirmationSent { request: &request, confirmation: &confirmation, signup: true }
///     .send_blocking()
///     .unwrap();
/// ```
#[signal(name = "allauth.account.email_confirmation_sent", async)]
#[derive(Debug)]
pub struct EmailConfirmationSent<'a> {
    /// The request that sent the confirmation.
    pub request: &'a RequestContext,
    /// The confirmation that was sent.
    pub confirmation: &'a EmailConfirmation,
    /// True when it was sent as part of a sign-up.
    pub signup: bool,
}

/// Sent when a user's primary address changed (allauth's `email_changed`).
///
/// **When:** after a user marked an address primary (`from_email_address`
/// is the previous primary, or `None` if there was none), and after a
/// confirmation made an address the new primary.
///
/// **What follows:** nothing (within a confirmation, a resumed login's
/// [`UserLoggedIn`]).
///
/// ```
/// use signals_auth::account::EmailChanged;
/// use signals_core::receiver;
/// # use signals_auth::{EmailAddress, RequestContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = EmailChanged)]
/// async fn sync_newsletter(event: &EmailChanged<'_>) -> Result<(), std::io::Error> {
///     let from = event.from_email_address.map(|address| address.email.as_str());
///     println!("newsletter: {from:?} -> {}", event.to_email_address.email);
///     Ok(())
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/email/".parse().unwrap());
/// let old = EmailAddress::new("1", "old@example.com").verified(true);
/// let new = EmailAddress::new("1", "new@example.com").verified(true).primary(true);
/// EmailChanged {
///     request: &request,
///     user: Arc::new(BasicUser::new("1")),
///     from_email_address: Some(&old),
///     to_email_address: &new,
/// }
/// .send_blocking()
/// .unwrap();
/// ```
#[signal(name = "allauth.account.email_changed", async)]
#[derive(Debug)]
pub struct EmailChanged<'a> {
    /// The request that changed the address.
    pub request: &'a RequestContext,
    /// The user.
    pub user: Arc<dyn AuthUser>,
    /// The previous primary address, if there was one.
    pub from_email_address: Option<&'a EmailAddress>,
    /// The new primary address.
    pub to_email_address: &'a EmailAddress,
}

/// Sent when a user added an address (allauth's `email_added`).
///
/// **When:** after the address is saved: when a user adds one (after its
/// [`EmailConfirmationSent`]), or when confirming an address that was not
/// stored yet (before [`EmailConfirmed`]).
///
/// **What follows:** nothing when adding; [`EmailConfirmed`] when
/// confirming.
///
/// ```
/// use signals_auth::account::EmailAdded;
/// use signals_core::receiver;
/// # use signals_auth::{EmailAddress, RequestContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = EmailAdded)]
/// fn log_added(event: &EmailAdded) {
///     println!("user {} added {}", event.user.id(), event.email_address.email);
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/email/".parse().unwrap());
/// let address = EmailAddress::new("1", "work@example.com");
/// EmailAdded { request: &request, user: Arc::new(BasicUser::new("1")), email_address: &address }
///     .send_blocking()
///     .unwrap();
/// ```
#[signal(name = "allauth.account.email_added", async)]
#[derive(Debug)]
pub struct EmailAdded<'a> {
    /// The request that added the address.
    pub request: &'a RequestContext,
    /// The user.
    pub user: Arc<dyn AuthUser>,
    /// The address, as saved.
    pub email_address: &'a EmailAddress,
}

/// Sent when a user removed an address (allauth's `email_removed`).
///
/// **When:** after the address is deleted. The primary address cannot be
/// removed.
///
/// **What follows:** nothing.
///
/// ```
/// use signals_auth::account::EmailRemoved;
/// use signals_core::receiver;
/// # use signals_auth::{EmailAddress, RequestContext, memory::BasicUser};
/// # use std::sync::Arc;
///
/// #[receiver(signal = EmailRemoved)]
/// fn unsubscribe(event: &EmailRemoved) {
///     println!("unsubscribing {}", event.email_address.email);
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/email/".parse().unwrap());
/// let address = EmailAddress::new("1", "old@example.com");
/// EmailRemoved { request: &request, user: Arc::new(BasicUser::new("1")), email_address: &address }
///     .send_blocking()
///     .unwrap();
/// ```
#[signal(name = "allauth.account.email_removed", async)]
#[derive(Debug)]
pub struct EmailRemoved<'a> {
    /// The request that removed the address.
    pub request: &'a RequestContext,
    /// The user.
    pub user: Arc<dyn AuthUser>,
    /// The address that was deleted.
    pub email_address: &'a EmailAddress,
}
