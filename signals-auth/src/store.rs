//! [`Store`]: where the flows keep users, addresses, keys, social accounts
//! and sessions, and the [`Transaction`] every flow writes through.
//! [`MemoryStore`](crate::memory::MemoryStore) is the in-memory default; a
//! database-backed store implements the two traits over its own tables.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

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

/// Which uniqueness rule a write broke: the store reports it as a typed
/// conflict (a unique constraint, an atomic insert-if-absent), and the
/// flows turn it into [`FlowError::EmailInUse`](crate::flows::FlowError::EmailInUse)
/// and its siblings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Conflict {
    /// The address belongs to a user already.
    Email,
    /// The username is taken (compared case-insensitively).
    Username,
    /// The provider account (provider and uid) is connected already.
    SocialAccount,
    /// A key this transaction took (a confirmation or reset key) was taken
    /// by another transaction first: keys are single use.
    KeyUsed,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Conflict::Email => "the address belongs to a user already",
            Conflict::Username => "the username is taken",
            Conflict::SocialAccount => "the provider account is connected already",
            Conflict::KeyUsed => "the key was used already",
        })
    }
}

/// A store failed: a uniqueness [`Conflict`], or the store's own error (a
/// connection dropped, a query failed).
pub struct StoreError(Repr);

enum Repr {
    Conflict(Conflict),
    Other(BoxError),
}

impl StoreError {
    /// Wraps the store's own error.
    pub fn new(error: impl Into<BoxError>) -> Self {
        StoreError(Repr::Other(error.into()))
    }

    /// A write broke a uniqueness rule.
    pub fn conflict(conflict: Conflict) -> Self {
        StoreError(Repr::Conflict(conflict))
    }

    /// The uniqueness rule the write broke, if that is what failed.
    pub fn as_conflict(&self) -> Option<Conflict> {
        match &self.0 {
            Repr::Conflict(conflict) => Some(*conflict),
            Repr::Other(_) => None,
        }
    }

    /// The store's own error (a conflict becomes its message).
    pub fn into_inner(self) -> BoxError {
        match self.0 {
            Repr::Conflict(conflict) => conflict.to_string().into(),
            Repr::Other(error) => error,
        }
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Conflict(conflict) => f.debug_tuple("Conflict").field(conflict).finish(),
            Repr::Other(error) => f.debug_tuple("StoreError").field(error).finish(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Conflict(conflict) => write!(f, "store conflict: {conflict}"),
            Repr::Other(error) => write!(f, "store error: {error}"),
        }
    }
}

impl Error for StoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.0 {
            Repr::Conflict(_) => None,
            Repr::Other(error) => Some(&**error),
        }
    }
}

impl From<Conflict> for StoreError {
    fn from(conflict: Conflict) -> Self {
        StoreError::conflict(conflict)
    }
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistence for the [flows](crate::flows): users and their password
/// hashes, email addresses, confirmation and reset keys, social accounts and
/// their tokens, and sessions.
///
/// Every flow [begins](Self::begin) one [`Transaction`], reads and writes
/// through it, sends its signals, and then commits it; when a receiver fails
/// (or panics, or the flow's future is dropped) the transaction is rolled
/// back or dropped, and the store is left exactly as the flow found it. A
/// SQL store implements it with a database transaction (for sqlx, a
/// `Transaction<'static, DB>` from `pool.begin()`, owned by the
/// [`Tx`](Self::Tx)).
///
/// Uniqueness (addresses, usernames, provider accounts) is the store's job:
/// the `insert_*` methods and [`Transaction::create_user`] fail with a
/// [`Conflict`] instead of the flows checking first, so it holds under any
/// number of concurrent flows.
///
/// Methods return `Send` futures, so the flows run in any multi-threaded
/// runtime; implement them with `async fn`.
pub trait Store: Send + Sync {
    /// The application's user type.
    type User: AuthUser;
    /// A transaction (unit of work) on this store.
    type Tx<'a>: Transaction<User = Self::User> + 'a
    where
        Self: 'a;

    /// Starts a transaction.
    fn begin(&self) -> impl Future<Output = StoreResult<Self::Tx<'_>>> + Send;
}

/// One flow's reads and writes: a database transaction, or a unit of work
/// applied at once on [`commit`](Self::commit).
///
/// Reads see the transaction's own writes. Dropping it without a commit
/// rolls it back, as [`rollback`](Self::rollback) does.
///
/// Keys (confirmation, reset, session) are [`Secret`]s the flows draw from
/// the operating system's random source; a store may keep a hash of them
/// instead. Passwords reach the store only as argon2 hashes (PHC strings)
/// the flows made.
pub trait Transaction: Send {
    /// The application's user type.
    type User: AuthUser;

    /// Makes every write of the transaction durable and visible at once;
    /// fails with a [`Conflict`] if a uniqueness rule no longer holds (then
    /// nothing is written).
    fn commit(self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Discards every write of the transaction.
    fn rollback(self) -> impl Future<Output = StoreResult<()>> + Send;

    /// Creates a user, with no usable password yet. Fails with
    /// [`Conflict::Username`] if the username is taken (case-insensitively).
    fn create_user(
        &mut self,
        new: &NewUser,
    ) -> impl Future<Output = StoreResult<Arc<Self::User>>> + Send;
    /// A user by [`AuthUser::id`].
    fn user(
        &mut self,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<Arc<Self::User>>>> + Send;
    /// A user by username (case-insensitive).
    fn user_by_username(
        &mut self,
        username: &str,
    ) -> impl Future<Output = StoreResult<Option<Arc<Self::User>>>> + Send;

    /// Sets a user's password hash (a PHC string); `None` makes the
    /// password unusable.
    fn set_password_hash(
        &mut self,
        user_id: &str,
        hash: Option<&Secret<String>>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A user's password hash; `None` for an unusable password.
    fn password_hash(
        &mut self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Option<Secret<String>>>> + Send;

    /// A user's addresses, the primary first, then by address.
    fn email_addresses(
        &mut self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Vec<EmailAddress>>> + Send;
    /// An address, whoever it belongs to (`email` is lowercased).
    fn email_address(
        &mut self,
        email: &str,
    ) -> impl Future<Output = StoreResult<Option<EmailAddress>>> + Send;
    /// Inserts an address; fails with [`Conflict::Email`] if it is stored
    /// already, for any user.
    fn insert_email_address(
        &mut self,
        address: &EmailAddress,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Updates the stored address with the same [`email`](EmailAddress::email)
    /// (its `verified` and `primary`).
    fn update_email_address(
        &mut self,
        address: &EmailAddress,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes an address.
    fn delete_email_address(&mut self, email: &str)
        -> impl Future<Output = StoreResult<()>> + Send;

    /// Inserts a confirmation (keyed by its key).
    fn insert_confirmation(
        &mut self,
        confirmation: &EmailConfirmation,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes and returns the confirmation with this key: keys are single
    /// use. Two transactions taking one key: at most one commits.
    fn take_confirmation(
        &mut self,
        key: &Secret<String>,
    ) -> impl Future<Output = StoreResult<Option<EmailConfirmation>>> + Send;
    /// When the last confirmation for this address was sent, if any is
    /// stored (the resend cooldown).
    fn last_confirmation_sent(
        &mut self,
        email: &str,
    ) -> impl Future<Output = StoreResult<Option<SystemTime>>> + Send;

    /// Saves a password reset key for a user.
    fn insert_reset_key(
        &mut self,
        user_id: &str,
        key: &Secret<String>,
        created: SystemTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes a reset key and returns the user id it was for and when it
    /// was created. Two transactions taking one key: at most one commits.
    fn take_reset_key(
        &mut self,
        key: &Secret<String>,
    ) -> impl Future<Output = StoreResult<Option<(String, SystemTime)>>> + Send;
    /// Deletes every reset key of a user; returns how many there were.
    fn delete_reset_keys(
        &mut self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<usize>> + Send;

    /// The account with this provider and uid.
    fn social_account(
        &mut self,
        provider: &str,
        uid: &str,
    ) -> impl Future<Output = StoreResult<Option<SocialAccount>>> + Send;
    /// A user's connected accounts.
    fn social_accounts(
        &mut self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Vec<SocialAccount>>> + Send;
    /// The token saved for an account.
    fn social_token(
        &mut self,
        provider: &str,
        uid: &str,
    ) -> impl Future<Output = StoreResult<Option<SocialToken>>> + Send;
    /// Inserts an account and, if given, its token; fails with
    /// [`Conflict::SocialAccount`] if the provider and uid are stored
    /// already.
    fn insert_social_account(
        &mut self,
        account: &SocialAccount,
        token: Option<&SocialToken>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Updates a stored account (keyed by provider and uid) and, if given,
    /// its token (`None` keeps the stored token).
    fn update_social_account(
        &mut self,
        account: &SocialAccount,
        token: Option<&SocialToken>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes an account and its token.
    fn delete_social_account(
        &mut self,
        provider: &str,
        uid: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Starts a session for a user under a key the flow drew.
    fn insert_session(
        &mut self,
        key: &Secret<String>,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The user a session belongs to.
    fn session_user(
        &mut self,
        key: &Secret<String>,
    ) -> impl Future<Output = StoreResult<Option<Arc<Self::User>>>> + Send;
    /// Ends a session.
    fn delete_session(
        &mut self,
        key: &Secret<String>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Ends every session of a user but `except` (if given); returns how
    /// many ended.
    fn delete_sessions(
        &mut self,
        user_id: &str,
        except: Option<&Secret<String>>,
    ) -> impl Future<Output = StoreResult<usize>> + Send;
}

/// How many random bytes a key holds: 256 bits.
pub const KEY_BYTES: usize = 32;

/// A fresh key for confirmations, resets and sessions: 256 bits from the
/// operating system's random source (`getrandom`), in lowercase hex (64
/// characters).
///
/// ```
/// let key = signals_auth::generate_key();
/// assert_eq!(key.expose().len(), 64);
/// assert!(signals_auth::is_well_formed_key(&key));
/// assert_ne!(key, signals_auth::generate_key());
/// ```
///
/// # Panics
///
/// If the operating system has no random source to give: without one no
/// key can be safe.
pub fn generate_key() -> Secret<String> {
    let mut bytes = [0u8; KEY_BYTES];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source failed");
    let mut key = String::with_capacity(KEY_BYTES * 2);
    for byte in bytes {
        key.push(char::from(HEX[usize::from(byte >> 4)]));
        key.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    Secret::new(key)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// True for a key [`generate_key`] could have made: 64 lowercase hex
/// characters. The flows refuse any other key before asking the store, so an
/// empty key (a confirmation that went through serde without its key) or a
/// malformed one never matches.
pub fn is_well_formed_key(key: &Secret<String>) -> bool {
    let key = key.expose_str().as_bytes();
    key.len() == KEY_BYTES * 2 && key.iter().all(|byte| HEX.contains(byte))
}

/// Every store refuses to keep a key that is empty: no presented key may
/// ever match it. `what` names the record in the error ("a session without
/// a key").
pub(crate) fn refuse_empty(key: &Secret<String>, what: &str) -> StoreResult<()> {
    if key.is_empty() {
        return Err(StoreError::new(format!("a {what} without a key")));
    }
    Ok(())
}
