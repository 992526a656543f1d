//! The fifteen django-allauth signals, typed, with the models they carry and
//! reference flows that send them in allauth's order.
//!
//! - [`account`][]: [`UserLoggedIn`](account::UserLoggedIn),
//!   [`UserLoggedOut`](account::UserLoggedOut),
//!   [`UserSignedUp`](account::UserSignedUp),
//!   [`PasswordSet`](account::PasswordSet),
//!   [`PasswordChanged`](account::PasswordChanged),
//!   [`PasswordReset`](account::PasswordReset),
//!   [`EmailConfirmed`](account::EmailConfirmed),
//!   [`EmailConfirmationSent`](account::EmailConfirmationSent),
//!   [`EmailChanged`](account::EmailChanged),
//!   [`EmailAdded`](account::EmailAdded),
//!   [`EmailRemoved`](account::EmailRemoved).
//! - [`socialaccount`][]: [`PreSocialLogin`](socialaccount::PreSocialLogin),
//!   [`SocialAccountAdded`](socialaccount::SocialAccountAdded),
//!   [`SocialAccountUpdated`](socialaccount::SocialAccountUpdated),
//!   [`SocialAccountRemoved`](socialaccount::SocialAccountRemoved).
//! - The models: [`RequestContext`] (built from an `http` request, without
//!   its body), the application's own user type behind [`AuthUser`],
//!   [`EmailAddress`], [`EmailConfirmation`], [`SocialLogin`],
//!   [`SocialAccount`], [`SocialToken`], [`SocialApp`].
//! - [`flows`]: sign-up, login, logout, addresses, passwords and social
//!   logins over a [`Store`] (in memory: [`memory::MemoryStore`]; in SQLite
//!   or PostgreSQL: `sql::SqlStore`, features `sqlite` and `postgres`) and a
//!   [`Mailer`](mail::Mailer).
//!
//! Every signal is `#[signal(async)]`: receivers are plain or `async fn`s
//! registered with `#[receiver]` from any crate (which depends on
//! `signals-core` for the attribute).
//!
//! # Receive
//!
//! ```
//! use signals_auth::account::UserSignedUp;
//! use signals_auth::flows::{Accounts, Settings, SignupForm};
//! use signals_auth::memory::{BasicUser, MemoryMailer, MemoryStore};
//! use signals_auth::RequestContext;
//! use signals_core::receiver;
//!
//! #[receiver(signal = UserSignedUp)]
//! async fn welcome(event: &UserSignedUp<'_>) -> Result<(), std::io::Error> {
//!     // The user is the application's own type.
//!     let user = event.user.downcast_ref::<BasicUser>().unwrap();
//!     println!("welcome, {}", user.email.as_deref().unwrap_or("?"));
//!     Ok(())
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let accounts = Accounts::new(MemoryStore::new(), MemoryMailer::new(), Settings::new());
//! let request = http::Request::post("/accounts/signup/").body(()).unwrap();
//! let request = RequestContext::from_request(&request);
//! accounts.signup(&request, SignupForm::new("alice@example.com")).await.unwrap();
//! # });
//! ```
//!
//! # Order within a flow
//!
//! The [flows](flows::Accounts) send the signals in allauth's order:
//!
//! | flow | signals |
//! |---|---|
//! | sign-up, verification none | `UserSignedUp`, `UserLoggedIn` |
//! | sign-up, verification optional | `UserSignedUp`, `EmailConfirmationSent{signup: true}`, `UserLoggedIn` |
//! | sign-up, verification mandatory | `UserSignedUp`, `EmailConfirmationSent{signup: true}`; no login |
//! | confirm an address | (`EmailAdded` if it was not stored yet), `EmailConfirmed`, (`EmailChanged{from: previous primary}` if it becomes the primary), (`UserLoggedIn` if it resumes the sign-up's login) |
//! | add an address | `EmailConfirmationSent{signup: false}`, `EmailAdded` |
//! | mark a primary | `EmailChanged{from: current primary or None, to}` |
//! | remove an address | `EmailRemoved` |
//! | login | `UserLoggedIn` (or, verification mandatory and nothing verified: `EmailConfirmationSent{signup: false}`) |
//! | logout | `UserLoggedOut`, then the session is deleted |
//! | password change | (`UserLoggedOut` if the site logs out on password change), `PasswordChanged`; `PasswordSet` instead without a usable password |
//! | password reset | `PasswordReset`, (`UserLoggedIn` with login-on-reset) |
//! | social login, existing account | `SocialAccountUpdated`, `PreSocialLogin`, `UserLoggedIn{sociallogin}` |
//! | social login, attached by a receiver | `PreSocialLogin`, `SocialAccountAdded`, `UserLoggedIn{sociallogin}` |
//! | social login, new user | `PreSocialLogin`, `UserSignedUp{sociallogin}`, `UserLoggedIn{sociallogin}`; never `SocialAccountAdded` |
//! | social connect | `PreSocialLogin`, `SocialAccountAdded` |
//! | social disconnect | `SocialAccountRemoved`, after the deletion |
//!
//! A receiver's `Err` stops its flow ([`FlowError::Receiver`](flows::FlowError::Receiver)),
//! as an exception does in allauth. A `PreSocialLogin` receiver vetoes a
//! social login with an [`ImmediateResponse`]
//! and attaches it to an existing user with [`SocialLogin::connect`].
//!
//! # Secrets
//!
//! Confirmation and reset keys, tokens, app secrets, session keys and
//! passwords are [`Secret`]s; the request's `Cookie`, `Authorization`,
//! `Proxy-Authorization` and `Set-Cookie` headers (and similar) are
//! redacted; social profile data prints its keys only. So `{:?}` of every
//! signal and model is safe to log. With the `serde` feature, models
//! serialize without their secrets.
//!
//! # Features
//!
//! - `serde`: `Serialize` and `Deserialize` for the models and settings.
//! - `axum`: [`RequestContext`] as an axum extractor (peer address from
//!   `ConnectInfo`, session key from the session cookie) and
//!   [`web::SessionCookie`], which sets the cookie with secure attributes.
//!   `cargo run -p signals-auth --features axum --example web` serves the
//!   flows over HTTP on localhost.
//! - `sqlite`: `sql::SqlStore`, the [`Store`] in a SQLite database (a file
//!   or `:memory:`) through sqlx, with its migrations, real transactions
//!   and unique constraints.
//! - `postgres`: `sql::SqlStore` in PostgreSQL too.
//!
//! The `http` crate the models are built on is re-exported as
//! [`signals_auth::http`](http), so its version always matches.

#![warn(missing_docs)]

pub mod account;
pub mod flows;
pub mod mail;
pub mod memory;
mod models;
mod password;
mod request;
pub mod secret;
pub mod socialaccount;
#[cfg(feature = "sqlite")]
pub mod sql;
mod store;
mod user;
#[cfg(feature = "axum")]
pub mod web;

pub use http;
mod validate;

pub use models::{
    normalize_email, EmailAddress, EmailConfirmation, ExtraData, Process, SocialAccount, SocialApp,
    SocialLogin, SocialLoginState, SocialToken,
};
pub use request::{is_sensitive_header, RequestContext, ResponseContext};
pub use secret::Secret;
pub use socialaccount::ImmediateResponse;
pub use store::{
    generate_key, is_well_formed_key, Conflict, NewUser, Store, StoreError, StoreResult,
    Transaction, KEY_BYTES,
};
pub use user::AuthUser;
pub use validate::{validate_email, validate_username, MAX_EMAIL_LENGTH, MAX_USERNAME_LENGTH};
