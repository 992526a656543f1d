//! The in-memory defaults: [`MemoryStore`], [`MemoryMailer`], and
//! [`BasicUser`] for applications (and tests) without a user type of their
//! own.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use signals_core::BoxError;

use crate::mail::{Mail, Mailer};
use crate::models::{normalize_email, EmailAddress, EmailConfirmation, SocialAccount, SocialToken};
use crate::secret::Secret;
use crate::store::{refuse_empty, Conflict, NewUser, Store, StoreResult, Transaction};
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
/// Transactions are units of work: each works on its own copy of the
/// store, and [`commit`](Transaction::commit) replays its writes on the
/// shared state under one lock, re-checking every uniqueness rule there (an
/// address, a username, a provider account, a key taken once), so
/// concurrent flows never both win. A transaction dropped or rolled back
/// leaves nothing behind. Nothing is kept on disk, and every transaction
/// copies the whole store (at begin and at commit): fine for tests and
/// demos, linear in the store's size per flow.
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
    next_id: AtomicU64,
    state: Mutex<State<U>>,
}

struct State<U> {
    users: BTreeMap<String, Arc<U>>,
    /// Lowercased username to user id.
    usernames: HashMap<String, String>,
    passwords: HashMap<String, Secret<String>>,
    emails: BTreeMap<String, EmailAddress>,
    confirmations: HashMap<String, EmailConfirmation>,
    reset_keys: HashMap<String, (String, SystemTime)>,
    social: BTreeMap<(String, String), (SocialAccount, Option<SocialToken>)>,
    sessions: HashMap<String, String>,
}

impl<U> Clone for State<U> {
    fn clone(&self) -> Self {
        State {
            users: self.users.clone(),
            usernames: self.usernames.clone(),
            passwords: self.passwords.clone(),
            emails: self.emails.clone(),
            confirmations: self.confirmations.clone(),
            reset_keys: self.reset_keys.clone(),
            social: self.social.clone(),
            sessions: self.sessions.clone(),
        }
    }
}

impl<U> State<U> {
    fn new() -> Self {
        State {
            users: BTreeMap::new(),
            usernames: HashMap::new(),
            passwords: HashMap::new(),
            emails: BTreeMap::new(),
            confirmations: HashMap::new(),
            reset_keys: HashMap::new(),
            social: BTreeMap::new(),
            sessions: HashMap::new(),
        }
    }

    /// Applies one write, checking the uniqueness rules; on `Err` nothing
    /// of the write is applied.
    fn apply(&mut self, op: &Op<U>) -> StoreResult<()> {
        match op {
            Op::CreateUser {
                user_id,
                username,
                user,
            } => {
                if let Some(username) = username {
                    if self.usernames.contains_key(username) {
                        return Err(Conflict::Username.into());
                    }
                    self.usernames.insert(username.clone(), user_id.clone());
                }
                self.users.insert(user_id.clone(), Arc::clone(user));
            }
            Op::SetPassword { user_id, hash } => {
                match hash {
                    Some(hash) => self.passwords.insert(user_id.clone(), hash.clone()),
                    None => self.passwords.remove(user_id),
                };
            }
            Op::InsertEmail(address) => {
                if self.emails.contains_key(&address.email) {
                    return Err(Conflict::Email.into());
                }
                self.emails.insert(address.email.clone(), address.clone());
            }
            Op::UpdateEmail(address) => {
                // Only the owner's stored address: never re-creates one a
                // concurrent flow deleted.
                if let Some(stored) = self.emails.get_mut(&address.email) {
                    if stored.user_id == address.user_id {
                        *stored = address.clone();
                    }
                }
            }
            Op::DeleteEmail(email) => {
                self.emails.remove(email);
            }
            Op::InsertConfirmation(confirmation) => {
                self.confirmations
                    .insert(confirmation.key.expose().clone(), confirmation.clone());
            }
            Op::TakeConfirmation(key) => {
                if self.confirmations.remove(key.expose()).is_none() {
                    return Err(Conflict::KeyUsed.into());
                }
            }
            Op::InsertResetKey {
                key,
                user_id,
                created,
            } => {
                self.reset_keys
                    .insert(key.expose().clone(), (user_id.clone(), *created));
            }
            Op::TakeResetKey(key) => {
                if self.reset_keys.remove(key.expose()).is_none() {
                    return Err(Conflict::KeyUsed.into());
                }
            }
            Op::DeleteResetKeys(user_id) => {
                self.reset_keys.retain(|_, (owner, _)| owner != user_id);
            }
            Op::InsertSocial(account, token) => {
                let key = (account.provider.clone(), account.uid.clone());
                if self.social.contains_key(&key) {
                    return Err(Conflict::SocialAccount.into());
                }
                self.social.insert(key, (account.clone(), token.clone()));
            }
            Op::UpdateSocial(account, token) => {
                let key = (account.provider.clone(), account.uid.clone());
                if let Some((stored, stored_token)) = self.social.get_mut(&key) {
                    *stored = account.clone();
                    if let Some(token) = token {
                        *stored_token = Some(token.clone());
                    }
                }
            }
            Op::DeleteSocial(key) => {
                self.social.remove(key);
            }
            Op::InsertSession { key, user_id } => {
                self.sessions.insert(key.expose().clone(), user_id.clone());
            }
            Op::DeleteSession(key) => {
                self.sessions.remove(key.expose());
            }
            Op::DeleteSessions { user_id, except } => {
                self.sessions.retain(|key, owner| {
                    owner != user_id
                        || except
                            .as_ref()
                            .is_some_and(|except| Secret::new(key.clone()) == *except)
                });
            }
        }
        Ok(())
    }
}

/// One write of a transaction, replayed on the shared state at commit.
enum Op<U> {
    CreateUser {
        user_id: String,
        username: Option<String>,
        user: Arc<U>,
    },
    SetPassword {
        user_id: String,
        hash: Option<Secret<String>>,
    },
    InsertEmail(EmailAddress),
    UpdateEmail(EmailAddress),
    DeleteEmail(String),
    InsertConfirmation(EmailConfirmation),
    TakeConfirmation(Secret<String>),
    InsertResetKey {
        key: Secret<String>,
        user_id: String,
        created: SystemTime,
    },
    TakeResetKey(Secret<String>),
    DeleteResetKeys(String),
    InsertSocial(SocialAccount, Option<SocialToken>),
    UpdateSocial(SocialAccount, Option<SocialToken>),
    DeleteSocial((String, String)),
    InsertSession {
        key: Secret<String>,
        user_id: String,
    },
    DeleteSession(Secret<String>),
    DeleteSessions {
        user_id: String,
        except: Option<Secret<String>>,
    },
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
    /// `"1"`, `"2"`, and so on (an id a rolled-back transaction drew is not
    /// given out again, as with a database sequence).
    pub fn with_user_type(make_user: impl Fn(&str, &NewUser) -> U + Send + Sync + 'static) -> Self {
        MemoryStore {
            make_user: Box::new(make_user),
            next_id: AtomicU64::new(1),
            state: Mutex::new(State::new()),
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

    /// Everything the store holds, for comparing two moments field by
    /// field (`==` compares secrets by value, in constant time; `{:?}`
    /// redacts them).
    pub fn snapshot(&self) -> MemorySnapshot {
        let state = self.lock();
        let secret_keyed = |keys: Vec<(&String, String)>| {
            let mut rows: Vec<(Secret<String>, String)> = keys
                .into_iter()
                .map(|(key, row)| (Secret::new(key.clone()), row))
                .collect();
            rows.sort_by(|a, b| a.0.expose().cmp(b.0.expose()));
            rows
        };
        MemorySnapshot {
            users: state
                .users
                .keys()
                .map(|id| {
                    let username = state
                        .usernames
                        .iter()
                        .find(|(_, owner)| *owner == id)
                        .map(|(name, _)| name.clone());
                    (id.clone(), username)
                })
                .collect(),
            passwords: state
                .passwords
                .iter()
                .map(|(id, hash)| (id.clone(), hash.clone()))
                .collect(),
            emails: state.emails.values().cloned().collect(),
            confirmations: {
                let mut rows: Vec<(Secret<String>, EmailConfirmation)> = state
                    .confirmations
                    .iter()
                    .map(|(key, confirmation)| (Secret::new(key.clone()), confirmation.clone()))
                    .collect();
                rows.sort_by(|a, b| a.0.expose().cmp(b.0.expose()));
                rows
            },
            reset_keys: secret_keyed(
                state
                    .reset_keys
                    .iter()
                    .map(|(key, (user, created))| (key, format!("user={user} created={created:?}")))
                    .collect(),
            ),
            social: state.social.values().cloned().collect(),
            sessions: secret_keyed(
                state
                    .sessions
                    .iter()
                    .map(|(key, user)| (key, format!("user={user}")))
                    .collect(),
            ),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<U>> {
        // Commits swap in a whole new state: a panic cannot leave it
        // half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a [`MemoryStore`] held at one moment: see
/// [`MemoryStore::snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemorySnapshot {
    users: BTreeMap<String, Option<String>>,
    passwords: BTreeMap<String, Secret<String>>,
    emails: Vec<EmailAddress>,
    confirmations: Vec<(Secret<String>, EmailConfirmation)>,
    reset_keys: Vec<(Secret<String>, String)>,
    social: Vec<(SocialAccount, Option<SocialToken>)>,
    sessions: Vec<(Secret<String>, String)>,
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
    type Tx<'a> = MemoryTransaction<'a, U>;

    async fn begin(&self) -> StoreResult<MemoryTransaction<'_, U>> {
        let view = self.lock().clone();
        Ok(MemoryTransaction {
            store: self,
            view,
            ops: Vec::new(),
        })
    }
}

/// A [`MemoryStore`]'s unit of work: its reads see the store as it was at
/// [`begin`](Store::begin) plus its own writes; [`commit`](Transaction::commit)
/// replays the writes on the shared state under one lock, all or none.
pub struct MemoryTransaction<'a, U> {
    store: &'a MemoryStore<U>,
    view: State<U>,
    ops: Vec<Op<U>>,
}

impl<U> fmt::Debug for MemoryTransaction<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTransaction")
            .field("writes", &self.ops.len())
            .finish_non_exhaustive()
    }
}

impl<U: AuthUser> MemoryTransaction<'_, U> {
    /// Applies a write to this transaction's view and records it for the
    /// commit.
    fn write(&mut self, op: Op<U>) -> StoreResult<()> {
        self.view.apply(&op)?;
        self.ops.push(op);
        Ok(())
    }

    /// Fails early when the shared state already breaks the rule this
    /// insert needs (the commit checks again).
    fn check_live(&self, op: &Op<U>) -> StoreResult<()> {
        let live = self.store.lock();
        let conflict = match op {
            Op::CreateUser {
                username: Some(username),
                ..
            } => live
                .usernames
                .contains_key(username)
                .then_some(Conflict::Username),
            Op::InsertEmail(address) => live
                .emails
                .contains_key(&address.email)
                .then_some(Conflict::Email),
            Op::InsertSocial(account, _) => live
                .social
                .contains_key(&(account.provider.clone(), account.uid.clone()))
                .then_some(Conflict::SocialAccount),
            _ => None,
        };
        conflict.map_or(Ok(()), |conflict| Err(conflict.into()))
    }
}

impl<U: AuthUser> Transaction for MemoryTransaction<'_, U> {
    type User = U;

    async fn commit(self) -> StoreResult<()> {
        if self.ops.is_empty() {
            return Ok(());
        }
        let mut live = self.store.lock();
        let mut next = live.clone();
        for op in &self.ops {
            next.apply(op)?;
        }
        *live = next;
        Ok(())
    }

    async fn rollback(self) -> StoreResult<()> {
        Ok(())
    }

    async fn create_user(&mut self, new: &NewUser) -> StoreResult<Arc<U>> {
        let id = self
            .store
            .next_id
            .fetch_add(1, Ordering::Relaxed)
            .to_string();
        let user = Arc::new((self.store.make_user)(&id, new));
        let op = Op::CreateUser {
            user_id: id,
            username: new.username.as_deref().map(str::to_lowercase),
            user: Arc::clone(&user),
        };
        self.check_live(&op)?;
        self.write(op)?;
        Ok(user)
    }

    async fn user(&mut self, id: &str) -> StoreResult<Option<Arc<U>>> {
        Ok(self.view.users.get(id).cloned())
    }

    async fn user_by_username(&mut self, username: &str) -> StoreResult<Option<Arc<U>>> {
        Ok(self
            .view
            .usernames
            .get(&username.to_lowercase())
            .and_then(|id| self.view.users.get(id))
            .cloned())
    }

    async fn set_password_hash(
        &mut self,
        user_id: &str,
        hash: Option<&Secret<String>>,
    ) -> StoreResult<()> {
        self.write(Op::SetPassword {
            user_id: user_id.to_owned(),
            hash: hash.cloned(),
        })
    }

    async fn password_hash(&mut self, user_id: &str) -> StoreResult<Option<Secret<String>>> {
        Ok(self.view.passwords.get(user_id).cloned())
    }

    async fn email_addresses(&mut self, user_id: &str) -> StoreResult<Vec<EmailAddress>> {
        let mut addresses: Vec<EmailAddress> = self
            .view
            .emails
            .values()
            .filter(|address| address.user_id == user_id)
            .cloned()
            .collect();
        // Stable: the primary first, then by address.
        addresses.sort_by_key(|address| !address.primary);
        Ok(addresses)
    }

    async fn email_address(&mut self, email: &str) -> StoreResult<Option<EmailAddress>> {
        Ok(self.view.emails.get(&normalize_email(email)).cloned())
    }

    async fn insert_email_address(&mut self, address: &EmailAddress) -> StoreResult<()> {
        let op = Op::InsertEmail(address.clone());
        self.check_live(&op)?;
        self.write(op)
    }

    async fn update_email_address(&mut self, address: &EmailAddress) -> StoreResult<()> {
        self.write(Op::UpdateEmail(address.clone()))
    }

    async fn delete_email_address(&mut self, email: &str) -> StoreResult<()> {
        self.write(Op::DeleteEmail(normalize_email(email)))
    }

    async fn insert_confirmation(&mut self, confirmation: &EmailConfirmation) -> StoreResult<()> {
        refuse_empty(&confirmation.key, "confirmation")?;
        self.write(Op::InsertConfirmation(confirmation.clone()))
    }

    async fn take_confirmation(
        &mut self,
        key: &Secret<String>,
    ) -> StoreResult<Option<EmailConfirmation>> {
        let Some(confirmation) = self.view.confirmations.get(key.expose()).cloned() else {
            return Ok(None);
        };
        self.write(Op::TakeConfirmation(key.clone()))?;
        Ok(Some(confirmation))
    }

    async fn last_confirmation_sent(&mut self, email: &str) -> StoreResult<Option<SystemTime>> {
        let email = normalize_email(email);
        Ok(self
            .view
            .confirmations
            .values()
            .filter(|confirmation| confirmation.email_address.email == email)
            .filter_map(|confirmation| confirmation.sent)
            .max())
    }

    async fn insert_reset_key(
        &mut self,
        user_id: &str,
        key: &Secret<String>,
        created: SystemTime,
    ) -> StoreResult<()> {
        refuse_empty(key, "reset key")?;
        self.write(Op::InsertResetKey {
            key: key.clone(),
            user_id: user_id.to_owned(),
            created,
        })
    }

    async fn take_reset_key(
        &mut self,
        key: &Secret<String>,
    ) -> StoreResult<Option<(String, SystemTime)>> {
        let Some(found) = self.view.reset_keys.get(key.expose()).cloned() else {
            return Ok(None);
        };
        self.write(Op::TakeResetKey(key.clone()))?;
        Ok(Some(found))
    }

    async fn delete_reset_keys(&mut self, user_id: &str) -> StoreResult<usize> {
        let count = self
            .view
            .reset_keys
            .values()
            .filter(|(owner, _)| owner == user_id)
            .count();
        self.write(Op::DeleteResetKeys(user_id.to_owned()))?;
        Ok(count)
    }

    async fn social_account(
        &mut self,
        provider: &str,
        uid: &str,
    ) -> StoreResult<Option<SocialAccount>> {
        Ok(self
            .view
            .social
            .get(&(provider.to_owned(), uid.to_owned()))
            .map(|(account, _)| account.clone()))
    }

    async fn social_accounts(&mut self, user_id: &str) -> StoreResult<Vec<SocialAccount>> {
        Ok(self
            .view
            .social
            .values()
            .filter(|(account, _)| account.user_id.as_deref() == Some(user_id))
            .map(|(account, _)| account.clone())
            .collect())
    }

    async fn social_token(
        &mut self,
        provider: &str,
        uid: &str,
    ) -> StoreResult<Option<SocialToken>> {
        Ok(self
            .view
            .social
            .get(&(provider.to_owned(), uid.to_owned()))
            .and_then(|(_, token)| token.clone()))
    }

    async fn insert_social_account(
        &mut self,
        account: &SocialAccount,
        token: Option<&SocialToken>,
    ) -> StoreResult<()> {
        let op = Op::InsertSocial(account.clone(), token.cloned());
        self.check_live(&op)?;
        self.write(op)
    }

    async fn update_social_account(
        &mut self,
        account: &SocialAccount,
        token: Option<&SocialToken>,
    ) -> StoreResult<()> {
        self.write(Op::UpdateSocial(account.clone(), token.cloned()))
    }

    async fn delete_social_account(&mut self, provider: &str, uid: &str) -> StoreResult<()> {
        self.write(Op::DeleteSocial((provider.to_owned(), uid.to_owned())))
    }

    async fn insert_session(&mut self, key: &Secret<String>, user_id: &str) -> StoreResult<()> {
        refuse_empty(key, "session")?;
        self.write(Op::InsertSession {
            key: key.clone(),
            user_id: user_id.to_owned(),
        })
    }

    async fn session_user(&mut self, key: &Secret<String>) -> StoreResult<Option<Arc<U>>> {
        Ok(self
            .view
            .sessions
            .get(key.expose())
            .and_then(|id| self.view.users.get(id))
            .cloned())
    }

    async fn delete_session(&mut self, key: &Secret<String>) -> StoreResult<()> {
        self.write(Op::DeleteSession(key.clone()))
    }

    async fn delete_sessions(
        &mut self,
        user_id: &str,
        except: Option<&Secret<String>>,
    ) -> StoreResult<usize> {
        let count = self
            .view
            .sessions
            .iter()
            .filter(|(key, owner)| {
                *owner == user_id
                    && except.is_none_or(|except| Secret::new((*key).clone()) != *except)
            })
            .count();
        self.write(Op::DeleteSessions {
            user_id: user_id.to_owned(),
            except: except.cloned(),
        })?;
        Ok(count)
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
