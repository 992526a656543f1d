//! The social flows: login (existing account, attached, new user),
//! connect, disconnect.

use std::sync::Arc;
use std::time::SystemTime;

use signals_core::SendError;

use super::{dyn_user, Accounts, ConnectOutcome, FlowError, SocialLoginOutcome};
use crate::account::UserSignedUp;
use crate::mail::Mailer;
use crate::models::{EmailAddress, Process, SocialAccount, SocialLogin};
use crate::request::RequestContext;
use crate::socialaccount::{
    ImmediateResponse, PreSocialLogin, SocialAccountAdded, SocialAccountRemoved,
    SocialAccountUpdated,
};
use crate::store::{NewUser, Store};
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

impl<S: Store, M: Mailer> Accounts<S, M> {
    /// Looks the login's account up; if it is connected already, updates
    /// its data and token, records its owner and sends
    /// [`SocialAccountUpdated`]. Returns the owner.
    async fn lookup(
        &self,
        request: &RequestContext,
        sociallogin: &mut SocialLogin,
    ) -> Result<Option<Arc<S::User>>, FlowError> {
        let account = &mut sociallogin.account;
        let Some(stored) = self
            .store
            .social_account(&account.provider, &account.uid)
            .await?
        else {
            return Ok(None);
        };
        let owner_id = stored.user_id.clone().unwrap_or_default();
        let owner = self.require_user(&owner_id).await?;
        account.user_id = Some(owner_id);
        account.date_joined = stored.date_joined;
        account.last_login = Some(SystemTime::now());
        self.store
            .save_social_account(account, sociallogin.token.as_ref())
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

    /// Connects the login's (new) account to `user` and saves it.
    async fn save_new_account(
        &self,
        sociallogin: &mut SocialLogin,
        user: &Arc<S::User>,
    ) -> Result<(), FlowError> {
        let now = SystemTime::now();
        let account = &mut sociallogin.account;
        account.user_id = Some(user.id());
        account.date_joined = Some(now);
        account.last_login = Some(now);
        self.store
            .save_social_account(account, sociallogin.token.as_ref())
            .await?;
        sociallogin.set_user(Some(dyn_user(user)));
        Ok(())
    }

    /// Logs in through a provider, after the provider authenticated the
    /// user.
    ///
    /// - **existing account:** [`SocialAccountUpdated`], [`PreSocialLogin`],
    ///   `UserLoggedIn{sociallogin}` of its owner;
    /// - **new account a receiver attached** with
    ///   [`SocialLogin::connect`]: [`PreSocialLogin`],
    ///   [`SocialAccountAdded`], `UserLoggedIn{sociallogin}` of that user;
    /// - **new account:** [`PreSocialLogin`], a new user and its addresses,
    ///   `UserSignedUp{sociallogin}`, then as a sign-up
    ///   (`EmailConfirmationSent` for an address the provider did not
    ///   verify, unless verification is none; `UserLoggedIn{sociallogin}`
    ///   unless it is mandatory). Never `SocialAccountAdded`.
    ///
    /// A `PreSocialLogin` receiver's [`ImmediateResponse`] ends the flow
    /// with [`SocialLoginOutcome::Aborted`]; nothing is sent after it. A
    /// new account whose address belongs to another user, and that no
    /// receiver attached, fails with [`FlowError::EmailInUse`].
    pub async fn social_login(
        &self,
        request: &RequestContext,
        mut sociallogin: SocialLogin,
    ) -> Result<SocialLoginOutcome<S::User>, FlowError> {
        if sociallogin.state.process == Process::Connect {
            sociallogin.state.process = Process::Login;
        }
        let owner = self.lookup(request, &mut sociallogin).await?;
        if let Verdict::Abort(response) = pre_social_login(request, &sociallogin).await? {
            return Ok(SocialLoginOutcome::Aborted(response));
        }
        if let Some(owner) = owner {
            // An account already connected logs its owner in, whatever a
            // receiver attached.
            sociallogin.set_user(Some(dyn_user(&owner)));
            let login = self.log_in(request, owner, Some(&sociallogin)).await?;
            return Ok(SocialLoginOutcome::LoggedIn(login));
        }
        if let Some(attached) = sociallogin.user() {
            let user = self.require_user(&attached.id()).await?;
            self.save_new_account(&mut sociallogin, &user).await?;
            SocialAccountAdded {
                request,
                sociallogin: &sociallogin,
            }
            .send_async()
            .await?;
            let login = self.log_in(request, user, Some(&sociallogin)).await?;
            return Ok(SocialLoginOutcome::Attached(login));
        }
        self.social_signup(request, sociallogin).await
    }

    async fn social_signup(
        &self,
        request: &RequestContext,
        mut sociallogin: SocialLogin,
    ) -> Result<SocialLoginOutcome<S::User>, FlowError> {
        // The provider's addresses, verified ones first; the first becomes
        // the primary.
        let mut reported: Vec<EmailAddress> = sociallogin.email_addresses.clone();
        reported.sort_by_key(|address| !address.verified);
        reported.dedup_by(|a, b| a.email == b.email);
        for address in &reported {
            if self.store.email_address(&address.email).await?.is_some() {
                return Err(FlowError::EmailInUse);
            }
        }
        let new = NewUser {
            username: None,
            email: reported.first().map(|address| address.email.clone()),
        };
        let user = self.store.create_user(&new).await?;
        self.store.set_password(&user.id(), None).await?;
        let mut primary = None;
        for (i, reported) in reported.iter().enumerate() {
            let address = EmailAddress::new(user.id(), &reported.email)
                .verified(reported.verified)
                .primary(i == 0);
            self.store.save_email_address(&address).await?;
            if i == 0 {
                primary = Some(address);
            }
        }
        self.save_new_account(&mut sociallogin, &user).await?;
        UserSignedUp {
            request,
            user: dyn_user(&user),
            sociallogin: Some(&sociallogin),
        }
        .send_async()
        .await?;
        let completed = match &primary {
            Some(primary) => {
                self.complete_signup(request, user, primary, Some(&sociallogin))
                    .await?
            }
            // No address at all: nothing to verify.
            None => Ok(self.log_in(request, user, Some(&sociallogin)).await?),
        };
        Ok(match completed {
            Ok(login) => SocialLoginOutcome::SignedUp(login),
            Err((user, pending_login)) => SocialLoginOutcome::VerificationRequired {
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
        sociallogin.state.process = Process::Connect;
        let account = &sociallogin.account;
        if let Some(stored) = self
            .store
            .social_account(&account.provider, &account.uid)
            .await?
        {
            if stored.user_id.as_deref() != Some(user.id().as_str()) {
                return Err(FlowError::AccountInUse);
            }
            self.lookup(request, &mut sociallogin).await?;
            return Ok(match pre_social_login(request, &sociallogin).await? {
                Verdict::Abort(response) => ConnectOutcome::Aborted(response),
                Verdict::Proceed => ConnectOutcome::Updated(sociallogin.account),
            });
        }
        sociallogin.set_user(Some(dyn_user(user)));
        if let Verdict::Abort(response) = pre_social_login(request, &sociallogin).await? {
            return Ok(ConnectOutcome::Aborted(response));
        }
        self.save_new_account(&mut sociallogin, user).await?;
        SocialAccountAdded {
            request,
            sociallogin: &sociallogin,
        }
        .send_async()
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
        let user_id = user.id();
        let account = match self.store.social_account(provider, uid).await? {
            Some(account) if account.user_id.as_deref() == Some(user_id.as_str()) => account,
            _ => return Err(FlowError::UnknownAccount),
        };
        let others = self.store.social_accounts(&user_id).await?.len() > 1;
        if !others && !self.store.has_usable_password(&user_id).await? {
            return Err(FlowError::LastLoginMethod);
        }
        self.store.delete_social_account(provider, uid).await?;
        SocialAccountRemoved {
            request,
            socialaccount: &account,
        }
        .send_async()
        .await?;
        Ok(account)
    }
}
