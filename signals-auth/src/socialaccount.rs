//! The four signals of allauth's `socialaccount` app, and
//! [`ImmediateResponse`], the typed veto of a [`PreSocialLogin`] receiver.
//!
//! All are `#[signal(async)]`; see [`account`](crate::account) for how they
//! are sent.

use std::error::Error;
use std::fmt;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;
use signals_core::signal;

use crate::models::{SocialAccount, SocialLogin};
use crate::request::{RedactedHeaders, RequestContext};

/// Sent after the provider authenticated the user, before the login is
/// processed (allauth's `pre_social_login`).
///
/// **When:** on every social login and social connect, after the provider's
/// answer is known and, for an already connected account, after
/// [`SocialAccountUpdated`]. `sociallogin.user()` is the account's owner
/// for an existing account, `None` for a new one.
///
/// **What a receiver can do**, both honoured by the
/// [flows](crate::flows::Accounts::social_login):
/// - **veto**: return `Err(ImmediateResponse)`; the flow stops and hands
///   the response back as
///   [`SocialLoginOutcome::Aborted`](crate::flows::SocialLoginOutcome::Aborted),
///   and no login signal follows;
/// - **attach**: call [`sociallogin.connect(user)`](SocialLogin::connect)
///   on a new account; the flow connects the account to that existing user
///   ([`SocialAccountAdded`]) and logs them in instead of signing a new
///   user up.
///
/// **What follows:** for an existing account or an attached one,
/// `UserLoggedIn`; for a new one, `UserSignedUp` then `UserLoggedIn`; for a
/// connect, [`SocialAccountAdded`].
///
/// ```
/// use signals_auth::socialaccount::{ImmediateResponse, PreSocialLogin};
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, SocialAccount, SocialLogin};
///
/// #[receiver(signal = PreSocialLogin, order = -10)]
/// fn block_unverified(event: &PreSocialLogin) -> Result<(), ImmediateResponse> {
///     if event.sociallogin.verified_emails().next().is_none() {
///         return Err(ImmediateResponse::new(
///             http::StatusCode::FORBIDDEN,
///             "Sign in with a provider that verified your email address.",
///         ));
///     }
///     Ok(())
/// }
///
/// # let request = RequestContext::new(http::Method::GET, "/accounts/github/login/callback/".parse().unwrap());
/// let login = SocialLogin::new(SocialAccount::new("github", "1234"));
/// let error = PreSocialLogin { request: &request, sociallogin: &login }
///     .send_blocking()
///     .unwrap_err();
/// let response = error.error().downcast_ref::<ImmediateResponse>().unwrap();
/// assert_eq!(response.status(), http::StatusCode::FORBIDDEN);
/// ```
#[signal(name = "allauth.socialaccount.pre_social_login", async)]
#[derive(Debug)]
pub struct PreSocialLogin<'a> {
    /// The provider's callback request.
    pub request: &'a RequestContext,
    /// The login, as the provider returned it.
    pub sociallogin: &'a SocialLogin,
}

/// Sent when a provider account was connected to a local user (allauth's
/// `social_account_added`).
///
/// **When:** after the account is saved: by a social connect (after
/// [`PreSocialLogin`]), and when a `PreSocialLogin` receiver attached a new
/// account to an existing user. Never on a social sign-up: the account
/// comes with the new user, announced by `UserSignedUp` (allauth documents
/// this).
///
/// **What follows:** `UserLoggedIn` of the existing user after an attach;
/// nothing after a connect.
///
/// ```
/// use signals_auth::socialaccount::SocialAccountAdded;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, SocialAccount, SocialLogin};
///
/// #[receiver(signal = SocialAccountAdded)]
/// async fn import_avatar(event: &SocialAccountAdded<'_>) -> Result<(), std::io::Error> {
///     if let Some(url) = event.sociallogin.account.extra_data.get("avatar_url") {
///         println!("importing the avatar at {url}");
///     }
///     Ok(())
/// }
///
/// # let request = RequestContext::new(http::Method::GET, "/accounts/github/login/callback/".parse().unwrap());
/// let login = SocialLogin::new(SocialAccount::new("github", "1234"));
/// SocialAccountAdded { request: &request, sociallogin: &login }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.socialaccount.social_account_added", async)]
#[derive(Debug)]
pub struct SocialAccountAdded<'a> {
    /// The request that connected the account.
    pub request: &'a RequestContext,
    /// The login whose account was connected; its `user()` is the owner.
    pub sociallogin: &'a SocialLogin,
}

/// Sent when a login or connect came through an account that was already
/// connected, after its profile data and token were saved (allauth's
/// `social_account_updated`).
///
/// **When:** first thing in a social login or connect of an existing
/// account, before [`PreSocialLogin`].
///
/// **What follows:** [`PreSocialLogin`], then the login.
///
/// ```
/// use signals_auth::socialaccount::SocialAccountUpdated;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, SocialAccount, SocialLogin};
///
/// #[receiver(signal = SocialAccountUpdated)]
/// fn refresh_profile(event: &SocialAccountUpdated) {
///     let account = &event.sociallogin.account;
///     println!("{} account {} has {} profile fields", account.provider, account.uid, account.extra_data.len());
/// }
///
/// # let request = RequestContext::new(http::Method::GET, "/accounts/github/login/callback/".parse().unwrap());
/// let login = SocialLogin::new(SocialAccount::new("github", "1234"));
/// SocialAccountUpdated { request: &request, sociallogin: &login }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.socialaccount.social_account_updated", async)]
#[derive(Debug)]
pub struct SocialAccountUpdated<'a> {
    /// The login request.
    pub request: &'a RequestContext,
    /// The login, with the account as saved.
    pub sociallogin: &'a SocialLogin,
}

/// Sent after a provider account was disconnected and deleted (allauth's
/// `social_account_removed`).
///
/// **When:** by the social disconnect flow, after the deletion. A user
/// cannot remove the last way they have to log in.
///
/// **What follows:** nothing.
///
/// ```
/// use signals_auth::socialaccount::SocialAccountRemoved;
/// use signals_core::receiver;
/// # use signals_auth::{RequestContext, SocialAccount};
///
/// #[receiver(signal = SocialAccountRemoved)]
/// fn forget_tokens(event: &SocialAccountRemoved) {
///     println!("forgetting the {} tokens of {}", event.socialaccount.provider, event.socialaccount.uid);
/// }
///
/// # let request = RequestContext::new(http::Method::POST, "/accounts/social/connections/".parse().unwrap());
/// let account = SocialAccount::new("github", "1234");
/// SocialAccountRemoved { request: &request, socialaccount: &account }.send_blocking().unwrap();
/// ```
#[signal(name = "allauth.socialaccount.social_account_removed", async)]
#[derive(Debug)]
pub struct SocialAccountRemoved<'a> {
    /// The request that removed the account.
    pub request: &'a RequestContext,
    /// The account, as it was before deletion.
    pub socialaccount: &'a SocialAccount,
}

/// The response a [`PreSocialLogin`] receiver returns, as its error, to
/// stop the login (allauth's `ImmediateHttpResponse`).
///
/// The flow finds it in the send's error and returns it as
/// [`SocialLoginOutcome::Aborted`](crate::flows::SocialLoginOutcome::Aborted);
/// no login or sign-up signal follows. Turn it into an `http::Response`
/// with [`into_response`](Self::into_response).
///
/// ```
/// use signals_auth::socialaccount::ImmediateResponse;
///
/// let response = ImmediateResponse::new(http::StatusCode::SEE_OTHER, "")
///     .with_header(http::header::LOCATION, http::HeaderValue::from_static("/blocked/"))
///     .into_response();
/// assert_eq!(response.status(), 303);
/// assert_eq!(response.headers()["location"], "/blocked/");
/// ```
#[derive(Clone)]
pub struct ImmediateResponse(
    // Boxed so that `Result<(), ImmediateResponse>` stays one pointer wide
    // (a `HeaderMap` alone is about a hundred bytes; clippy's
    // `result_large_err` would flag every receiver that returns it).
    Box<Response>,
);

#[derive(Clone)]
struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl ImmediateResponse {
    /// A response with a status and a body.
    pub fn new(status: StatusCode, body: impl Into<String>) -> Self {
        ImmediateResponse(Box::new(Response {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }))
    }

    /// The same response with one more header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.append(name, value);
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The body.
    pub fn body(&self) -> &str {
        &self.0.body
    }

    /// The `http::Response` to send back.
    pub fn into_response(self) -> http::Response<String> {
        let Response {
            status,
            headers,
            body,
        } = *self.0;
        let mut response = http::Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }
}

impl fmt::Debug for ImmediateResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImmediateResponse")
            .field("status", &self.0.status)
            .field("headers", &RedactedHeaders(&self.0.headers))
            .field("body", &self.0.body)
            .finish()
    }
}

impl fmt::Display for ImmediateResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "login stopped with an immediate {} response",
            self.0.status
        )
    }
}

impl Error for ImmediateResponse {}
