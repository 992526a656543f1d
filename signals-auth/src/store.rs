//! [`Store`]: where the flows keep users, addresses, keys, social accounts
//! and sessions. [`MemoryStore`](crate::memory::MemoryStore) is the
//! in-memory default; a database-backed application implements the trait
//! over its own tables.

use std::collections::hash_map::RandomState;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use signals_core::BoxError;

use crate::models::{EmailAddress, EmailConfirmation, SocialAccount, SocialToken};
use crate::secret::Secret;
use crate::user::AuthUser;

/// What a sign-up knows about a user before the store creates it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewUser {
    /// The chosen username, if the site uses usernames.
    pub username: Option<String>,
    /// The sign-up address, lowercased.
    pub email: Option<String>,
}

/// A store failed (a connection dropped, a constraint fired).
pub struct StoreError(BoxError);

impl StoreError {
    /// Wraps the store's own error.
    pub fn new(error: impl Into<BoxError>) -> Self {
        StoreError(error.into())
    }

    /// The store's own error.
    pub fn into_inner(self) -> BoxError {
        self.0
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoreError").field(&self.0).finish()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store error: {}", self.0)
    }
}

impl Error for StoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.0)
    }
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistence for the [flows](crate::flows): users and their passwords,
/// email addresses, confirmation and reset keys, social accounts and their
/// tokens, and sessions.
///
/// Every method returns a `Send` future, so the flows can run in any
/// multi-threaded runtime; implement them with `async fn`. Addresses are
/// unique: one address belongs to at most one user. Keys arrive as
/// [`Secret`]s; a store may hash them before saving.
///
/// Implementations decide how passwords are hashed; the flows only call
/// [`set_password`](Self::set_password) and
/// [`check_password`](Self::check_password).
pub trait Store: Send + Sync {
    /// The application's user type.
    type User: AuthUser;

    /// Creates a user, with no usable password yet.
    fn create_user(
        &self,
        new: &NewUser,
    ) -> impl Future<Output = StoreResult<Arc<Self::User>>> + Send;
    /// A user by [`AuthUser::id`].
    fn user(&self, id: &str) -> impl Future<Output = StoreResult<Option<Arc<Self::User>>>> + Send;
    /// A user by username (case-insensitive).
    fn user_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = StoreResult<Option<Arc<Self::User>>>> + Send;

    /// Sets a user's password; `None` makes it unusable.
    fn set_password(
        &self,
        user_id: &str,
        password: Option<&Secret<String>>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// True if the password is the user's (never for an unusable one).
    fn check_password(
        &self,
        user_id: &str,
        password: &Secret<String>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// True if the user has a password they can log in with.
    fn has_usable_password(&self, user_id: &str) -> impl Future<Output = StoreResult<bool>> + Send;

    /// A user's addresses, the primary first.
    fn email_addresses(
        &self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Vec<EmailAddress>>> + Send;
    /// An address, whoever it belongs to (`email` is lowercased).
    fn email_address(
        &self,
        email: &str,
    ) -> impl Future<Output = StoreResult<Option<EmailAddress>>> + Send;
    /// Inserts or updates an address (keyed by the address itself).
    fn save_email_address(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes an address.
    fn delete_email_address(&self, email: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Inserts or updates a confirmation (keyed by its key).
    fn save_confirmation(
        &self,
        confirmation: &EmailConfirmation,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes and returns the confirmation with this key: keys are single
    /// use.
    fn take_confirmation(
        &self,
        key: &Secret<String>,
    ) -> impl Future<Output = StoreResult<Option<EmailConfirmation>>> + Send;

    /// Saves a password reset key for a user.
    fn save_reset_key(
        &self,
        user_id: &str,
        key: &Secret<String>,
        created: SystemTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes a reset key and returns the user id it was for and when it
    /// was created.
    fn take_reset_key(
        &self,
        key: &Secret<String>,
    ) -> impl Future<Output = StoreResult<Option<(String, SystemTime)>>> + Send;

    /// The account with this provider and uid.
    fn social_account(
        &self,
        provider: &str,
        uid: &str,
    ) -> impl Future<Output = StoreResult<Option<SocialAccount>>> + Send;
    /// A user's connected accounts.
    fn social_accounts(
        &self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Vec<SocialAccount>>> + Send;
    /// Inserts or updates an account (keyed by provider and uid) and, if
    /// given, its token.
    fn save_social_account(
        &self,
        account: &SocialAccount,
        token: Option<&SocialToken>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes an account and its tokens.
    fn delete_social_account(
        &self,
        provider: &str,
        uid: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Starts a session for a user and returns its key.
    fn create_session(
        &self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Secret<String>>> + Send;
    /// The user a session belongs to.
    fn session_user(
        &self,
        key: &Secret<String>,
    ) -> impl Future<Output = StoreResult<Option<Arc<Self::User>>>> + Send;
    /// Ends a session.
    fn delete_session(&self, key: &Secret<String>) -> impl Future<Output = StoreResult<()>> + Send;

    /// A fresh key for confirmations, resets and sessions. The default is
    /// [`generate_key`]; a store with a cryptographic random source should
    /// use it here.
    fn generate_key(&self) -> Secret<String> {
        generate_key()
    }
}

/// A 128-bit key in hex, unpredictable without the process's hasher keys:
/// SipHash-1-3 over a counter and the clock, keyed by the standard
/// library's randomly seeded [`RandomState`]. Enough for tests and the
/// in-memory store; production stores should draw keys from the operating
/// system's random source.
pub fn generate_key() -> Secret<String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let mut key = String::with_capacity(32);
    for _ in 0..2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(nanos);
        key.push_str(&format!("{:016x}", hasher.finish()));
    }
    Secret::new(key)
}
