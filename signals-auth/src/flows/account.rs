//! The account flows: sign-up, login, logout, addresses, passwords.

use std::sync::Arc;
use std::time::SystemTime;

use super::{
    dyn_user, Accounts, ConfirmOutcome, EmailVerification, FlowError, LoggedIn, LoginOutcome,
    PendingLogin, ResetOutcome, SignupOutcome,
};
use crate::account::{
    EmailAdded, EmailChanged, EmailConfirmationSent, EmailConfirmed, EmailRemoved, PasswordChanged,
    PasswordReset, PasswordSet, UserLoggedIn, UserLoggedOut, UserSignedUp,
};
use crate::mail::{Mail, Mailer};
use crate::models::{normalize_email, EmailAddress, EmailConfirmation, SocialLogin};
use crate::request::{RequestContext, ResponseContext};
use crate::secret::Secret;
use crate::store::{NewUser, Store};
use crate::user::AuthUser;

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

impl<S: Store, M: Mailer> Accounts<S, M> {
    /// Signs a user up.
    ///
    /// Sends [`UserSignedUp`]; then [`EmailConfirmationSent`]
    /// (`signup: true`) unless verification is
    /// [`None`](EmailVerification::None); then [`UserLoggedIn`] unless
    /// verification is [`Mandatory`](EmailVerification::Mandatory).
    pub async fn signup(
        &self,
        request: &RequestContext,
        form: SignupForm,
    ) -> Result<SignupOutcome<S::User>, FlowError> {
        let email = normalize_email(&form.email);
        if self.store.email_address(&email).await?.is_some() {
            return Err(FlowError::EmailInUse);
        }
        if let Some(username) = &form.username {
            if self.store.user_by_username(username).await?.is_some() {
                return Err(FlowError::UsernameInUse);
            }
        }
        let new = NewUser {
            username: form.username,
            email: Some(email.clone()),
        };
        let user = self.store.create_user(&new).await?;
        self.store
            .set_password(&user.id(), form.password.as_ref())
            .await?;
        let address = EmailAddress::new(user.id(), &email).primary(true);
        self.store.save_email_address(&address).await?;
        UserSignedUp {
            request,
            user: dyn_user(&user),
            sociallogin: None,
        }
        .send_async()
        .await?;
        match self.complete_signup(request, user, &address, None).await? {
            Ok(login) => Ok(SignupOutcome::LoggedIn(login)),
            Err((user, pending_login)) => Ok(SignupOutcome::VerificationRequired {
                user,
                pending_login,
            }),
        }
    }

    /// What follows `UserSignedUp`, for local and social sign-ups alike:
    /// the confirmation mail, then the login unless it must wait.
    pub(super) async fn complete_signup(
        &self,
        request: &RequestContext,
        user: Arc<S::User>,
        address: &EmailAddress,
        sociallogin: Option<&SocialLogin>,
    ) -> Result<Result<LoggedIn<S::User>, (Arc<S::User>, PendingLogin)>, FlowError> {
        let verification = self.settings.email_verification;
        if !address.verified && verification != EmailVerification::None {
            self.send_confirmation(request, address, true).await?;
        }
        if !address.verified && verification == EmailVerification::Mandatory {
            let pending = PendingLogin {
                user_id: user.id(),
                email: address.email.clone(),
            };
            return Ok(Err((user, pending)));
        }
        self.log_in(request, user, sociallogin).await.map(Ok)
    }

    /// Logs a user in: starts a session and sends [`UserLoggedIn`]. If a
    /// receiver fails, the session is ended again before the error is
    /// returned.
    pub(super) async fn log_in(
        &self,
        request: &RequestContext,
        user: Arc<S::User>,
        sociallogin: Option<&SocialLogin>,
    ) -> Result<LoggedIn<S::User>, FlowError> {
        let session_key = self.store.create_session(&user.id()).await?;
        let response = ResponseContext::new();
        let sent = UserLoggedIn {
            request,
            response: &response,
            user: dyn_user(&user),
            sociallogin,
        }
        .send_async()
        .await;
        if let Err(error) = sent {
            self.store.delete_session(&session_key).await?;
            return Err(error.into());
        }
        Ok(LoggedIn {
            user,
            session_key,
            response_headers: response.into_headers(),
        })
    }

    /// Creates a confirmation, mails its key and sends
    /// [`EmailConfirmationSent`].
    async fn send_confirmation(
        &self,
        request: &RequestContext,
        address: &EmailAddress,
        signup: bool,
    ) -> Result<(), FlowError> {
        let mut confirmation = EmailConfirmation {
            email_address: address.clone(),
            created: SystemTime::now(),
            sent: None,
            key: self.store.generate_key(),
        };
        // Saved before the mail goes out: the link may be followed at once.
        self.store.save_confirmation(&confirmation).await?;
        self.mail(Mail::Confirmation {
            to: address.email.clone(),
            key: confirmation.key.clone(),
            signup,
        })
        .await?;
        confirmation.sent = Some(SystemTime::now());
        self.store.save_confirmation(&confirmation).await?;
        EmailConfirmationSent {
            request,
            confirmation: &confirmation,
            signup,
        }
        .send_async()
        .await?;
        Ok(())
    }

    async fn mail(&self, mail: Mail) -> Result<(), FlowError> {
        self.mailer.send(mail).await.map_err(FlowError::Mail)
    }

    pub(super) async fn require_user(&self, id: &str) -> Result<Arc<S::User>, FlowError> {
        self.store
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
    /// that is verified already.
    pub async fn resend_confirmation(
        &self,
        request: &RequestContext,
        email: &str,
    ) -> Result<(), FlowError> {
        let email = normalize_email(email);
        match self.store.email_address(&email).await? {
            None => self.mail(Mail::UnknownAccount { to: email }).await,
            Some(address) if address.verified => Ok(()),
            Some(address) => self.send_confirmation(request, &address, false).await,
        }
    }

    /// Confirms an address with the key from its confirmation mail.
    ///
    /// Sends [`EmailAdded`] first if the address was not stored yet (an
    /// [email change](Self::change_email)); then [`EmailConfirmed`]; then
    /// [`EmailChanged`] if the address becomes the primary (the user had
    /// none, or asked for the change); then [`UserLoggedIn`] if
    /// `pending_login` is the sign-up's deferred login for this address and
    /// [`login_on_email_confirmation`](super::Settings::login_on_email_confirmation)
    /// is set.
    pub async fn confirm_email(
        &self,
        request: &RequestContext,
        key: &Secret<String>,
        pending_login: Option<&PendingLogin>,
    ) -> Result<ConfirmOutcome<S::User>, FlowError> {
        let confirmation = self
            .store
            .take_confirmation(key)
            .await?
            .ok_or(FlowError::InvalidKey)?;
        if self.expired(confirmation.sent.unwrap_or(confirmation.created)) {
            return Err(FlowError::InvalidKey);
        }
        let requested = confirmation.email_address;
        let user = self.require_user(&requested.user_id).await?;
        let mut address = match self.store.email_address(&requested.email).await? {
            Some(stored) if stored.user_id == requested.user_id => stored,
            Some(_) => return Err(FlowError::EmailInUse),
            None => {
                let added = EmailAddress::new(user.id(), &requested.email).verified(true);
                self.store.save_email_address(&added).await?;
                EmailAdded {
                    request,
                    user: dyn_user(&user),
                    email_address: &added,
                }
                .send_async()
                .await?;
                // An address stored only now was asked for as the new
                // primary.
                self.confirm_and_promote(request, &user, added, true)
                    .await?;
                return self
                    .resume_login(request, user, &requested, pending_login)
                    .await;
            }
        };
        address.verified = true;
        self.confirm_and_promote(request, &user, address, false)
            .await?;
        self.resume_login(request, user, &requested, pending_login)
            .await
    }

    async fn confirm_and_promote(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        mut address: EmailAddress,
        make_primary: bool,
    ) -> Result<(), FlowError> {
        self.store.save_email_address(&address).await?;
        EmailConfirmed {
            request,
            email_address: &address,
        }
        .send_async()
        .await?;
        if address.primary {
            return Ok(());
        }
        let previous = self.primary_of(&user.id()).await?;
        if make_primary || previous.is_none() {
            self.promote(request, user, &mut address, previous).await?;
        }
        Ok(())
    }

    async fn resume_login(
        &self,
        request: &RequestContext,
        user: Arc<S::User>,
        address: &EmailAddress,
        pending_login: Option<&PendingLogin>,
    ) -> Result<ConfirmOutcome<S::User>, FlowError> {
        let stored = self
            .store
            .email_address(&address.email)
            .await?
            .unwrap_or_else(|| address.clone());
        let resumes = self.settings.login_on_email_confirmation
            && pending_login.is_some_and(|pending| {
                pending.user_id == user.id() && pending.email == address.email
            });
        if resumes {
            let login = self.log_in(request, user, None).await?;
            Ok(ConfirmOutcome::LoggedIn(stored, login))
        } else {
            Ok(ConfirmOutcome::Confirmed(stored))
        }
    }

    async fn primary_of(&self, user_id: &str) -> Result<Option<EmailAddress>, FlowError> {
        Ok(self
            .store
            .email_addresses(user_id)
            .await?
            .into_iter()
            .find(|address| address.primary))
    }

    /// Makes `address` the primary, demoting `previous`, and sends
    /// [`EmailChanged`].
    async fn promote(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        address: &mut EmailAddress,
        previous: Option<EmailAddress>,
    ) -> Result<(), FlowError> {
        let previous = match previous {
            Some(mut previous) if previous.email != address.email => {
                previous.primary = false;
                self.store.save_email_address(&previous).await?;
                Some(previous)
            }
            other => other,
        };
        address.primary = true;
        self.store.save_email_address(address).await?;
        EmailChanged {
            request,
            user: dyn_user(user),
            from_email_address: previous.as_ref(),
            to_email_address: address,
        }
        .send_async()
        .await?;
        Ok(())
    }

    fn expired(&self, since: SystemTime) -> bool {
        since
            .elapsed()
            .is_ok_and(|age| age > self.settings.key_expiry)
    }

    /// Adds an unverified address to a user and mails a confirmation.
    ///
    /// Sends [`EmailConfirmationSent`] (`signup: false`), then
    /// [`EmailAdded`].
    pub async fn add_email(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<EmailAddress, FlowError> {
        let email = normalize_email(email);
        if self.store.email_address(&email).await?.is_some() {
            return Err(FlowError::EmailInUse);
        }
        let address = EmailAddress::new(user.id(), &email);
        self.store.save_email_address(&address).await?;
        self.send_confirmation(request, &address, false).await?;
        EmailAdded {
            request,
            user: dyn_user(user),
            email_address: &address,
        }
        .send_async()
        .await?;
        Ok(address)
    }

    /// Asks to change the user's address: a confirmation goes to the new
    /// address, which is stored only when confirmed (then it becomes the
    /// primary). Sends [`EmailConfirmationSent`] (`signup: false`); the
    /// confirmation sends the rest.
    pub async fn change_email(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<(), FlowError> {
        let email = normalize_email(email);
        if self.store.email_address(&email).await?.is_some() {
            return Err(FlowError::EmailInUse);
        }
        let address = EmailAddress::new(user.id(), &email);
        self.send_confirmation(request, &address, false).await
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
        let mut address = self.address_of(user, email).await?;
        let previous = self.primary_of(&user.id()).await?;
        if !address.verified && previous.as_ref().is_some_and(|primary| primary.verified) {
            return Err(FlowError::UnverifiedEmail);
        }
        self.promote(request, user, &mut address, previous).await?;
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
        let address = self.address_of(user, email).await?;
        if address.primary {
            return Err(FlowError::PrimaryEmail);
        }
        self.store.delete_email_address(&address.email).await?;
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
        user: &Arc<S::User>,
        email: &str,
    ) -> Result<EmailAddress, FlowError> {
        match self.store.email_address(email).await? {
            Some(address) if address.user_id == user.id() => Ok(address),
            _ => Err(FlowError::UnknownEmail),
        }
    }

    /// Logs a user in with a username or address and a password.
    ///
    /// Sends [`UserLoggedIn`]; or, when verification is mandatory and the
    /// user has no verified address, [`EmailConfirmationSent`]
    /// (`signup: false`) for the primary address and no login.
    pub async fn login(
        &self,
        request: &RequestContext,
        credentials: Credentials,
    ) -> Result<LoginOutcome<S::User>, FlowError> {
        let user = if credentials.login.contains('@') {
            match self.store.email_address(&credentials.login).await? {
                Some(address) => self.store.user(&address.user_id).await?,
                None => None,
            }
        } else {
            self.store.user_by_username(&credentials.login).await?
        };
        let user = user.ok_or(FlowError::InvalidCredentials)?;
        if !self
            .store
            .check_password(&user.id(), &credentials.password)
            .await?
        {
            return Err(FlowError::InvalidCredentials);
        }
        if self.settings.email_verification == EmailVerification::Mandatory {
            let addresses = self.store.email_addresses(&user.id()).await?;
            if !addresses.iter().any(|address| address.verified) {
                if let Some(primary) = addresses.first() {
                    self.send_confirmation(request, primary, false).await?;
                    let pending_login = PendingLogin {
                        user_id: user.id(),
                        email: primary.email.clone(),
                    };
                    return Ok(LoginOutcome::VerificationRequired {
                        user,
                        pending_login,
                    });
                }
            }
        }
        self.log_in(request, user, None)
            .await
            .map(LoginOutcome::LoggedIn)
    }

    /// Logs out the user of the request's session.
    ///
    /// Sends [`UserLoggedOut`], then deletes the session (even if a
    /// receiver failed; its error is returned after). Without an
    /// authenticated session nothing is sent and `None` is returned.
    pub async fn logout(
        &self,
        request: &RequestContext,
    ) -> Result<Option<Arc<S::User>>, FlowError> {
        let Some(key) = request.session_key() else {
            return Ok(None);
        };
        let Some(user) = self.store.session_user(key).await? else {
            return Ok(None);
        };
        let sent = UserLoggedOut {
            request,
            user: Some(dyn_user(&user)),
        }
        .send_async()
        .await;
        self.store.delete_session(key).await?;
        sent?;
        Ok(Some(user))
    }

    /// Sets a password for a user who has no usable one (one who signed up
    /// through a provider). Sends [`PasswordSet`].
    pub async fn set_password(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        password: &Secret<String>,
    ) -> Result<(), FlowError> {
        if self.store.has_usable_password(&user.id()).await? {
            return Err(FlowError::PasswordAlreadySet);
        }
        self.store.set_password(&user.id(), Some(password)).await?;
        PasswordSet {
            request,
            user: dyn_user(user),
        }
        .send_async()
        .await?;
        Ok(())
    }

    /// Changes a user's password, checking the current one.
    ///
    /// Sends [`UserLoggedOut`] first if
    /// [`logout_on_password_change`](super::Settings::logout_on_password_change)
    /// is set and the request's session is the user's; then
    /// [`PasswordChanged`]. A user with no usable password gets the new one
    /// set without a check, and [`PasswordSet`] instead.
    pub async fn change_password(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        current: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<(), FlowError> {
        if !self.store.has_usable_password(&user.id()).await? {
            return self.set_password(request, user, new).await;
        }
        if !self.store.check_password(&user.id(), current).await? {
            return Err(FlowError::WrongPassword);
        }
        self.store.set_password(&user.id(), Some(new)).await?;
        if self.settings.logout_on_password_change {
            if let Some(key) = request.session_key() {
                let owner = self.store.session_user(key).await?;
                if owner.is_some_and(|owner| owner.id() == user.id()) {
                    self.logout(request).await?;
                }
            }
        }
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
        let email = normalize_email(email);
        let Some(address) = self.store.email_address(&email).await? else {
            return self.mail(Mail::UnknownAccount { to: email }).await;
        };
        let key = self.store.generate_key();
        self.store
            .save_reset_key(&address.user_id, &key, SystemTime::now())
            .await?;
        self.mail(Mail::PasswordReset { to: email, key }).await
    }

    /// Resets a password with the key from a reset mail.
    ///
    /// Sends [`PasswordReset`], then mails the "password reset" notice;
    /// then, if [`login_on_password_reset`](super::Settings::login_on_password_reset)
    /// is set, [`UserLoggedIn`].
    pub async fn reset_password(
        &self,
        request: &RequestContext,
        key: &Secret<String>,
        new: &Secret<String>,
    ) -> Result<ResetOutcome<S::User>, FlowError> {
        let (user_id, created) = self
            .store
            .take_reset_key(key)
            .await?
            .ok_or(FlowError::InvalidKey)?;
        if self.expired(created) {
            return Err(FlowError::InvalidKey);
        }
        let user = self.require_user(&user_id).await?;
        self.store.set_password(&user_id, Some(new)).await?;
        PasswordReset {
            request,
            user: dyn_user(&user),
        }
        .send_async()
        .await?;
        if let Some(primary) = self.primary_of(&user_id).await? {
            self.mail(Mail::PasswordResetDone { to: primary.email })
                .await?;
        }
        if self.settings.login_on_password_reset {
            self.log_in(request, user, None)
                .await
                .map(ResetOutcome::LoggedIn)
        } else {
            Ok(ResetOutcome::Reset(user))
        }
    }
}
