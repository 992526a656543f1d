//! Reference flows: allauth's account and social flows over a [`Store`]
//! and a [`Mailer`], sending the signals in allauth's order.
//!
//! [`Accounts`] holds the store, the mailer and the [`Settings`]; each flow
//! is an async method. The order of the signals within each flow is listed
//! in the [crate documentation](crate#order-within-a-flow) and tested in
//! `tests/`.
//!
//! Receivers run inside the flows: a receiver's `Err` stops the flow and
//! comes back as [`FlowError::Receiver`] (allauth sends with `send`, so an
//! exception in a receiver propagates the same way). The one typed
//! exception is a [`PreSocialLogin`](crate::socialaccount::PreSocialLogin)
//! receiver's [`ImmediateResponse`], which is an outcome, not an error.

mod account;
pub use account::{Credentials, SignupForm};
mod social;

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use signals_core::{BoxError, SendError};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::mail::Mail;
use crate::mail::Mailer;
use crate::secret::Secret;
use crate::socialaccount::ImmediateResponse;
use crate::store::{Conflict, Store, StoreError, Transaction};
use crate::user::AuthUser;

/// Whether users must verify their address (allauth's
/// `ACCOUNT_EMAIL_VERIFICATION`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum EmailVerification {
    /// No confirmation mail on sign-up; the user logs in at once.
    None,
    /// A confirmation mail on sign-up; the user logs in at once.
    #[default]
    Optional,
    /// A confirmation mail on sign-up; no login until the address is
    /// verified.
    Mandatory,
}

/// What the flows do, after allauth's settings of the same names.
///
/// ```
/// use signals_auth::flows::{EmailVerification, Settings};
///
/// let settings = Settings::new()
///     .email_verification(EmailVerification::Mandatory)
///     .login_on_password_reset(true);
/// assert!(!settings.login_on_email_confirmation);
/// assert!(settings.prevent_enumeration);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[non_exhaustive]
pub struct Settings {
    /// `ACCOUNT_EMAIL_VERIFICATION`; default optional.
    pub email_verification: EmailVerification,
    /// `ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION`: a confirmation resumes the
    /// login its sign-up deferred; default false, as allauth's.
    pub login_on_email_confirmation: bool,
    /// `ACCOUNT_LOGIN_ON_PASSWORD_RESET`; default false.
    pub login_on_password_reset: bool,
    /// `ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE`: a password change (or a first
    /// password set) also ends the request's own session, with
    /// `UserLoggedOut`; default false. The user's other sessions end on
    /// every change either way, as Django's session hash makes them.
    pub logout_on_password_change: bool,
    /// `ACCOUNT_PREVENT_ENUMERATION`: with mandatory verification, a
    /// sign-up, address change or added address for an address that has an
    /// account answers as if it worked and mails the address's owner
    /// instead; default true. Without mandatory verification
    /// [`FlowError::EmailInUse`] stays, as in allauth.
    pub prevent_enumeration: bool,
    /// `ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN`: a confirmation mail for an
    /// address is not re-sent (on login or on request) within this long of
    /// the last one; default 180 seconds.
    pub email_confirmation_cooldown: Duration,
    /// `SOCIALACCOUNT_EMAIL_AUTHENTICATION`: a social login whose account is
    /// new but whose provider-verified address belongs to a local user logs
    /// that user in (wiping their password if the address was not verified
    /// locally); default false.
    pub social_email_authentication: bool,
    /// `SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT`: such a login also
    /// connects the account to the user, with `SocialAccountAdded`; default
    /// false.
    pub social_email_authentication_auto_connect: bool,
    /// How long confirmation and reset keys stay valid; default three days
    /// (`ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS`).
    pub key_expiry: Duration,
}

impl Settings {
    /// allauth's defaults.
    pub fn new() -> Self {
        Settings::default()
    }

    /// Sets [`email_verification`](Self::email_verification).
    pub fn email_verification(mut self, value: EmailVerification) -> Self {
        self.email_verification = value;
        self
    }

    /// Sets [`login_on_email_confirmation`](Self::login_on_email_confirmation).
    pub fn login_on_email_confirmation(mut self, value: bool) -> Self {
        self.login_on_email_confirmation = value;
        self
    }

    /// Sets [`login_on_password_reset`](Self::login_on_password_reset).
    pub fn login_on_password_reset(mut self, value: bool) -> Self {
        self.login_on_password_reset = value;
        self
    }

    /// Sets [`logout_on_password_change`](Self::logout_on_password_change).
    pub fn logout_on_password_change(mut self, value: bool) -> Self {
        self.logout_on_password_change = value;
        self
    }

    /// Sets [`key_expiry`](Self::key_expiry).
    pub fn key_expiry(mut self, value: Duration) -> Self {
        self.key_expiry = value;
        self
    }

    /// Sets [`prevent_enumeration`](Self::prevent_enumeration).
    pub fn prevent_enumeration(mut self, value: bool) -> Self {
        self.prevent_enumeration = value;
        self
    }

    /// Sets [`email_confirmation_cooldown`](Self::email_confirmation_cooldown).
    pub fn email_confirmation_cooldown(mut self, value: Duration) -> Self {
        self.email_confirmation_cooldown = value;
        self
    }

    /// Sets [`social_email_authentication`](Self::social_email_authentication).
    pub fn social_email_authentication(mut self, value: bool) -> Self {
        self.social_email_authentication = value;
        self
    }

    /// Sets [`social_email_authentication_auto_connect`](Self::social_email_authentication_auto_connect).
    pub fn social_email_authentication_auto_connect(mut self, value: bool) -> Self {
        self.social_email_authentication_auto_connect = value;
        self
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            email_verification: EmailVerification::Optional,
            login_on_email_confirmation: false,
            login_on_password_reset: false,
            logout_on_password_change: false,
            key_expiry: Duration::from_secs(3 * 24 * 60 * 60),
            prevent_enumeration: true,
            email_confirmation_cooldown: Duration::from_secs(180),
            social_email_authentication: false,
            social_email_authentication_auto_connect: false,
        }
    }
}

/// The flows, over a store and a mailer.
///
/// ```
/// use signals_auth::flows::{Accounts, Settings, SignupForm, SignupOutcome};
/// use signals_auth::memory::{MemoryMailer, MemoryStore};
/// use signals_auth::RequestContext;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let accounts = Accounts::new(MemoryStore::new(), MemoryMailer::new(), Settings::new());
/// let request = RequestContext::new(http::Method::POST, "/accounts/signup/".parse().unwrap());
/// let outcome = accounts
///     .signup(&request, SignupForm::new("alice@example.com").password("correct horse"))
///     .await
///     .unwrap();
/// // Verification is optional by default: the user is logged in at once,
/// // and a confirmation mail went out.
/// assert!(matches!(outcome, SignupOutcome::LoggedIn(_)));
/// assert!(accounts.mailer().last_key_for("alice@example.com").is_some());
/// # });
/// ```
#[derive(Debug)]
pub struct Accounts<S, M> {
    store: S,
    mailer: M,
    settings: Settings,
}

impl<S: Store, M: Mailer> Accounts<S, M> {
    /// Flows over a store and a mailer.
    pub fn new(store: S, mailer: M, settings: Settings) -> Self {
        Accounts {
            store,
            mailer,
            settings,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The mailer.
    pub fn mailer(&self) -> &M {
        &self.mailer
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// A user who just logged in: the session to set in the response's cookie,
/// and the headers the `UserLoggedIn` receivers added.
pub struct LoggedIn<U> {
    /// The user.
    pub user: Arc<U>,
    /// The new session's key.
    pub session_key: Secret<String>,
    /// Headers `UserLoggedIn` receivers added to the response.
    pub response_headers: HeaderMap,
}

impl<U: AuthUser> fmt::Debug for LoggedIn<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggedIn")
            .field("user", &ShowUser(&self.user))
            .field("session_key", &self.session_key)
            .field(
                "response_headers",
                &crate::request::RedactedHeaders(&self.response_headers),
            )
            .finish()
    }
}

/// A login that waits for an address to be verified: keep it in the
/// (anonymous) session and hand it to
/// [`confirm_email`](Accounts::confirm_email), which then logs the user in
/// if [`Settings::login_on_email_confirmation`] is set (allauth stashes it
/// in the session the same way).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct PendingLogin {
    /// The user waiting to log in.
    pub user_id: String,
    /// The address being verified.
    pub email: String,
    /// The provider account (provider, uid) of a social login that waits:
    /// the resumed `UserLoggedIn` carries its `sociallogin` again.
    #[cfg_attr(feature = "serde", serde(default))]
    pub social_account: Option<(String, String)>,
}

/// How a sign-up ended.
pub enum SignupOutcome<U> {
    /// The user is logged in (verification none or optional).
    LoggedIn(LoggedIn<U>),
    /// Verification is mandatory: a confirmation mail went out and the
    /// login waits for it.
    ///
    /// With [`Settings::prevent_enumeration`], a sign-up for an address
    /// that has an account ends here too, with no user created and a mail
    /// to the owner instead: the answer must not tell the two apart, so it
    /// carries no user (the [`PendingLogin`] of such a sign-up never
    /// resumes).
    VerificationRequired {
        /// The login to resume on confirmation.
        pending_login: PendingLogin,
    },
}

/// How a password login ended.
pub enum LoginOutcome<U> {
    /// The user is logged in.
    LoggedIn(LoggedIn<U>),
    /// Verification is mandatory and the user has no verified address: a
    /// confirmation mail went out instead.
    VerificationRequired {
        /// The user.
        user: Arc<U>,
        /// The login to resume on confirmation.
        pending_login: PendingLogin,
    },
}

/// How an email confirmation ended.
pub enum ConfirmOutcome<U> {
    /// The address is verified.
    Confirmed(crate::EmailAddress),
    /// The address is verified and the sign-up's deferred login resumed.
    LoggedIn(crate::EmailAddress, LoggedIn<U>),
}

/// How a password reset ended.
pub enum ResetOutcome<U> {
    /// The password is reset; the user logs in themselves.
    Reset(Arc<U>),
    /// The password is reset and the user is logged in
    /// ([`Settings::login_on_password_reset`]).
    LoggedIn(LoggedIn<U>),
}

/// How a social login ended.
pub enum SocialLoginOutcome<U> {
    /// The account was already connected: its owner is logged in.
    LoggedIn(LoggedIn<U>),
    /// A `PreSocialLogin` receiver attached the new account to an existing
    /// user: it is connected, and that user is logged in.
    Attached(LoggedIn<U>),
    /// The account is new: a user was created and logged in.
    SignedUp(LoggedIn<U>),
    /// The account is new and a user was created, but verification is
    /// mandatory and the provider did not verify the address.
    VerificationRequired {
        /// The new user.
        user: Arc<U>,
        /// The login to resume on confirmation.
        pending_login: PendingLogin,
    },
    /// A `PreSocialLogin` receiver stopped the login: send this response.
    Aborted(ImmediateResponse),
    /// The login was a re-authentication ([`Process::Redirect`](crate::Process::Redirect)):
    /// nobody is logged in or signed up; go back to `next`.
    Redirect {
        /// The account's owner, if the account is connected.
        user: Option<Arc<U>>,
        /// Where to go: the state's `next`, or `/`.
        next: String,
    },
}

/// How a social connect ended.
#[derive(Debug)]
pub enum ConnectOutcome {
    /// The account is now connected to the user.
    Connected(crate::SocialAccount),
    /// The account was already connected to the user; its data was updated.
    Updated(crate::SocialAccount),
    /// A `PreSocialLogin` receiver stopped the connect: send this response.
    Aborted(ImmediateResponse),
}

/// Why a flow failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FlowError {
    /// No user has this login and password (the message does not say
    /// which was wrong).
    InvalidCredentials,
    /// The confirmation or reset key is unknown, used or expired.
    InvalidKey,
    /// The address belongs to a user already.
    EmailInUse,
    /// The username is taken.
    UsernameInUse,
    /// The address is not one of the user's.
    UnknownEmail,
    /// An unverified address cannot become primary while the user has a
    /// verified primary.
    UnverifiedEmail,
    /// The primary address cannot be removed.
    PrimaryEmail,
    /// The current password given for a change is wrong.
    WrongPassword,
    /// The user already has a usable password: change it instead.
    PasswordAlreadySet,
    /// The provider account is connected to another user.
    AccountInUse,
    /// The provider account is not connected to this user.
    UnknownAccount,
    /// The address is not one the flows accept (the reason says why);
    /// nothing was stored or mailed.
    InvalidEmail(&'static str),
    /// The username is not one the flows accept (the reason says why);
    /// nothing was stored.
    InvalidUsername(&'static str),
    /// The user is inactive ([`AuthUser::is_active`]) and cannot log in.
    InactiveUser,
    /// Disconnecting the account would leave the user no way to log in.
    LastLoginMethod,
    /// A record points at a user the store does not have (or a
    /// `PreSocialLogin` receiver attached one it does not know).
    UnknownUser(String),
    /// The store failed.
    Store(StoreError),
    /// The mailer failed.
    Mail(BoxError),
    /// A receiver returned an error; the flow stopped there.
    Receiver(SendError),
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::InvalidCredentials => f.write_str("the login or the password is wrong"),
            FlowError::InvalidKey => f.write_str("the key is unknown, used or expired"),
            FlowError::EmailInUse => f.write_str("the address belongs to another account"),
            FlowError::UsernameInUse => f.write_str("the username is taken"),
            FlowError::UnknownEmail => f.write_str("the address is not one of the user's"),
            FlowError::UnverifiedEmail => {
                f.write_str("an unverified address cannot replace a verified primary address")
            }
            FlowError::PrimaryEmail => f.write_str("the primary address cannot be removed"),
            FlowError::WrongPassword => f.write_str("the current password is wrong"),
            FlowError::PasswordAlreadySet => {
                f.write_str("the user already has a password; change it instead")
            }
            FlowError::AccountInUse => f.write_str("the account is connected to another user"),
            FlowError::UnknownAccount => f.write_str("the account is not connected to this user"),
            FlowError::InvalidEmail(reason) => write!(f, "invalid address: {reason}"),
            FlowError::InvalidUsername(reason) => write!(f, "invalid username: {reason}"),
            FlowError::InactiveUser => f.write_str("the account is inactive"),
            FlowError::LastLoginMethod => {
                f.write_str("the user would have no way left to log in; set a password first")
            }
            FlowError::UnknownUser(id) => write!(f, "no user with id {id:?}"),
            FlowError::Store(error) => fmt::Display::fmt(error, f),
            FlowError::Mail(error) => write!(f, "the mail could not be sent: {error}"),
            FlowError::Receiver(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl Error for FlowError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            FlowError::Store(error) => Some(error),
            FlowError::Mail(error) => Some(&**error),
            FlowError::Receiver(error) => Some(error),
            _ => None,
        }
    }
}

/// A store's uniqueness [`Conflict`] becomes the flow error it means.
impl From<StoreError> for FlowError {
    fn from(error: StoreError) -> Self {
        match error.as_conflict() {
            Some(Conflict::Email) => FlowError::EmailInUse,
            Some(Conflict::Username) => FlowError::UsernameInUse,
            Some(Conflict::SocialAccount) => FlowError::AccountInUse,
            Some(Conflict::KeyUsed) => FlowError::InvalidKey,
            _ => FlowError::Store(error),
        }
    }
}

impl From<SendError> for FlowError {
    fn from(error: SendError) -> Self {
        FlowError::Receiver(error)
    }
}

/// Prints a user the way signals do: by id only, whatever the user type's
/// own `Debug` would show.
struct ShowUser<'a, U>(&'a Arc<U>);

impl<U: AuthUser> fmt::Debug for ShowUser<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthUser")
            .field("id", &self.0.id())
            .finish()
    }
}

/// The `VerificationRequired` variant that three outcomes share, printed
/// with the user by id only.
fn verification_required<U: AuthUser>(
    f: &mut fmt::Formatter<'_>,
    user: &Arc<U>,
    pending_login: &PendingLogin,
) -> fmt::Result {
    f.debug_struct("VerificationRequired")
        .field("user", &ShowUser(user))
        .field("pending_login", pending_login)
        .finish()
}

impl<U: AuthUser> fmt::Debug for SignupOutcome<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignupOutcome::LoggedIn(login) => f.debug_tuple("LoggedIn").field(login).finish(),
            SignupOutcome::VerificationRequired { pending_login } => f
                .debug_struct("VerificationRequired")
                .field("pending_login", pending_login)
                .finish(),
        }
    }
}

impl<U: AuthUser> fmt::Debug for LoginOutcome<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginOutcome::LoggedIn(login) => f.debug_tuple("LoggedIn").field(login).finish(),
            LoginOutcome::VerificationRequired {
                user,
                pending_login,
            } => verification_required(f, user, pending_login),
        }
    }
}

impl<U: AuthUser> fmt::Debug for ConfirmOutcome<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfirmOutcome::Confirmed(address) => {
                f.debug_tuple("Confirmed").field(address).finish()
            }
            ConfirmOutcome::LoggedIn(address, login) => f
                .debug_tuple("LoggedIn")
                .field(address)
                .field(login)
                .finish(),
        }
    }
}

impl<U: AuthUser> fmt::Debug for ResetOutcome<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResetOutcome::Reset(user) => f.debug_tuple("Reset").field(&ShowUser(user)).finish(),
            ResetOutcome::LoggedIn(login) => f.debug_tuple("LoggedIn").field(login).finish(),
        }
    }
}

impl<U: AuthUser> fmt::Debug for SocialLoginOutcome<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocialLoginOutcome::LoggedIn(login) => f.debug_tuple("LoggedIn").field(login).finish(),
            SocialLoginOutcome::Attached(login) => f.debug_tuple("Attached").field(login).finish(),
            SocialLoginOutcome::SignedUp(login) => f.debug_tuple("SignedUp").field(login).finish(),
            SocialLoginOutcome::VerificationRequired {
                user,
                pending_login,
            } => verification_required(f, user, pending_login),
            SocialLoginOutcome::Aborted(response) => {
                f.debug_tuple("Aborted").field(response).finish()
            }
            SocialLoginOutcome::Redirect { user, next } => f
                .debug_struct("Redirect")
                .field("user", &user.as_ref().map(ShowUser))
                .field("next", &crate::redact_url(next))
                .finish(),
        }
    }
}

/// Runs a flow's body (an async call given `&mut unit`) in a fresh unit of
/// work, then [finishes](Accounts::finish) it: commit on success, rollback
/// on any error.
macro_rules! in_unit {
    ($accounts:expr, |$unit:ident| $body:expr) => {{
        let mut $unit = $accounts.begin().await?;
        let result = $body.await;
        $accounts.finish($unit, result).await
    }};
}
pub(super) use in_unit;

/// One flow's transaction and the mails it will send: the mails go out
/// after the flow's last signal, just before the commit, so a flow that
/// fails mails nothing.
pub(super) struct Unit<T> {
    pub(super) tx: T,
    mails: Vec<Mail>,
}

impl<T> Unit<T> {
    /// Queues a mail for the end of the flow.
    pub(super) fn mail(&mut self, mail: Mail) {
        self.mails.push(mail);
    }
}

impl<S: Store, M: Mailer> Accounts<S, M> {
    /// Begins a flow's unit of work.
    pub(super) async fn begin(&self) -> Result<Unit<S::Tx<'_>>, FlowError> {
        Ok(Unit {
            tx: self.store.begin().await?,
            mails: Vec::new(),
        })
    }

    /// Ends a flow: on success sends its mails and commits; on any error
    /// (the flow's, the mailer's or the commit's) rolls everything back.
    pub(super) async fn finish<T>(
        &self,
        unit: Unit<S::Tx<'_>>,
        result: Result<T, FlowError>,
    ) -> Result<T, FlowError> {
        let Unit { tx, mails } = unit;
        let value = match result {
            Ok(value) => value,
            Err(error) => {
                // The flow's error is the one to report; a failed rollback
                // still discards the transaction when it is dropped.
                let _ = tx.rollback().await;
                return Err(error);
            }
        };
        for mail in mails {
            if let Err(error) = self.mailer.send(mail).await {
                let _ = tx.rollback().await;
                return Err(FlowError::Mail(error));
            }
        }
        tx.commit().await?;
        Ok(value)
    }
}

/// The signal field's form of a user.
fn dyn_user<U: AuthUser>(user: &Arc<U>) -> Arc<dyn AuthUser> {
    Arc::clone(user) as Arc<dyn AuthUser>
}
