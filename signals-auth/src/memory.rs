//! The in-memory defaults: [`MemoryStore`], [`MemoryMailer`], and
//! [`BasicUser`] for applications (and tests) without a user type of their
//! own.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use signals_core::BoxError;

use crate::mail::{Mail, Mailer};
use crate::models::{normalize_email, EmailAddress, EmailConfirmation, SocialAccount, SocialToken};
use crate::secret::Secret;
use crate::store::{NewUser, Store, StoreResult};
use crate::user::AuthUser;

/// A user with an id, an optional username and an optional address: the
/// user type of `MemoryStore::new()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicUser {
    /// The id.
    pub id: String,
    /// The username.
    pub username: Option<String>,
    /// The sign-up address.
    pub email: Option<String>,
}

impl BasicUser {
    /// A user with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        BasicUser {
            id: id.into(),
            username: None,
            email: None,
        }
    }

    /// The same user with a username.
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The same user with an address.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
}

impl AuthUser for BasicUser {
    fn id(&self) -> String {
        self.id.clone()
    }
}

type MakeUser<U> = dyn Fn(&str, &NewUser) -> U + Send + Sync;

/// A [`Store`] in memory, for tests, demos and prototypes. Users are of
/// the application's own type, made by the function given to
/// [`with_user_type`](Self::with_user_type).
///
/// Passwords are kept as given (inside [`Secret`]s), not hashed: never use
/// it for real accounts.
///
/// ```
/// use signals_auth::memory::MemoryStore;
/// use signals_auth::AuthUser;
///
/// struct Member { id: String, name: String }
/// impl AuthUser for Member {
///     fn id(&self) -> String { self.id.clone() }
/// }
///
/// let store = MemoryStore::with_user_type(|id, new| Member {
///     id: id.to_owned(),
///     name: new.username.clone().unwrap_or_default(),
/// });
/// # let _ = store;
/// ```
pub struct MemoryStore<U = BasicUser> {
    make_user: Box<MakeUser<U>>,
    state: Mutex<State<U>>,
}

struct State<U> {
    next_id: u64,
    users: BTreeMap<String, Arc<U>>,
    usernames: HashMap<String, String>,
    passwords: HashMap<String, Secret<String>>,
    emails: BTreeMap<String, EmailAddress>,
    confirmations: HashMap<String, EmailConfirmation>,
    reset_keys: HashMap<String, (String, SystemTime)>,
    social: BTreeMap<(String, String), (SocialAccount, Option<SocialToken>)>,
    sessions: HashMap<String, String>,
}

impl MemoryStore<BasicUser> {
    /// An empty store of [`BasicUser`]s.
    pub fn new() -> Self {
        MemoryStore::with_user_type(|id, new| BasicUser {
            id: id.to_owned(),
            username: new.username.clone(),
            email: new.email.clone(),
        })
    }
}

impl Default for MemoryStore<BasicUser> {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl<U: AuthUser> MemoryStore<U> {
    /// An empty store whose users `make_user(id, new_user)` builds; ids are
    /// `"1"`, `"2"`, and so on.
    pub fn with_user_type(make_user: impl Fn(&str, &NewUser) -> U + Send + Sync + 'static) -> Self {
        MemoryStore {
            make_user: Box::new(make_user),
            state: Mutex::new(State {
                next_id: 1,
                users: BTreeMap::new(),
                usernames: HashMap::new(),
                passwords: HashMap::new(),
                emails: BTreeMap::new(),
                confirmations: HashMap::new(),
                reset_keys: HashMap::new(),
                social: BTreeMap::new(),
                sessions: HashMap::new(),
            }),
        }
    }

    /// How many users there are.
    pub fn user_count(&self) -> usize {
        self.lock().users.len()
    }

    /// How many sessions are open.
    pub fn session_count(&self) -> usize {
        self.lock().sessions.len()
    }

    /// The token saved for an account.
    pub fn social_token(&self, provider: &str, uid: &str) -> Option<SocialToken> {
        self.lock()
            .social
            .get(&(provider.to_owned(), uid.to_owned()))
            .and_then(|(_, token)| token.clone())
    }

    fn lock(&self) -> MutexGuard<'_, State<U>> {
        // Every write below is a single map operation: a panic elsewhere
        // cannot leave the maps inconsistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<U> fmt::Debug for MemoryStore<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("MemoryStore")
            .field("users", &state.users.len())
            .field("emails", &state.emails.len())
            .field("social_accounts", &state.social.len())
            .field("sessions", &state.sessions.len())
            .finish_non_exhaustive()
    }
}

impl<U: AuthUser> Store for MemoryStore<U> {
    type User = U;

    async fn create_user(&self, new: &NewUser) -> StoreResult<Arc<U>> {
        let mut state = self.lock();
        let id = state.next_id.to_string();
        state.next_id += 1;
        let user = Arc::new((self.make_user)(&id, new));
        if let Some(username) = &new.username {
            state.usernames.insert(username.to_lowercase(), id.clone());
        }
        state.users.insert(id, Arc::clone(&user));
        Ok(user)
    }

    async fn user(&self, id: &str) -> StoreResult<Option<Arc<U>>> {
        Ok(self.lock().users.get(id).cloned())
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<Arc<U>>> {
        let state = self.lock();
        Ok(state
            .usernames
            .get(&username.to_lowercase())
            .and_then(|id| state.users.get(id))
            .cloned())
    }

    async fn set_password(
        &self,
        user_id: &str,
        password: Option<&Secret<String>>,
    ) -> StoreResult<()> {
        let mut state = self.lock();
        match password {
            Some(password) => state.passwords.insert(user_id.to_owned(), password.clone()),
            None => state.passwords.remove(user_id),
        };
        Ok(())
    }

    async fn check_password(&self, user_id: &str, password: &Secret<String>) -> StoreResult<bool> {
        Ok(self.lock().passwords.get(user_id) == Some(password))
    }

    async fn has_usable_password(&self, user_id: &str) -> StoreResult<bool> {
        Ok(self.lock().passwords.contains_key(user_id))
    }

    async fn email_addresses(&self, user_id: &str) -> StoreResult<Vec<EmailAddress>> {
        let mut addresses: Vec<EmailAddress> = self
            .lock()
            .emails
            .values()
            .filter(|address| address.user_id == user_id)
            .cloned()
            .collect();
        // Stable: the primary first, then by address.
        addresses.sort_by_key(|address| !address.primary);
        Ok(addresses)
    }

    async fn email_address(&self, email: &str) -> StoreResult<Option<EmailAddress>> {
        Ok(self.lock().emails.get(&normalize_email(email)).cloned())
    }

    async fn save_email_address(&self, address: &EmailAddress) -> StoreResult<()> {
        self.lock()
            .emails
            .insert(address.email.clone(), address.clone());
        Ok(())
    }

    async fn delete_email_address(&self, email: &str) -> StoreResult<()> {
        self.lock().emails.remove(&normalize_email(email));
        Ok(())
    }

    async fn save_confirmation(&self, confirmation: &EmailConfirmation) -> StoreResult<()> {
        self.lock()
            .confirmations
            .insert(confirmation.key.expose().clone(), confirmation.clone());
        Ok(())
    }

    async fn take_confirmation(
        &self,
        key: &Secret<String>,
    ) -> StoreResult<Option<EmailConfirmation>> {
        Ok(self.lock().confirmations.remove(key.expose()))
    }

    async fn save_reset_key(
        &self,
        user_id: &str,
        key: &Secret<String>,
        created: SystemTime,
    ) -> StoreResult<()> {
        self.lock()
            .reset_keys
            .insert(key.expose().clone(), (user_id.to_owned(), created));
        Ok(())
    }

    async fn take_reset_key(
        &self,
        key: &Secret<String>,
    ) -> StoreResult<Option<(String, SystemTime)>> {
        Ok(self.lock().reset_keys.remove(key.expose()))
    }

    async fn social_account(
        &self,
        provider: &str,
        uid: &str,
    ) -> StoreResult<Option<SocialAccount>> {
        Ok(self
            .lock()
            .social
            .get(&(provider.to_owned(), uid.to_owned()))
            .map(|(account, _)| account.clone()))
    }

    async fn social_accounts(&self, user_id: &str) -> StoreResult<Vec<SocialAccount>> {
        Ok(self
            .lock()
            .social
            .values()
            .filter(|(account, _)| account.user_id.as_deref() == Some(user_id))
            .map(|(account, _)| account.clone())
            .collect())
    }

    async fn save_social_account(
        &self,
        account: &SocialAccount,
        token: Option<&SocialToken>,
    ) -> StoreResult<()> {
        let mut state = self.lock();
        let key = (account.provider.clone(), account.uid.clone());
        let token = match token {
            Some(token) => Some(token.clone()),
            None => state.social.get(&key).and_then(|(_, token)| token.clone()),
        };
        state.social.insert(key, (account.clone(), token));
        Ok(())
    }

    async fn delete_social_account(&self, provider: &str, uid: &str) -> StoreResult<()> {
        self.lock()
            .social
            .remove(&(provider.to_owned(), uid.to_owned()));
        Ok(())
    }

    async fn create_session(&self, user_id: &str) -> StoreResult<Secret<String>> {
        let key = self.generate_key();
        self.lock()
            .sessions
            .insert(key.expose().clone(), user_id.to_owned());
        Ok(key)
    }

    async fn session_user(&self, key: &Secret<String>) -> StoreResult<Option<Arc<U>>> {
        let state = self.lock();
        Ok(state
            .sessions
            .get(key.expose())
            .and_then(|id| state.users.get(id))
            .cloned())
    }

    async fn delete_session(&self, key: &Secret<String>) -> StoreResult<()> {
        self.lock().sessions.remove(key.expose());
        Ok(())
    }
}

/// A [`Mailer`] that keeps every mail in an outbox instead of sending it:
/// tests and the demo read confirmation and reset keys from there.
///
/// ```
/// use signals_auth::memory::MemoryMailer;
/// use signals_auth::mail::{Mail, Mailer};
///
/// let mailer = MemoryMailer::new();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// mailer.send(Mail::UnknownAccount { to: "bob@example.com".into() }).await.unwrap();
/// # });
/// assert_eq!(mailer.outbox()[0].to(), "bob@example.com");
/// ```
#[derive(Debug, Default)]
pub struct MemoryMailer {
    outbox: Mutex<Vec<Mail>>,
}

impl MemoryMailer {
    /// An empty outbox.
    pub fn new() -> Self {
        MemoryMailer::default()
    }

    /// Every mail sent so far, oldest first.
    pub fn outbox(&self) -> Vec<Mail> {
        self.lock().clone()
    }

    /// The key of the last mail to `to` that carries one.
    pub fn last_key_for(&self, to: &str) -> Option<Secret<String>> {
        let to = normalize_email(to);
        self.lock()
            .iter()
            .rev()
            .filter(|mail| mail.to() == to)
            .find_map(|mail| mail.key().cloned())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Mail>> {
        self.outbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Mailer for MemoryMailer {
    async fn send(&self, mail: Mail) -> Result<(), BoxError> {
        self.lock().push(mail);
        Ok(())
    }
}
