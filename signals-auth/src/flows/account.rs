//! The account flows: sign-up, login, logout, addresses, passwords.

use std::sync::Arc;
use std::time::SystemTime;

use super::{
    dyn_user, in_unit, Accounts, ConfirmOutcome, EmailVerification, FlowError, LoggedIn,
    LoginOutcome, PendingLogin, ResetOutcome, SignupOutcome, Unit,
};
use crate::account::{
    EmailAdded, EmailChanged, EmailConfirmationSent, EmailConfirmed, EmailRemoved, PasswordChanged,
    PasswordReset, PasswordSet, UserLoggedIn, UserLoggedOut, UserSignedUp,
};
use crate::mail::{Mail, Mailer};
use crate::models::{normalize_email, EmailAddress, EmailConfirmation, SocialLogin};
use crate::password;
use crate::request::{RequestContext, ResponseContext};
use crate::secret::Secret;
use crate::store::{generate_key, is_well_formed_key, NewUser, Store, Transaction};
use crate::user::AuthUser;
use crate::validate::{validate_email, validate_username};

/// What a sign-up form submits.
#[derive(Clone, Debug)]
pub struct SignupForm {
    /// The address (lowercased by the flow).
    pub email: String,
    /// A username, if the site uses them.
    pub username: Option<String>,
    /// A password; `None` signs up without a usable one.
    pub password: Option<Secret<String>>,
}

impl SignupForm {
    /// A sign-up with an address only.
    pub fn new(email: impl Into<String>) -> Self {
        SignupForm {
            email: email.into(),
            username: None,
            password: None,
        }
    }

    /// The same form with a username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The same form with a password.
    pub fn password(mut self, password: impl Into<Secret<String>>) -> Self {
        self.password = Some(password.into());
        self
    }
}

/// What a login form submits.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// A username, or an address (anything with an `@`).
    pub login: String,
    /// The password.
    pub password: Secret<String>,
}

impl Credentials {
    /// A login and a password.
    pub fn new(login: impl Into<String>, password: impl Into<Secret<String>>) -> Self {
        Credentials {
            login: login.into(),
            password: password.into(),
        }
    }
}

/// The transaction type of a store, for the helpers below.
pub(super) type Tx<'a, S> = <S as Store>::Tx<'a>;

/// Checks and normalizes an address from a request.
pub(super) fn checked_email(email: &str) -> Result<String, FlowError> {
    validate_email(email).map_err(FlowError::InvalidEmail)
}

impl<S: Store, M: Mailer> Accounts<S, M> {
    /// Signs a user up.
    ///
    /// Sends [`UserSignedUp`]; then [`EmailConfirmationSent`]
    /// (`signup: true`) unless verification is
    /// [`None`](EmailVerification::None); then [`UserLoggedIn`] unless
    /// verification is [`Mandatory`](EmailVerification::Mandatory).
    ///
    /// The address and username are validated first
    /// ([`FlowError::InvalidEmail`], [`FlowError::InvalidUsername`]). An
    /// address that has an account fails with [`FlowError::EmailInUse`],
    /// unless verification is mandatory and
    /// [`prevent_enumeration`](super::Settings::prevent_enumeration) is set:
    /// then the answer is the same `VerificationRequired` as for a new
    /// address, no user is created, no signal is sent, and the owner gets
    /// [`Mail::AccountAlreadyExists`].
    pub async fn signup(
        &self,
        request: &RequestContext,
        form: SignupForm,
    ) -> Result<SignupOutcome<S::User>, FlowError> {
        let email = checked_email(&form.email)?;
        let username = match &form.username {
            Some(username) => {
                Some(validate_username(username).map_err(FlowError::InvalidUsername)?)
            }
            None => None,
        };
        let password = form.password.as_ref().map(password::hash);
        let result = in_unit!(self, |unit| self.signup_in(
            &mut unit,
            request,
            &email,
            username,
            password.as_ref()
        ));
        match result {
            Err(FlowError::EmailInUse) if self.hides_existing_accounts() => {
                self.answer_existing_account(&email).await?;
                Ok(SignupOutcome::VerificationRequired {
                    pending_login: PendingLogin {
                        user_id: String::new(),
                        email,
                        social_account: None,
                    },
                })
            }
            other => other,
        }
    }

    async fn signup_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        email: &str,
        username: Option<String>,
        password_hash: Option<&Secret<String>>,
    ) -> Result<SignupOutcome<S::User>, FlowError> {
        let new = NewUser {
            username,
            email: Some(email.to_owned()),
        };
        let user = unit.tx.create_user(&new).await?;
        unit.tx.set_password_hash(&user.id(), password_hash).await?;
        let address = EmailAddress::new(user.id(), email).primary(true);
        unit.tx.insert_email_address(&address).await?;
        UserSignedUp {
            request,
            user: dyn_user(&user),
            sociallogin: None,
        }
        .send_async()
        .await?;
        match self
            .complete_signup(unit, request, user, &address, None)
            .await?
        {
            Ok(login) => Ok(SignupOutcome::LoggedIn(login)),
            Err(pending_login) => Ok(SignupOutcome::VerificationRequired { pending_login }),
        }
    }

    /// True when an address that has an account must not be told apart
    /// from a new one (allauth's `assess_unique_email` returning `None`).
    pub(super) fn hides_existing_accounts(&self) -> bool {
        self.settings.prevent_enumeration
            && self.settings.email_verification == EmailVerification::Mandatory
    }

    /// Mails the owner of an address that someone tried to sign up or add
    /// again.
    async fn answer_existing_account(&self, email: &str) -> Result<(), FlowError> {
        self.mailer
            .send(Mail::AccountAlreadyExists {
                to: email.to_owned(),
            })
            .await
            .map_err(FlowError::Mail)
    }

    /// What follows `UserSignedUp`, for local and social sign-ups alike:
    /// the confirmation mail, then the login unless it must wait.
    pub(super) async fn complete_signup(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: Arc<S::User>,
        address: &EmailAddress,
        sociallogin: Option<&SocialLogin>,
    ) -> Result<Result<LoggedIn<S::User>, PendingLogin>, FlowError> {
        let verification = self.settings.email_verification;
        if !address.verified && verification != EmailVerification::None {
            self.send_confirmation(unit, request, address, true).await?;
        }
        if !address.verified && verification == EmailVerification::Mandatory {
            return Ok(Err(PendingLogin {
                user_id: user.id(),
                email: address.email.clone(),
                social_account: sociallogin
                    .map(|login| (login.account.provider.clone(), login.account.uid.clone())),
            }));
        }
        self.log_in(unit, request, user, sociallogin).await.map(Ok)
    }

    /// Logs a user in: starts a session and sends [`UserLoggedIn`]. An
    /// inactive user is refused.
    pub(super) async fn log_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: Arc<S::User>,
        sociallogin: Option<&SocialLogin>,
    ) -> Result<LoggedIn<S::User>, FlowError> {
        if !user.is_active() {
            return Err(FlowError::InactiveUser);
        }
        let session_key = generate_key();
        unit.tx.insert_session(&session_key, &user.id()).await?;
        let response = ResponseContext::new();
        UserLoggedIn {
            request,
            response: &response,
            user: dyn_user(&user),
            sociallogin,
        }
        .send_async()
        .await?;
        Ok(LoggedIn {
            user,
            session_key,
            response_headers: response.into_headers(),
        })
    }

    /// Creates a confirmation, queues its mail and sends
    /// [`EmailConfirmationSent`].
    async fn send_confirmation(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        address: &EmailAddress,
        signup: bool,
    ) -> Result<(), FlowError> {
        let now = SystemTime::now();
        let confirmation = EmailConfirmation {
            email_address: address.clone(),
            created: now,
            sent: Some(now),
            key: generate_key(),
        };
        unit.tx.insert_confirmation(&confirmation).await?;
        unit.mail(Mail::Confirmation {
            to: address.email.clone(),
            key: confirmation.key.clone(),
            signup,
        });
        EmailConfirmationSent {
            request,
            confirmation: &confirmation,
            signup,
        }
        .send_async()
        .await?;
        Ok(())
    }

    /// [`send_confirmation`](Self::send_confirmation), unless one went to
    /// the address within the cooldown (allauth's rate limit on
    /// `confirm_email`): then nothing is sent.
    async fn resend_confirmation_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        address: &EmailAddress,
    ) -> Result<(), FlowError> {
        let last = unit.tx.last_confirmation_sent(&address.email).await?;
        let cooling = last.is_some_and(|sent| {
            sent.elapsed()
                .map_or(true, |age| age < self.settings.email_confirmation_cooldown)
        });
        if cooling {
            return Ok(());
        }
        self.send_confirmation(unit, request, address, false).await
    }

    pub(super) async fn require_user(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        id: &str,
    ) -> Result<Arc<S::User>, FlowError> {
        unit.tx
            .user(id)
            .await?
            .ok_or_else(|| FlowError::UnknownUser(id.to_owned()))
    }

    /// Sends a new confirmation mail for an address: [`EmailConfirmationSent`]
    /// (`signup: false`).
    ///
    /// For an address that belongs to no user, a mail saying so goes there
    /// instead and no signal is sent, so the caller's answer is the same
    /// either way (enumeration prevention). Nothing happens for an address
    /// that is verified already, or within the
    /// [cooldown](super::Settings::email_confirmation_cooldown) of the last
    /// confirmation.
    pub async fn resend_confirmation(
        &self,
        request: &RequestContext,
        email: &str,
    ) -> Result<(), FlowError> {
        let email = checked_email(email)?;
        let mut unit = self.begin().await?;
        let result = match unit.tx.email_address(&email).await {
            Err(error) => Err(error.into()),
            Ok(None) => {
                unit.mail(Mail::UnknownAccount { to: email });
                Ok(())
            }
            Ok(Some(address)) if address.verified => Ok(()),
            Ok(Some(address)) => {
                self.resend_confirmation_in(&mut unit, request, &address)
                    .await
            }
        };
        self.finish(unit, result).await
    }

    /// Confirms an address with the key from its confirmation mail.
    ///
    /// An address that was stored already (a sign-up's, an added one) is
    /// marked verified, and becomes the primary if the user has none; then
    /// [`EmailConfirmed`]. An address stored only now (an
    /// [email change](Self::change_email)) is stored verified and primary:
    /// [`EmailAdded`], [`EmailConfirmed`], then [`EmailChanged`] from the
    /// previous primary. Then [`UserLoggedIn`] if `pending_login` is the
    /// sign-up's deferred login for this address and
    /// [`login_on_email_confirmation`](super::Settings::login_on_email_confirmation)
    /// is set.
    ///
    /// An empty, malformed, unknown, used or expired key, or one for an
    /// address verified already, fails with [`FlowError::InvalidKey`].
    pub async fn confirm_email(
        &self,
        request: &RequestContext,
        key: &Secret<String>,
        pending_login: Option<&PendingLogin>,
    ) -> Result<ConfirmOutcome<S::User>, FlowError> {
        if !is_well_formed_key(key) {
            return Err(FlowError::InvalidKey);
        }
        in_unit!(self, |unit| self.confirm_email_in(
            &mut unit,
            request,
            key,
            pending_login
        ))
    }

    async fn confirm_email_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        key: &Secret<String>,
        pending_login: Option<&PendingLogin>,
    ) -> Result<ConfirmOutcome<S::User>, FlowError> {
        let confirmation = unit
            .tx
            .take_confirmation(key)
            .await?
            .ok_or(FlowError::InvalidKey)?;
        if self.expired(confirmation.sent.unwrap_or(confirmation.created)) {
            return Err(FlowError::InvalidKey);
        }
        let requested = confirmation.email_address;
        let user = self.require_user(unit, &requested.user_id).await?;
        let previous = self.primary_of(unit, &user.id()).await?;
        let address = match unit.tx.email_address(&requested.email).await? {
            Some(stored) if stored.user_id != requested.user_id => {
                return Err(FlowError::EmailInUse)
            }
            Some(stored) if stored.verified => return Err(FlowError::InvalidKey),
            Some(mut stored) => {
                stored.verified = true;
                if previous.is_none() {
                    stored.primary = true;
                }
                unit.tx.update_email_address(&stored).await?;
                EmailConfirmed {
                    request,
                    email_address: &stored,
                }
                .send_async()
                .await?;
                stored
            }
            None => {
                // Asked for by an email change: the new primary.
                let added = EmailAddress::new(user.id(), &requested.email)
                    .verified(true)
                    .primary(true);
                let previous = self.demote(unit, previous).await?;
                unit.tx.insert_email_address(&added).await?;
                EmailAdded {
                    request,
                    user: dyn_user(&user),
                    email_address: &added,
                }
                .send_async()
                .await?;
                EmailConfirmed {
                    request,
                    email_address: &added,
                }
                .send_async()
                .await?;
                EmailChanged {
                    request,
                    user: dyn_user(&user),
                    from_email_address: previous.as_ref(),
                    to_email_address: &added,
                }
                .send_async()
                .await?;
                added
            }
        };
        let resumes = self.settings.login_on_email_confirmation
            && pending_login.is_some_and(|pending| {
                pending.user_id == user.id() && pending.email == address.email
            });
        if let (true, Some(pending)) = (resumes, pending_login) {
            let sociallogin = match &pending.social_account {
                Some((provider, uid)) => self.stored_login(unit, &user, provider, uid).await?,
                None => None,
            };
            let login = self
                .log_in(unit, request, user, sociallogin.as_ref())
                .await?;
            Ok(ConfirmOutcome::LoggedIn(address, login))
        } else {
            Ok(ConfirmOutcome::Confirmed(address))
        }
    }

    async fn primary_of(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        user_id: &str,
    ) -> Result<Option<EmailAddress>, FlowError> {
        Ok(unit
            .tx
            .email_addresses(user_id)
            .await?
            .into_iter()
            .find(|address| address.primary))
    }

    /// Marks the current primary as not primary; returns it as it was.
    async fn demote(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        previous: Option<EmailAddress>,
    ) -> Result<Option<EmailAddress>, FlowError> {
        if let Some(previous) = &previous {
            let demoted = previous.clone().primary(false);
            unit.tx.update_email_address(&demoted).await?;
        }
        Ok(previous)
    }

    fn expired(&self, since: SystemTime) -> bool {
        // A time in the future (a clock that went back) is not trusted
        // either.
        since
            .elapsed()
            .map_or(true, |age| age > self.settings.key_expiry)
    }

    /// Adds an unverified address to a user and mails a confirmation.
    ///
    /// Sends [`EmailConfirmationSent`] (`signup: false`), then
    /// [`EmailAdded`]. An address of another user fails with
    /// [`FlowError::EmailInUse`], or, with mandatory verification and
    /// [`prevent_enumeration`](super::Settings::prevent_enumeration), answers
    /// as if it worked (the returned address is not stored), mails the
    /// owner, and sends nothing.
    pub async fn add_email(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<EmailAddress, FlowError> {
        let email = checked_email(email)?;
        let address = EmailAddress::new(user.id(), &email);
        match in_unit!(self, |unit| self
            .add_email_in(&mut unit, request, user, &address))
        {
            Err(FlowError::EmailInUse)
                if self.hides_existing_accounts() && !self.owns_address(user, &email).await? =>
            {
                self.answer_existing_account(&email).await?;
                Ok(address)
            }
            other => other,
        }
    }

    async fn add_email_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        address: &EmailAddress,
    ) -> Result<EmailAddress, FlowError> {
        unit.tx.insert_email_address(address).await?;
        self.send_confirmation(unit, request, address, false)
            .await?;
        EmailAdded {
            request,
            user: dyn_user(user),
            email_address: address,
        }
        .send_async()
        .await?;
        Ok(address.clone())
    }

    /// True if `email` is `user`'s own: their own address is no secret to
    /// them, so it stays "in use" whatever the enumeration setting.
    async fn owns_address(&self, user: &Arc<S::User>, email: &str) -> Result<bool, FlowError> {
        let mut tx = self.store.begin().await?;
        let owner = tx
            .email_address(email)
            .await?
            .map(|address| address.user_id);
        tx.rollback().await?;
        Ok(owner == Some(user.id()))
    }

    /// Asks to change the user's address: a confirmation goes to the new
    /// address, which is stored only when confirmed (then it becomes the
    /// primary). Sends [`EmailConfirmationSent`] (`signup: false`); the
    /// confirmation sends the rest.
    ///
    /// An address of another user fails with [`FlowError::EmailInUse`],
    /// or, with mandatory verification and
    /// [`prevent_enumeration`](super::Settings::prevent_enumeration),
    /// answers `Ok` as for a free address, mails the owner, and sends
    /// nothing.
    pub async fn change_email(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<(), FlowError> {
        let email = checked_email(email)?;
        match in_unit!(self, |unit| self
            .change_email_in(&mut unit, request, user, &email))
        {
            Err(FlowError::EmailInUse)
                if self.hides_existing_accounts() && !self.owns_address(user, &email).await? =>
            {
                self.answer_existing_account(&email).await
            }
            other => other,
        }
    }

    async fn change_email_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<(), FlowError> {
        if unit.tx.email_address(email).await?.is_some() {
            return Err(FlowError::EmailInUse);
        }
        let address = EmailAddress::new(user.id(), email);
        self.send_confirmation(unit, request, &address, false).await
    }

    /// Makes one of the user's addresses the primary.
    ///
    /// Sends [`EmailChanged`] with the current primary (or `None`) as
    /// `from_email_address`, as allauth does even when the address already
    /// was the primary. An unverified address cannot replace a verified
    /// primary.
    pub async fn set_primary_email(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<EmailAddress, FlowError> {
        in_unit!(self, |unit| self
            .set_primary_email_in(&mut unit, request, user, email))
    }

    async fn set_primary_email_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<EmailAddress, FlowError> {
        let address = self.address_of(unit, user, email).await?;
        let previous = self.primary_of(unit, &user.id()).await?;
        if !address.verified && previous.as_ref().is_some_and(|primary| primary.verified) {
            return Err(FlowError::UnverifiedEmail);
        }
        let previous = match previous {
            Some(previous) if previous.email != address.email => {
                self.demote(unit, Some(previous)).await?
            }
            same => same,
        };
        let address = address.primary(true);
        unit.tx.update_email_address(&address).await?;
        EmailChanged {
            request,
            user: dyn_user(user),
            from_email_address: previous.as_ref(),
            to_email_address: &address,
        }
        .send_async()
        .await?;
        Ok(address)
    }

    /// Removes one of the user's addresses (not the primary). Sends
    /// [`EmailRemoved`] after the deletion.
    pub async fn remove_email(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<EmailAddress, FlowError> {
        in_unit!(self, |unit| self
            .remove_email_in(&mut unit, request, user, email))
    }

    async fn remove_email_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<EmailAddress, FlowError> {
        let address = self.address_of(unit, user, email).await?;
        if address.primary {
            return Err(FlowError::PrimaryEmail);
        }
        unit.tx.delete_email_address(&address.email).await?;
        EmailRemoved {
            request,
            user: dyn_user(user),
            email_address: &address,
        }
        .send_async()
        .await?;
        Ok(address)
    }

    async fn address_of(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<EmailAddress, FlowError> {
        match unit.tx.email_address(email).await? {
            Some(address) if address.user_id == user.id() => Ok(address),
            _ => Err(FlowError::UnknownEmail),
        }
    }

    /// Logs a user in with a username or address and a password.
    ///
    /// Sends [`UserLoggedIn`]; or, when verification is mandatory and the
    /// address typed (or, for a username, any address) is not verified,
    /// [`EmailConfirmationSent`] (`signup: false`) for the address typed,
    /// else the primary, and no login (no mail within the
    /// [cooldown](super::Settings::email_confirmation_cooldown)). An unknown
    /// login and a wrong password take as long and fail alike
    /// ([`FlowError::InvalidCredentials`]); an inactive user with the right
    /// password gets [`FlowError::InactiveUser`].
    pub async fn login(
        &self,
        request: &RequestContext,
        credentials: Credentials,
    ) -> Result<LoginOutcome<S::User>, FlowError> {
        let verified = self.verify_login(&credentials).await?;
        in_unit!(self, |unit| self.login_in(
            &mut unit,
            request,
            credentials,
            verified
        ))
    }

    /// The stored hash the password matches, or `None`. The hash is read in
    /// a transaction of its own and argon2 runs after it, so the tens of
    /// milliseconds of a verification never hold the store (SQLite's single
    /// writer, a PostgreSQL connection) for other requests.
    async fn verify_login(
        &self,
        credentials: &Credentials,
    ) -> Result<Option<Secret<String>>, FlowError> {
        let mut unit = self.begin().await?;
        let found = Self::login_user(&mut unit, &credentials.login).await;
        let _ = unit.tx.rollback().await;
        let (_, hash) = found?;
        // Verified even without a user, so both failures take as long.
        let matches = password::verify(&credentials.password, hash.as_ref());
        Ok(hash.filter(|_| matches))
    }

    /// The user a login names (an address or a username) and its hash.
    async fn login_user(
        unit: &mut Unit<Tx<'_, S>>,
        login: &str,
    ) -> Result<(Option<Arc<S::User>>, Option<Secret<String>>), FlowError> {
        let user = if login.contains('@') {
            match unit.tx.email_address(&normalize_email(login)).await? {
                Some(address) => unit.tx.user(&address.user_id).await?,
                None => None,
            }
        } else {
            unit.tx.user_by_username(login).await?
        };
        let hash = match &user {
            Some(user) => unit.tx.password_hash(&user.id()).await?,
            None => None,
        };
        Ok((user, hash))
    }

    async fn login_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        credentials: Credentials,
        verified: Option<Secret<String>>,
    ) -> Result<LoginOutcome<S::User>, FlowError> {
        let typed_email = credentials
            .login
            .contains('@')
            .then(|| normalize_email(&credentials.login));
        let (user, hash) = Self::login_user(unit, &credentials.login).await?;
        // The hash verified before this transaction must still be the
        // user's: a password changed in between does not let the old in.
        let matches =
            matches!((&verified, &hash), (Some(verified), Some(hash)) if verified == hash);
        let Some(user) = user.filter(|_| matches) else {
            return Err(FlowError::InvalidCredentials);
        };
        if !user.is_active() {
            return Err(FlowError::InactiveUser);
        }
        if self.settings.email_verification == EmailVerification::Mandatory {
            if let Some(pending_login) = self
                .verification_needed(unit, request, &user, typed_email.as_deref(), None)
                .await?
            {
                return Ok(LoginOutcome::VerificationRequired {
                    user,
                    pending_login,
                });
            }
        }
        self.log_in(unit, request, user, None)
            .await
            .map(LoginOutcome::LoggedIn)
    }

    /// With mandatory verification: `None` if the user may log in (the
    /// address used is verified, or, without one, any address is);
    /// otherwise sends a confirmation to that address (or the primary) and
    /// returns the login to resume.
    pub(super) async fn verification_needed(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: Option<&str>,
        sociallogin: Option<&SocialLogin>,
    ) -> Result<Option<PendingLogin>, FlowError> {
        let addresses = unit.tx.email_addresses(&user.id()).await?;
        let used = email.and_then(|email| addresses.iter().find(|a| a.email == email));
        let verified = match used {
            Some(address) => address.verified,
            None => addresses.iter().any(|address| address.verified),
        };
        if verified {
            return Ok(None);
        }
        // The primary comes first in `email_addresses`.
        let Some(target) = used.or(addresses.first()).cloned() else {
            // No address at all: nothing to verify.
            return Ok(None);
        };
        self.resend_confirmation_in(unit, request, &target).await?;
        Ok(Some(PendingLogin {
            user_id: user.id(),
            email: target.email,
            social_account: sociallogin
                .map(|login| (login.account.provider.clone(), login.account.uid.clone())),
        }))
    }

    /// Logs out the user of the request's session.
    ///
    /// Sends [`UserLoggedOut`], then deletes the session. Without an
    /// authenticated session nothing is sent and `None` is returned. If a
    /// receiver fails, the session stays (as in Django, where the session
    /// is flushed after the signal) and the error is returned.
    pub async fn logout(
        &self,
        request: &RequestContext,
    ) -> Result<Option<Arc<S::User>>, FlowError> {
        in_unit!(self, |unit| self.logout_in(&mut unit, request))
    }

    pub(super) async fn logout_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
    ) -> Result<Option<Arc<S::User>>, FlowError> {
        let Some(key) = request.session_key() else {
            return Ok(None);
        };
        let Some(user) = unit.tx.session_user(key).await? else {
            return Ok(None);
        };
        UserLoggedOut {
            request,
            user: Some(dyn_user(&user)),
        }
        .send_async()
        .await?;
        unit.tx.delete_session(key).await?;
        Ok(Some(user))
    }

    /// Stores a new password hash: every outstanding reset key of the user
    /// ends with the old password (Django's reset tokens hash the password
    /// in), and so does every session but `keep`.
    async fn store_password(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        user_id: &str,
        hash: &Secret<String>,
        keep: Option<&Secret<String>>,
    ) -> Result<(), FlowError> {
        unit.tx.set_password_hash(user_id, Some(hash)).await?;
        unit.tx.delete_reset_keys(user_id).await?;
        unit.tx.delete_sessions(user_id, keep).await?;
        Ok(())
    }

    /// The request's session, if it is `user`'s.
    async fn own_session<'r>(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &'r RequestContext,
        user: &Arc<S::User>,
    ) -> Result<Option<&'r Secret<String>>, FlowError> {
        let Some(key) = request.session_key() else {
            return Ok(None);
        };
        let owner = unit.tx.session_user(key).await?;
        Ok(owner.filter(|owner| owner.id() == user.id()).map(|_| key))
    }

    /// Sets a password for a user who has no usable one (one who signed up
    /// through a provider).
    ///
    /// The user's other sessions end; with
    /// [`logout_on_password_change`](super::Settings::logout_on_password_change)
    /// the request's own does too, with [`UserLoggedOut`] first. Then
    /// [`PasswordSet`].
    pub async fn set_password(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        password: &Secret<String>,
    ) -> Result<(), FlowError> {
        let hash = password::hash(password);
        in_unit!(self, |unit| self
            .set_password_in(&mut unit, request, user, &hash))
    }

    async fn set_password_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        hash: &Secret<String>,
    ) -> Result<(), FlowError> {
        if unit.tx.password_hash(&user.id()).await?.is_some() {
            return Err(FlowError::PasswordAlreadySet);
        }
        self.replace_password(unit, request, user, hash).await?;
        PasswordSet {
            request,
            user: dyn_user(user),
        }
        .send_async()
        .await?;
        Ok(())
    }

    /// Stores the new hash, ending the user's other sessions and, with
    /// logout-on-change, the request's own (sending [`UserLoggedOut`]).
    async fn replace_password(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        hash: &Secret<String>,
    ) -> Result<(), FlowError> {
        let own = self.own_session(unit, request, user).await?;
        if self.settings.logout_on_password_change && own.is_some() {
            self.logout_in(unit, request).await?;
            self.store_password(unit, &user.id(), hash, None).await
        } else {
            self.store_password(unit, &user.id(), hash, own).await
        }
    }

    /// Changes a user's password, checking the current one.
    ///
    /// The user's other sessions and outstanding reset keys end (as
    /// Django's session hash and reset tokens make them); with
    /// [`logout_on_password_change`](super::Settings::logout_on_password_change)
    /// the request's own session ends too, with [`UserLoggedOut`] first;
    /// then [`PasswordChanged`]. A user with no usable password gets the new
    /// one set without a check, and [`PasswordSet`] instead.
    pub async fn change_password(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        current: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<(), FlowError> {
        let hash = password::hash(new);
        let verified = self.verify_current(user, current).await?;
        in_unit!(self, |unit| self
            .change_password_in(&mut unit, request, user, verified, &hash))
    }

    /// The user's stored hash if `current` matches it, `None` if the user
    /// has none. Read in a transaction of its own, verified after it (as
    /// [`verify_login`](Self::verify_login) does).
    async fn verify_current(
        &self,
        user: &Arc<S::User>,
        current: &Secret<String>,
    ) -> Result<Option<Secret<String>>, FlowError> {
        let mut unit = self.begin().await?;
        let stored = unit.tx.password_hash(&user.id()).await;
        let _ = unit.tx.rollback().await;
        match stored? {
            None => Ok(None),
            Some(stored) if password::verify(current, Some(&stored)) => Ok(Some(stored)),
            Some(_) => Err(FlowError::WrongPassword),
        }
    }

    async fn change_password_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        verified: Option<Secret<String>>,
        hash: &Secret<String>,
    ) -> Result<(), FlowError> {
        match (unit.tx.password_hash(&user.id()).await?, verified) {
            (None, None) => return self.set_password_in(unit, request, user, hash).await,
            (Some(stored), Some(verified)) if stored == verified => {}
            // The password changed since `current` was verified.
            _ => return Err(FlowError::WrongPassword),
        }
        self.replace_password(unit, request, user, hash).await?;
        PasswordChanged {
            request,
            user: dyn_user(user),
        }
        .send_async()
        .await?;
        Ok(())
    }

    /// Mails a password reset key to an address. No signal: for an address
    /// that belongs to no user, a mail saying so goes there instead, and
    /// the caller's answer is the same either way.
    pub async fn request_password_reset(
        &self,
        _request: &RequestContext,
        email: &str,
    ) -> Result<(), FlowError> {
        let email = checked_email(email)?;
        let mut unit = self.begin().await?;
        let result = match unit.tx.email_address(&email).await {
            Err(error) => Err(error.into()),
            Ok(None) => {
                unit.mail(Mail::UnknownAccount { to: email });
                Ok(())
            }
            Ok(Some(address)) => {
                let key = generate_key();
                match unit
                    .tx
                    .insert_reset_key(&address.user_id, &key, SystemTime::now())
                    .await
                {
                    Ok(()) => {
                        unit.mail(Mail::PasswordReset { to: email, key });
                        Ok(())
                    }
                    Err(error) => Err(error.into()),
                }
            }
        };
        self.finish(unit, result).await
    }

    /// Resets a password with the key from a reset mail.
    ///
    /// Every session of the user ends, and every outstanding reset key
    /// (this one included). Sends [`PasswordReset`], then mails the
    /// "password reset" notice; then, if
    /// [`login_on_password_reset`](super::Settings::login_on_password_reset)
    /// is set, [`UserLoggedIn`] with a new session. An empty, malformed,
    /// unknown, used or expired key fails with [`FlowError::InvalidKey`].
    pub async fn reset_password(
        &self,
        request: &RequestContext,
        key: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<ResetOutcome<S::User>, FlowError> {
        if !is_well_formed_key(key) {
            return Err(FlowError::InvalidKey);
        }
        let hash = password::hash(new);
        in_unit!(self, |unit| self
            .reset_password_in(&mut unit, request, key, &hash))
    }

    async fn reset_password_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        key: &Secret<String>,
        hash: &Secret<String>,
    ) -> Result<ResetOutcome<S::User>, FlowError> {
        let (user_id, created) = unit
            .tx
            .take_reset_key(key)
            .await?
            .ok_or(FlowError::InvalidKey)?;
        if self.expired(created) {
            return Err(FlowError::InvalidKey);
        }
        let user = self.require_user(unit, &user_id).await?;
        self.store_password(unit, &user_id, hash, None).await?;
        PasswordReset {
            request,
            user: dyn_user(&user),
        }
        .send_async()
        .await?;
        if let Some(primary) = self.primary_of(unit, &user_id).await? {
            unit.mail(Mail::PasswordResetDone { to: primary.email });
        }
        if self.settings.login_on_password_reset {
            self.log_in(unit, request, user, None)
                .await
                .map(ResetOutcome::LoggedIn)
        } else {
            Ok(ResetOutcome::Reset(user))
        }
    }
}
