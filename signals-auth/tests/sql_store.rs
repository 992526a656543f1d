//! `SqlStore`'s own contract, on SQLite (in memory and in a file) and, with
//! the `postgres` feature, on PostgreSQL (a database per test, from
//! `SIGNALS_TEST_POSTGRES`): the shipped migrations create the schema and
//! run again harmlessly; each `Transaction` method reads back what was
//! written, field by field; uniqueness of addresses, usernames (case-
//! insensitively) and provider accounts is reported by the database as the
//! typed `Conflict`, also between concurrent transactions; a key is taken
//! once, even by two concurrent transactions; a dropped or rolled-back
//! transaction leaves nothing; keys are stored hashed, never in clear.

mod stores;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use signals_auth::memory::BasicUser;
use signals_auth::sql::{SqlStore, SqlTransaction};
use signals_auth::{
    generate_key, AuthUser, Conflict, EmailAddress, EmailConfirmation, ExtraData, NewUser, Secret,
    SocialAccount, SocialApp, SocialToken, Store, Transaction,
};

fn new_user(username: Option<&str>, email: &str) -> NewUser {
    NewUser {
        username: username.map(str::to_owned),
        email: Some(email.to_owned()),
    }
}

fn at(micros: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(micros)
}

/// Creates a user in its own committed transaction.
async fn user(store: &SqlStore, username: Option<&str>, email: &str) -> Arc<BasicUser> {
    let mut tx = store.begin().await.unwrap();
    let user = tx.create_user(&new_user(username, email)).await.unwrap();
    tx.commit().await.unwrap();
    user
}

async fn users_and_usernames(store: &SqlStore) {
    let ada = user(store, Some("Ada"), "ada@example.com").await;
    assert_eq!(ada.username.as_deref(), Some("Ada"));
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.user(&ada.id()).await.unwrap().as_deref(),
        Some(&*ada),
        "read back by id"
    );
    assert_eq!(
        tx.user_by_username("aDA").await.unwrap().map(|u| u.id()),
        Some(ada.id()),
        "usernames match case-insensitively"
    );
    assert!(tx.user("not-an-id").await.unwrap().is_none());
    assert!(tx.user("999999").await.unwrap().is_none());
    // The username is taken whatever its case; the failed insert leaves the
    // transaction usable.
    let taken = tx
        .create_user(&new_user(Some("ADA"), "x@example.com"))
        .await;
    assert_eq!(taken.unwrap_err().as_conflict(), Some(Conflict::Username));
    let bob = tx
        .create_user(&new_user(Some("bob"), "bob@example.com"))
        .await;
    let bob = bob.unwrap();
    // No username: never a conflict.
    tx.create_user(&new_user(None, "n1@example.com"))
        .await
        .unwrap();
    tx.create_user(&new_user(None, "n2@example.com"))
        .await
        .unwrap();
    // Passwords: none until set, then the hash as given, then unusable.
    assert!(tx.password_hash(&bob.id()).await.unwrap().is_none());
    let hash = Secret::from("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    tx.set_password_hash(&bob.id(), Some(&hash)).await.unwrap();
    assert_eq!(tx.password_hash(&bob.id()).await.unwrap(), Some(hash));
    tx.set_password_hash(&bob.id(), None).await.unwrap();
    assert!(tx.password_hash(&bob.id()).await.unwrap().is_none());
    assert!(tx.set_password_hash("999999", None).await.is_err());
    tx.commit().await.unwrap();
    assert_eq!(store.user_count().await.unwrap(), 4);
}

async fn addresses(store: &SqlStore) {
    let ada = user(store, None, "ada@example.com").await;
    let bob = user(store, None, "bob@example.com").await;
    let mut tx = store.begin().await.unwrap();
    let primary = EmailAddress::new(ada.id(), "ada@example.com").primary(true);
    let second = EmailAddress::new(ada.id(), "a2@example.com").verified(true);
    tx.insert_email_address(&second).await.unwrap();
    tx.insert_email_address(&primary).await.unwrap();
    assert_eq!(
        tx.email_addresses(&ada.id()).await.unwrap(),
        [primary.clone(), second.clone()],
        "the primary first"
    );
    assert_eq!(
        tx.email_address("ADA@example.com").await.unwrap(),
        Some(primary.clone())
    );
    // Another user's address, or the same one again: a conflict, and the
    // stored address is unchanged.
    let steal = EmailAddress::new(bob.id(), "ada@example.com").verified(true);
    let conflict = tx.insert_email_address(&steal).await.unwrap_err();
    assert_eq!(conflict.as_conflict(), Some(Conflict::Email));
    assert_eq!(
        tx.email_address("ada@example.com").await.unwrap(),
        Some(primary.clone())
    );
    // Updates touch the owner's address only.
    tx.update_email_address(&steal).await.unwrap();
    assert_eq!(
        tx.email_address("ada@example.com").await.unwrap(),
        Some(primary.clone())
    );
    let verified = primary.clone().verified(true);
    tx.update_email_address(&verified).await.unwrap();
    assert_eq!(
        tx.email_address("ada@example.com").await.unwrap(),
        Some(verified)
    );
    tx.delete_email_address("a2@example.com").await.unwrap();
    assert_eq!(tx.email_addresses(&ada.id()).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
}

async fn keys(store: &SqlStore) {
    let ada = user(store, None, "ada@example.com").await;
    let mut tx = store.begin().await.unwrap();
    let confirmation = EmailConfirmation {
        email_address: EmailAddress::new(ada.id(), "ada@example.com"),
        created: at(1_700_000_000_000_001),
        sent: Some(at(1_700_000_000_000_002)),
        key: generate_key(),
    };
    tx.insert_confirmation(&confirmation).await.unwrap();
    assert_eq!(
        tx.last_confirmation_sent("ada@example.com").await.unwrap(),
        confirmation.sent
    );
    assert!(tx
        .last_confirmation_sent("nobody@example.com")
        .await
        .unwrap()
        .is_none());
    let reset = generate_key();
    tx.insert_reset_key(&ada.id(), &reset, at(5)).await.unwrap();
    tx.insert_reset_key(&ada.id(), &generate_key(), at(6))
        .await
        .unwrap();
    let session = generate_key();
    tx.insert_session(&session, &ada.id()).await.unwrap();
    tx.commit().await.unwrap();

    // Keys are kept hashed: no column of any table holds one in clear.
    for secret in [&confirmation.key, &reset, &session] {
        assert!(
            !dump_contains(store, secret.expose_str()).await,
            "a key is stored in clear"
        );
    }

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.session_user(&session).await.unwrap().map(|u| u.id()),
        Some(ada.id())
    );
    assert!(tx.session_user(&Secret::from("")).await.unwrap().is_none());
    assert_eq!(
        tx.take_confirmation(&confirmation.key).await.unwrap(),
        Some(confirmation.clone())
    );
    assert!(tx
        .take_confirmation(&confirmation.key)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        tx.take_reset_key(&reset).await.unwrap(),
        Some((ada.id(), at(5)))
    );
    assert!(tx.take_reset_key(&reset).await.unwrap().is_none());
    assert_eq!(tx.delete_reset_keys(&ada.id()).await.unwrap(), 1);
    assert_eq!(tx.delete_reset_keys(&ada.id()).await.unwrap(), 0);
    // Sessions: every one of the user's but the one kept.
    let other = generate_key();
    tx.insert_session(&other, &ada.id()).await.unwrap();
    tx.insert_session(&generate_key(), &ada.id()).await.unwrap();
    assert_eq!(
        tx.delete_sessions(&ada.id(), Some(&other)).await.unwrap(),
        2
    );
    assert!(tx.session_user(&session).await.unwrap().is_none());
    assert!(tx.session_user(&other).await.unwrap().is_some());
    assert_eq!(tx.delete_sessions(&ada.id(), None).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(store.session_count().await.unwrap(), 0);
}

/// True if any column of the auth tables holds `needle`.
async fn dump_contains(store: &SqlStore, needle: &str) -> bool {
    stores::snapshot(store).await.contains(needle)
}

async fn social(store: &SqlStore) {
    let ada = user(store, None, "ada@example.com").await;
    let mut account = SocialAccount::new("github", "1234");
    account.user_id = Some(ada.id());
    account.last_login = Some(at(10));
    account.date_joined = Some(at(9));
    account.extra_data = [("login", "ada"), ("name", "Ada L.")].into_iter().collect();
    let token = SocialToken {
        app: Some(SocialApp {
            provider: "github".into(),
            name: "GitHub".into(),
            client_id: "client".into(),
            secret: Secret::from("app-secret"),
            key: Secret::from("app-key"),
        }),
        token: Secret::from("access"),
        token_secret: Some(Secret::from("refresh")),
        expires_at: Some(at(99)),
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_social_account(&account, Some(&token))
        .await
        .unwrap();
    assert_eq!(
        tx.social_account("github", "1234").await.unwrap(),
        Some(account.clone())
    );
    assert_eq!(
        tx.social_accounts(&ada.id()).await.unwrap(),
        [account.clone()]
    );
    assert_eq!(
        tx.social_token("github", "1234").await.unwrap(),
        Some(token.clone())
    );
    let again = tx.insert_social_account(&account, None).await.unwrap_err();
    assert_eq!(again.as_conflict(), Some(Conflict::SocialAccount));
    // An update replaces the data; without a token it keeps the stored one.
    account.extra_data = ExtraData::from_iter([("login", "ada2")]);
    account.last_login = Some(at(11));
    tx.update_social_account(&account, None).await.unwrap();
    assert_eq!(
        tx.social_account("github", "1234").await.unwrap(),
        Some(account.clone())
    );
    assert_eq!(
        tx.social_token("github", "1234").await.unwrap(),
        Some(token.clone())
    );
    // Updating an account that is not stored creates nothing.
    tx.update_social_account(&SocialAccount::new("gitlab", "1"), None)
        .await
        .unwrap();
    assert!(tx.social_account("gitlab", "1").await.unwrap().is_none());
    tx.delete_social_account("github", "1234").await.unwrap();
    assert!(tx.social_account("github", "1234").await.unwrap().is_none());
    assert!(tx.social_token("github", "1234").await.unwrap().is_none());
    tx.commit().await.unwrap();
}

async fn rollback(store: &SqlStore) {
    let before = stores::snapshot(store).await;
    {
        let mut tx = store.begin().await.unwrap();
        let user = gone_user(&mut tx).await;
        tx.insert_session(&generate_key(), &user.id())
            .await
            .unwrap();
        // Dropped without a commit.
    }
    assert_eq!(stores::snapshot(store).await, before);
    let mut tx = store.begin().await.unwrap();
    gone_user(&mut tx).await;
    tx.rollback().await.unwrap();
    assert_eq!(stores::snapshot(store).await, before);
    // The username and address are free again.
    let mut tx = store.begin().await.unwrap();
    let user = gone_user(&mut tx).await;
    tx.commit().await.unwrap();
    assert_eq!(user.username.as_deref(), Some("gone"));
    assert_ne!(stores::snapshot(store).await, before);
}

/// Creates the user "gone" with the address gone@example.com.
async fn gone_user(tx: &mut SqlTransaction<'_, BasicUser>) -> Arc<BasicUser> {
    let user = tx
        .create_user(&new_user(Some("gone"), "gone@example.com"))
        .await
        .unwrap();
    tx.insert_email_address(&EmailAddress::new(user.id(), "gone@example.com"))
        .await
        .unwrap();
    user
}

/// Many transactions at once, each creating a user and inserting one of a
/// few addresses: exactly one per address commits, the others see the
/// typed conflict (at the insert or at the commit) and leave no user.
async fn concurrent_inserts(store: Arc<SqlStore>) {
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let email = format!("c{}@example.com", i % 10);
            let mut tx = store.begin().await?;
            let user = tx.create_user(&new_user(None, &email)).await?;
            tx.insert_email_address(&EmailAddress::new(user.id(), &email))
                .await?;
            tx.commit().await
        }));
    }
    let (mut won, mut conflicts) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(error) => {
                assert_eq!(error.as_conflict(), Some(Conflict::Email), "{error}");
                conflicts += 1;
            }
        }
    }
    assert_eq!((won, conflicts), (10, 30));
    assert_eq!(store.user_count().await.unwrap(), 10);
}

/// Two transactions take one key at once: one gets it.
async fn concurrent_takes(store: Arc<SqlStore>) {
    let ada = user(&store, None, "ada@example.com").await;
    let key = generate_key();
    let mut tx = store.begin().await.unwrap();
    tx.insert_reset_key(&ada.id(), &key, at(1)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, key) = (Arc::clone(&store), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let taken = tx.take_reset_key(&key).await.unwrap();
            tokio::task::yield_now().await;
            tx.commit().await.unwrap();
            taken.is_some()
        }));
    }
    let mut taken = 0;
    for task in tasks {
        taken += usize::from(task.await.unwrap());
    }
    assert_eq!(taken, 1);
}

async fn contract(fresh: impl AsyncFn() -> SqlStore) {
    users_and_usernames(&fresh().await).await;
    addresses(&fresh().await).await;
    keys(&fresh().await).await;
    social(&fresh().await).await;
    rollback(&fresh().await).await;
    concurrent_inserts(Arc::new(fresh().await)).await;
    concurrent_takes(Arc::new(fresh().await)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_in_memory() {
    contract(stores::sqlite_memory).await;
}

/// SQLite has one writer: a second transaction waits for the first (in the
/// pool's queue), instead of failing with SQLITE_BUSY, and then runs and
/// sees the first's writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_transactions_queue_for_the_writer() {
    let file = stores::SqliteFile::new();
    let store = Arc::new(file.store().await);
    let mut first = store.begin().await.unwrap();
    first
        .create_user(&new_user(Some("first"), "first@example.com"))
        .await
        .unwrap();
    let second = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            let mut tx = store.begin().await?;
            // Read, then write: with deferred transactions on two
            // connections, this is where SQLite would answer SQLITE_BUSY.
            assert!(tx.user_by_username("first").await?.is_some());
            let user = tx
                .create_user(&new_user(Some("second"), "second@example.com"))
                .await?;
            tx.commit().await?;
            Ok::<_, signals_auth::StoreError>(user)
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second transaction did not wait");
    first.commit().await.unwrap();
    let second = second.await.unwrap().expect("the second transaction ran");
    assert_eq!(second.username.as_deref(), Some("second"));
    assert_eq!(store.user_count().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file() {
    let file = stores::SqliteFile::new();
    let store = file.store().await;
    users_and_usernames(&store).await;
    store.close().await;
    // Connecting again finds the schema migrated and the data kept.
    let store = file.store().await;
    assert_eq!(store.user_count().await.unwrap(), 4);
    drop(store);
    let files = std::sync::Mutex::new(Vec::new());
    contract(async || {
        let file = stores::SqliteFile::new();
        let store = file.store().await;
        files.lock().unwrap().push(file);
        store
    })
    .await;
    // Each file is deleted here, after its store.
    drop(files);
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let databases = std::sync::Mutex::new(Vec::new());
    contract(async || {
        let database = stores::PostgresDatabase::create().await;
        let store = database.store().await;
        databases.lock().unwrap().push(database);
        store
    })
    .await;
    // Each database is dropped here, after its store.
    drop(databases);
}
