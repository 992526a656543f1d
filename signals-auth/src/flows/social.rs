//! The social flows: login (existing account, attached, by email, new
//! user, re-authentication), connect, disconnect.

use std::sync::Arc;
use std::time::SystemTime;

use signals_core::SendError;

use super::account::{checked_email, Tx};
use super::{
    dyn_user, in_unit, Accounts, ConnectOutcome, EmailVerification, FlowError, LoggedIn,
    PendingLogin, SocialLoginOutcome, Unit,
};
use crate::account::UserSignedUp;
use crate::mail::Mailer;
use crate::models::{EmailAddress, Process, SocialAccount, SocialLogin};
use crate::request::RequestContext;
use crate::socialaccount::{
    ImmediateResponse, PreSocialLogin, SocialAccountAdded, SocialAccountRemoved,
    SocialAccountUpdated,
};
use crate::store::{NewUser, Store, Transaction};
use crate::user::AuthUser;

/// A `PreSocialLogin` send either went through, or a receiver vetoed with
/// an [`ImmediateResponse`].
enum Verdict {
    Proceed,
    Abort(ImmediateResponse),
}

async fn pre_social_login(
    request: &RequestContext,
    sociallogin: &SocialLogin,
) -> Result<Verdict, FlowError> {
    match (PreSocialLogin {
        request,
        sociallogin,
    })
    .send_async()
    .await
    {
        Ok(()) => Ok(Verdict::Proceed),
        Err(error) => veto(error),
    }
}

/// The receiver's `ImmediateResponse`, or the error as it came.
fn veto(error: SendError) -> Result<Verdict, FlowError> {
    if !error.error().is::<ImmediateResponse>() {
        return Err(FlowError::Receiver(error));
    }
    match error.into_error().downcast::<ImmediateResponse>() {
        Ok(response) => Ok(Verdict::Abort(*response)),
        Err(_) => unreachable!("checked to be an ImmediateResponse above"),
    }
}

/// Checks the addresses a provider reported like a user's, before anything
/// is sent or stored; keeps them normalized.
fn check_reported(sociallogin: &mut SocialLogin) -> Result<(), FlowError> {
    for address in &mut sociallogin.email_addresses {
        address.email = checked_email(&address.email)?;
    }
    Ok(())
}

impl<S: Store, M: Mailer> Accounts<S, M> {
    /// Looks the login's account up; if it is connected already, updates
    /// its data and token, records its owner and sends
    /// [`SocialAccountUpdated`]. Returns the owner.
    async fn lookup(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        sociallogin: &mut SocialLogin,
    ) -> Result<Option<Arc<S::User>>, FlowError> {
        let account = &mut sociallogin.account;
        let Some(stored) = unit
            .tx
            .social_account(&account.provider, &account.uid)
            .await?
        else {
            return Ok(None);
        };
        let owner_id = stored.user_id.clone().unwrap_or_default();
        let owner = self.require_user(unit, &owner_id).await?;
        let account = &mut sociallogin.account;
        account.user_id = Some(owner_id);
        account.date_joined = stored.date_joined;
        account.last_login = Some(SystemTime::now());
        unit.tx
            .update_social_account(account, sociallogin.token.as_ref())
            .await?;
        sociallogin.set_existing(true);
        sociallogin.set_user(Some(dyn_user(&owner)));
        SocialAccountUpdated {
            request,
            sociallogin,
        }
        .send_async()
        .await?;
        Ok(Some(owner))
    }

    /// With [`social_email_authentication`](super::Settings::social_email_authentication):
    /// the local user who has one of the addresses the provider verified
    /// (allauth's `_lookup_by_email`), and that address.
    async fn lookup_by_email(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        sociallogin: &mut SocialLogin,
    ) -> Result<Option<(Arc<S::User>, EmailAddress)>, FlowError> {
        if !self.settings.social_email_authentication {
            return Ok(None);
        }
        let verified: Vec<String> = sociallogin.verified_emails().map(str::to_owned).collect();
        for email in verified {
            let Some(address) = unit.tx.email_address(&email).await? else {
                continue;
            };
            let user = self.require_user(unit, &address.user_id).await?;
            sociallogin.set_user(Some(dyn_user(&user)));
            sociallogin.set_existing(true);
            return Ok(Some((user, address)));
        }
        Ok(None)
    }

    /// Connects the login's (new) account to `user` and saves it.
    async fn save_new_account(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        sociallogin: &mut SocialLogin,
        user: &Arc<S::User>,
    ) -> Result<(), FlowError> {
        let now = SystemTime::now();
        let account = &mut sociallogin.account;
        account.user_id = Some(user.id());
        account.date_joined = Some(now);
        account.last_login = Some(now);
        unit.tx
            .insert_social_account(account, sociallogin.token.as_ref())
            .await?;
        sociallogin.set_user(Some(dyn_user(user)));
        Ok(())
    }

    /// The stored account of a waiting social login, as a [`SocialLogin`]
    /// for the resumed `UserLoggedIn`.
    pub(super) async fn stored_login(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        user: &Arc<S::User>,
        provider: &str,
        uid: &str,
    ) -> Result<Option<SocialLogin>, FlowError> {
        let Some(account) = unit.tx.social_account(provider, uid).await? else {
            return Ok(None);
        };
        if account.user_id.as_deref() != Some(user.id().as_str()) {
            return Ok(None);
        }
        let token = unit.tx.social_token(provider, uid).await?;
        let mut login = SocialLogin::new(account);
        login.token = token;
        login.set_existing(true);
        login.set_user(Some(dyn_user(user)));
        Ok(Some(login))
    }

    /// A social login of an existing user: the login checks (an inactive
    /// user, mandatory verification), then the login.
    async fn social_log_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: Arc<S::User>,
        sociallogin: &SocialLogin,
    ) -> Result<Result<LoggedIn<S::User>, (Arc<S::User>, PendingLogin)>, FlowError> {
        if !user.is_active() {
            return Err(FlowError::InactiveUser);
        }
        if self.settings.email_verification == EmailVerification::Mandatory {
            if let Some(pending) = self
                .verification_needed(unit, request, &user, None, Some(sociallogin))
                .await?
            {
                return Ok(Err((user, pending)));
            }
        }
        let login = self.log_in(unit, request, user, Some(sociallogin)).await?;
        Ok(Ok(login))
    }

    /// Logs in through a provider, after the provider authenticated the
    /// user.
    ///
    /// - **existing account:** [`SocialAccountUpdated`], [`PreSocialLogin`],
    ///   `UserLoggedIn{sociallogin}` of its owner;
    /// - **new account a receiver attached** with
    ///   [`SocialLogin::connect`]: [`PreSocialLogin`],
    ///   [`SocialAccountAdded`], `UserLoggedIn{sociallogin}` of that user;
    /// - **new account whose verified address is a user's**, with
    ///   [`social_email_authentication`](super::Settings::social_email_authentication):
    ///   [`PreSocialLogin`] (with that user), [`SocialAccountAdded`] if
    ///   [auto-connect](super::Settings::social_email_authentication_auto_connect)
    ///   is on, `UserLoggedIn{sociallogin}`; the user's password is wiped
    ///   (and their sessions end) unless they verified that address
    ///   themselves;
    /// - **new account:** [`PreSocialLogin`], a new user and its addresses,
    ///   `UserSignedUp{sociallogin}`, then as a sign-up
    ///   (`EmailConfirmationSent` for an address the provider did not
    ///   verify, unless verification is none; `UserLoggedIn{sociallogin}`
    ///   unless it is mandatory). Never `SocialAccountAdded`.
    ///
    /// If someone is logged in on the request's session, they are logged
    /// out first ([`UserLoggedOut`](crate::account::UserLoggedOut), after
    /// `PreSocialLogin`). Logins of existing users pass the login checks: an
    /// inactive user is refused, and with mandatory verification a user
    /// without a verified address gets a confirmation mail instead
    /// ([`SocialLoginOutcome::VerificationRequired`]).
    ///
    /// With [`Process::Redirect`] (re-authentication) nothing follows
    /// `PreSocialLogin`: [`SocialLoginOutcome::Redirect`]. A
    /// `PreSocialLogin` receiver's [`ImmediateResponse`] ends the flow with
    /// [`SocialLoginOutcome::Aborted`]; nothing is sent after it. A new
    /// account whose address belongs to another user fails with
    /// [`FlowError::EmailInUse`].
    pub async fn social_login(
        &self,
        request: &RequestContext,
        mut sociallogin: SocialLogin,
    ) -> Result<SocialLoginOutcome<S::User>, FlowError> {
        if sociallogin.state.process == Process::Connect {
            sociallogin.state.process = Process::Login;
        }
        check_reported(&mut sociallogin)?;
        in_unit!(self, |unit| self.social_login_in(
            &mut unit,
            request,
            sociallogin
        ))
    }

    async fn social_login_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        mut sociallogin: SocialLogin,
    ) -> Result<SocialLoginOutcome<S::User>, FlowError> {
        let owner = self.lookup(unit, request, &mut sociallogin).await?;
        let by_email = match owner {
            Some(_) => None,
            None => self.lookup_by_email(unit, &mut sociallogin).await?,
        };
        if let Verdict::Abort(response) = pre_social_login(request, &sociallogin).await? {
            return Ok(SocialLoginOutcome::Aborted(response));
        }
        if sociallogin.state.process == Process::Redirect {
            let next = sociallogin
                .state
                .next
                .clone()
                .unwrap_or_else(|| "/".to_owned());
            let user = owner.or(by_email.map(|(user, _)| user));
            return Ok(SocialLoginOutcome::Redirect { user, next });
        }
        // allauth logs whoever is logged in out before a social login.
        self.logout_in(unit, request).await?;
        let (user, attached) = if let Some(owner) = owner {
            // An account already connected logs its owner in, whatever a
            // receiver attached.
            sociallogin.set_user(Some(dyn_user(&owner)));
            (owner, false)
        } else if let Some((user, address)) = by_email {
            if !address.verified {
                // Someone may have signed up with the victim's address and
                // a password of their own: lock them out.
                unit.tx.set_password_hash(&user.id(), None).await?;
                unit.tx.delete_sessions(&user.id(), None).await?;
            }
            let connect = self.settings.social_email_authentication_auto_connect;
            if connect {
                self.connect_to(unit, request, &mut sociallogin, &user)
                    .await?;
            }
            (user, connect)
        } else if let Some(attached) = sociallogin.user() {
            let user = self.require_user(unit, &attached.id()).await?;
            self.connect_to(unit, request, &mut sociallogin, &user)
                .await?;
            (user, true)
        } else {
            return self.social_signup(unit, request, sociallogin).await;
        };
        Ok(
            match self
                .social_log_in(unit, request, user, &sociallogin)
                .await?
            {
                Ok(login) if attached => SocialLoginOutcome::Attached(login),
                Ok(login) => SocialLoginOutcome::LoggedIn(login),
                Err((user, pending_login)) => SocialLoginOutcome::VerificationRequired {
                    user,
                    pending_login,
                },
            },
        )
    }

    /// Connects a new account to `user` and sends [`SocialAccountAdded`].
    async fn connect_to(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        sociallogin: &mut SocialLogin,
        user: &Arc<S::User>,
    ) -> Result<(), FlowError> {
        self.save_new_account(unit, sociallogin, user).await?;
        SocialAccountAdded {
            request,
            sociallogin,
        }
        .send_async()
        .await?;
        Ok(())
    }

    async fn social_signup(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        mut sociallogin: SocialLogin,
    ) -> Result<SocialLoginOutcome<S::User>, FlowError> {
        // The provider's addresses, checked like a user's, verified ones
        // first; the first becomes the primary.
        let mut reported: Vec<(String, bool)> = sociallogin
            .email_addresses
            .iter()
            .map(|address| (address.email.clone(), address.verified))
            .collect();
        reported.sort_by_key(|(_, verified)| !verified);
        reported.dedup_by(|a, b| a.0 == b.0);
        let new = NewUser {
            username: None,
            email: reported.first().map(|(email, _)| email.clone()),
        };
        let user = unit.tx.create_user(&new).await?;
        unit.tx.set_password_hash(&user.id(), None).await?;
        let mut primary = None;
        for (i, (email, verified)) in reported.iter().enumerate() {
            let address = EmailAddress::new(user.id(), email)
                .verified(*verified)
                .primary(i == 0);
            // The store's uniqueness rule, not a check first: an address of
            // another user fails the flow with `EmailInUse`.
            unit.tx.insert_email_address(&address).await?;
            if i == 0 {
                primary = Some(address);
            }
        }
        self.save_new_account(unit, &mut sociallogin, &user).await?;
        UserSignedUp {
            request,
            user: dyn_user(&user),
            sociallogin: Some(&sociallogin),
        }
        .send_async()
        .await?;
        let completed = match &primary {
            Some(primary) => {
                self.complete_signup(
                    unit,
                    request,
                    Arc::clone(&user),
                    primary,
                    Some(&sociallogin),
                )
                .await?
            }
            // No address at all: nothing to verify.
            None => Ok(self
                .log_in(unit, request, Arc::clone(&user), Some(&sociallogin))
                .await?),
        };
        Ok(match completed {
            Ok(login) => SocialLoginOutcome::SignedUp(login),
            Err(pending_login) => SocialLoginOutcome::VerificationRequired {
                user,
                pending_login,
            },
        })
    }

    /// Connects a provider account to the logged-in `user`.
    ///
    /// A new account: [`PreSocialLogin`], then [`SocialAccountAdded`]. An
    /// account already connected to `user`: [`SocialAccountUpdated`], then
    /// [`PreSocialLogin`]. An account connected to someone else fails with
    /// [`FlowError::AccountInUse`] before any signal. A `PreSocialLogin`
    /// receiver's [`ImmediateResponse`] ends the flow with
    /// [`ConnectOutcome::Aborted`]. The account always goes to `user`:
    /// [`SocialLogin::connect`] from a receiver is ignored here.
    pub async fn social_connect(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        mut sociallogin: SocialLogin,
    ) -> Result<ConnectOutcome, FlowError> {
        check_reported(&mut sociallogin)?;
        in_unit!(self, |unit| self.social_connect_in(
            &mut unit,
            request,
            user,
            sociallogin
        ))
    }

    async fn social_connect_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        mut sociallogin: SocialLogin,
    ) -> Result<ConnectOutcome, FlowError> {
        sociallogin.state.process = Process::Connect;
        let account = &sociallogin.account;
        if let Some(stored) = unit
            .tx
            .social_account(&account.provider, &account.uid)
            .await?
        {
            if stored.user_id.as_deref() != Some(user.id().as_str()) {
                return Err(FlowError::AccountInUse);
            }
            self.lookup(unit, request, &mut sociallogin).await?;
            return Ok(match pre_social_login(request, &sociallogin).await? {
                Verdict::Abort(response) => ConnectOutcome::Aborted(response),
                Verdict::Proceed => ConnectOutcome::Updated(sociallogin.account),
            });
        }
        sociallogin.set_user(Some(dyn_user(user)));
        if let Verdict::Abort(response) = pre_social_login(request, &sociallogin).await? {
            return Ok(ConnectOutcome::Aborted(response));
        }
        self.connect_to(unit, request, &mut sociallogin, user)
            .await?;
        Ok(ConnectOutcome::Connected(sociallogin.account))
    }

    /// Disconnects one of the user's provider accounts and deletes it;
    /// then sends [`SocialAccountRemoved`]. Refused when it is the user's
    /// last way to log in (no usable password and no other account).
    pub async fn social_disconnect(
        &self,
        request: &RequestContext,
        user: &Arc<S::User>,
        provider: &str,
        uid: &str,
    ) -> Result<SocialAccount, FlowError> {
        in_unit!(self, |unit| self
            .social_disconnect_in(&mut unit, request, user, provider, uid))
    }

    async fn social_disconnect_in(
        &self,
        unit: &mut Unit<Tx<'_, S>>,
        request: &RequestContext,
        user: &Arc<S::User>,
        provider: &str,
        uid: &str,
    ) -> Result<SocialAccount, FlowError> {
        let user_id = user.id();
        let account = match unit.tx.social_account(provider, uid).await? {
            Some(account) if account.user_id.as_deref() == Some(user_id.as_str()) => account,
            _ => return Err(FlowError::UnknownAccount),
        };
        let others = unit.tx.social_accounts(&user_id).await?.len() > 1;
        if !others && unit.tx.password_hash(&user_id).await?.is_none() {
            return Err(FlowError::LastLoginMethod);
        }
        unit.tx.delete_social_account(provider, uid).await?;
        SocialAccountRemoved {
            request,
            socialaccount: &account,
        }
        .send_async()
        .await?;
        Ok(account)
    }
}
