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
//! | confirm a stored address | `EmailConfirmed` (the address becomes the primary quietly if the user had none), (`UserLoggedIn` if it resumes the sign-up's login) |
//! | confirm an email change | `EmailAdded`, `EmailConfirmed`, `EmailChanged{from: previous primary}`, (`UserLoggedIn` if it resumes a login) |
//! | add an address | `EmailConfirmationSent{signup: false}`, `EmailAdded` |
//! | mark a primary | `EmailChanged{from: current primary or None, to}` |
//! | remove an address | `EmailRemoved` |
//! | login | `UserLoggedIn` (or, verification mandatory and the address typed, or any address, unverified: `EmailConfirmationSent{signup: false}` unless within the 180 s cooldown) |
//! | logout | `UserLoggedOut`, then the session is deleted |
//! | password change or first set | (`UserLoggedOut` if the site logs out on password change), `PasswordChanged` (`PasswordSet` without a usable password); the user's other sessions and reset keys end |
//! | password reset | `PasswordReset`, (`UserLoggedIn` with login-on-reset); every session and reset key of the user ends |
//! | social login, existing account | `SocialAccountUpdated`, `PreSocialLogin`, (`UserLoggedOut` of whoever was logged in), `UserLoggedIn{sociallogin}` |
//! | social login, attached by a receiver | `PreSocialLogin`, (`UserLoggedOut`), `SocialAccountAdded`, `UserLoggedIn{sociallogin}` |
//! | social login by email authentication | `PreSocialLogin`, (`UserLoggedOut`), (`SocialAccountAdded` with auto-connect), `UserLoggedIn{sociallogin}` |
//! | social login, new user | `PreSocialLogin`, (`UserLoggedOut`), `UserSignedUp{sociallogin}`, `UserLoggedIn{sociallogin}`; never `SocialAccountAdded` |
//! | social re-authentication (`Process::Redirect`) | (`SocialAccountUpdated`), `PreSocialLogin`; nothing else |
//! | social connect | `PreSocialLogin`, `SocialAccountAdded` |
//! | social disconnect | `SocialAccountRemoved`, after the deletion |
//!
//! A receiver's `Err` stops its flow ([`FlowError::Receiver`](flows::FlowError::Receiver)),
//! as an exception does in allauth. A `PreSocialLogin` receiver vetoes a
//! social login with an [`ImmediateResponse`]
//! and attaches it to an existing user with [`SocialLogin::connect`].
//!
//! # Atomic and race-free
//!
//! Each flow runs in one [`Transaction`] of its [`Store`]: it commits every
//! write once its last signal went through and its mails went out, or, when
//! a receiver returns `Err` or panics, when the mailer fails or the commit
//! finds a conflict, leaves the store exactly as it found it (no user,
//! address, consumed key or session of that flow remains, and no mail went
//! out), so a retry succeeds. Uniqueness (addresses, usernames, provider
//! accounts, single-use keys) is the store's: a unique constraint or an
//! atomic insert-if-absent, reported as a typed [`Conflict`], never a check
//! before the save. Two concurrent sign-ups with one address give one user
//! and one [`EmailInUse`](flows::FlowError::EmailInUse), on any store.
//! `tests/suite/` holds the tests every store must pass; `tests/memory.rs`
//! runs them on [`memory::MemoryStore`].
//!
//! # Secrets and input
//!
//! Passwords are stored only as argon2id hashes with a random salt; an
//! unknown login is answered as slowly as a wrong password. Each hash or
//! verification costs tens of milliseconds of CPU, inline in the flow's
//! future; with the `tokio` feature, on a multi-thread tokio runtime, it runs
//! in `tokio::task::block_in_place`, so the executor keeps serving other
//! tasks. A login verifies outside its transaction. Confirmation,
//! reset and session keys are 256 bits from the operating system's random
//! source ([`generate_key`]); an empty or malformed key never matches
//! ([`is_well_formed_key`]). How a presented key is found depends on the
//! store: [`Secret`]s compare in constant time (`subtle`), `SqlStore` keeps
//! only SHA-256 digests of keys and looks the digest up, and
//! [`memory::MemoryStore`] looks keys up in a hash map, whose comparison is
//! not constant-time (it is meant for tests and single-process demos).
//!
//! Keys, tokens, app secrets, session keys and passwords are [`Secret`]s.
//! `Debug` redacts every header whose name suggests a credential
//! ([`is_sensitive_header`]), the URL's user info, query string and keys in
//! its path (`/accounts/confirm-email/<key>/`,
//! `/accounts/password/reset/key/<uid>-<key>/`: [`redact_url`]), the same in
//! `Location`, `Referer` and `Content-Location` headers, and social profile
//! data prints its keys only. So `{:?}` and `{:#?}` of every signal and
//! model are safe to log. With the `serde` feature, models serialize
//! without their secrets and profile data without its values.
//!
//! Addresses and usernames from a request are checked before anything is
//! stored or mailed ([`validate_email`], [`validate_username`]): no CR, LF
//! or other control character, exactly one `@`, a domain, at most 254
//! characters; a refusal is [`FlowError::InvalidEmail`](flows::FlowError::InvalidEmail)
//! or [`FlowError::InvalidUsername`](flows::FlowError::InvalidUsername) with
//! the reason.
//!
//! With [`Settings::prevent_enumeration`](flows::Settings::prevent_enumeration)
//! (on by default, as in allauth) and mandatory verification, a sign-up,
//! email change or added address for an address that has an account answers
//! exactly as for a new one and mails the owner instead; no user or address
//! is created.
//!
//! # Differences from allauth
//!
//! Kept on purpose; everything else follows allauth 65's flows and
//! defaults.
//!
//! | allauth | here | why |
//! |---|---|---|
//! | `email_confirmation_sent` is sent right after the mail is handed to the mail backend | the mail is queued; it goes out after the flow's last signal, just before the commit | a flow that fails part-way mails nothing (only a commit that fails after the mails went out, on a store error or a lost race, leaves a mail whose key was never stored) |
//! | a receiver's exception leaves what the flow saved so far (no transaction around a flow) | the flow's writes are rolled back | atomic flows |
//! | a receiver that calls `sociallogin.connect()` sends `social_account_added` inside the `pre_social_login` dispatch | [`SocialLogin::connect`] records the user; the flow connects and sends `SocialAccountAdded` right after `PreSocialLogin` | receivers get a shared reference and cannot run a flow; the later `PreSocialLogin` receivers see the attach (`sociallogin.user()`) but not yet the stored account |
//! | `ACCOUNT_CHANGE_EMAIL` stores the new address unverified at once, and removes the old ones on confirmation | [`change_email`](flows::Accounts::change_email) stores the new address only on confirmation, verified and primary, and keeps the old ones (not primary) | nothing unverified is stored for an address the user may not own; the user removes old addresses with `remove_email` |
//! | `ACCOUNT_PREVENT_ENUMERATION = "strict"` also hides taken addresses without mandatory verification | a `bool`: on hides them with mandatory verification only (allauth's `True`) | the strict mode would need sign-ups that never complete without a mail; not offered |
//! | email authentication ends other sessions only with `allauth.usersessions` | wiping an unverified user's password also ends all their sessions | an attacker who pre-registered the address is logged out too |
//! | keys are HMACs of the address (or stored keys), compared as stored | stored random keys, 64 hex characters, checked for form before the store is asked | no key derivable from the site's secret; malformed keys never reach the store |
//! | a password change invalidates other sessions through Django's session hash | the flow deletes the user's other sessions (and reset keys) in the store | the store holds the sessions; same effect |
//! | usernames follow Django's validator (letters, digits, `@.+-_`) | no `@` | the login form reads anything with `@` as an address |
//! | Django's `AUTH_PASSWORD_VALIDATORS` (length, common passwords, ...) check new passwords, when configured | any password, the empty one included, is hashed as given | password rules are the site's: check them before calling `signup`, `set_password`, `change_password` or `reset_password` |
//!
//! # Features
//!
//! - `serde`: `Serialize` and `Deserialize` for the models and settings.
//! - `axum`: [`RequestContext`] as an axum extractor (peer address from
//!   `ConnectInfo`, session key from the session cookie) and
//!   `web::SessionCookie`, which sets the cookie with secure attributes.
//!   `cargo run -p signals-auth --features axum --example web` serves the
//!   flows over HTTP on localhost.
//! - `sqlite`: `sql::SqlStore`, the [`Store`] in a SQLite database (a file
//!   or `:memory:`) through sqlx, with its migrations, real transactions
//!   and unique constraints.
//! - `postgres`: `sql::SqlStore` in PostgreSQL too.
//! - `tokio`: password hashing and verification run in
//!   `tokio::task::block_in_place` on a multi-thread tokio runtime, off the
//!   executor (see [Secrets and input](#secrets-and-input)).
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
pub use request::{is_sensitive_header, redact_url, RequestContext, ResponseContext};
pub use secret::Secret;
pub use socialaccount::ImmediateResponse;
pub use store::{
    generate_key, is_well_formed_key, Conflict, NewUser, Store, StoreError, StoreResult,
    Transaction, KEY_BYTES,
};
pub use user::AuthUser;
pub use validate::{validate_email, validate_username, MAX_EMAIL_LENGTH, MAX_USERNAME_LENGTH};
