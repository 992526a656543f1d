// What the flows promise under concurrency, failure and hostile input, on
// any store: uniqueness under concurrent flows; a failing or panicking
// receiver leaves the store exactly as it was (compared field by field) and
// mails nothing, and a retry succeeds; a reset or password change ends
// sessions and keys; keys and passwords are secrets; hostile addresses are
// refused before anything is stored or mailed; existing accounts are not
// told apart with prevent_enumeration.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{
    accounts, addresses, catch_panic, events, failing, find_user, request, session_count, signed_up,
    snapshot, stored_social, user_count, TestAccounts,
};
use signals_auth::flows::{
    ConfirmOutcome, Credentials, EmailVerification, FlowError, LoginOutcome, ResetOutcome,
    Settings, SignupForm, SignupOutcome, SocialLoginOutcome,
};
use signals_auth::mail::Mail;
use signals_auth::{
    is_well_formed_key, AuthUser, Process, RequestContext, Secret, SocialAccount, SocialLogin,
    Store, Transaction,
};

fn settings(verification: EmailVerification) -> Settings {
    Settings::new().email_verification(verification)
}

fn github(uid: &str, email: &str, verified: bool) -> SocialLogin {
    SocialLogin::new(SocialAccount::new("github", uid)).with_email(email, verified)
}

fn key_for(accounts: &TestAccounts, email: &str) -> Secret<String> {
    accounts
        .mailer()
        .last_key_for(email)
        .expect("a mail with a key")
}

/// Logs `email` in with password "pw" and returns the session key.
async fn session_of(accounts: &TestAccounts, id: &str, email: &str) -> Secret<String> {
    match accounts
        .login(&request(id), Credentials::new(email, "pw"))
        .await
        .unwrap()
    {
        LoginOutcome::LoggedIn(login) => {
            events(id);
            login.session_key
        }
        LoginOutcome::VerificationRequired { .. } => panic!("logged in"),
    }
}

/// The user a session key belongs to, if it is still open.
async fn session_user(accounts: &TestAccounts, key: &Secret<String>) -> Option<String> {
    let mut tx = accounts.store().begin().await.unwrap();
    let user = tx.session_user(key).await.unwrap().map(|user| user.id());
    tx.rollback().await.unwrap();
    user
}

/// For each signal of a flow, and each way a receiver can fail (an `Err`, a
/// panic): runs the flow with that receiver failing, and checks that the
/// flow reports it and that the store and the outbox are exactly as
/// before. Then runs the flow with no failure and returns its result: the
/// retry succeeds.
async fn assert_atomic<T, F, Fut>(
    accounts: &TestAccounts,
    id: &str,
    signals: &[&str],
    run: F,
) -> T
where
    F: Fn(RequestContext) -> Fut,
    Fut: Future<Output = Result<T, FlowError>>,
{
    for signal in signals {
        for panic in [false, true] {
            let before = snapshot(accounts).await;
            let mails = accounts.mailer().outbox().len();
            let result = catch_panic(run(failing(id, signal, panic))).await;
            let how = if panic { "panicked" } else { "failed" };
            match result {
                Ok(Err(FlowError::Receiver(_))) => {}
                Err(message) if panic && message.contains("on purpose") => {}
                Ok(other) => panic!(
                    "{id}: a {signal} receiver {how}, yet the flow did not fail with it: {:?}",
                    other.err()
                ),
                Err(message) => panic!("{id}: the flow panicked: {message}"),
            }
            assert_eq!(
                snapshot(accounts).await,
                before,
                "{id}: a {signal} receiver {how}: the store changed"
            );
            assert_eq!(
                accounts.mailer().outbox().len(),
                mails,
                "{id}: a {signal} receiver {how}: a mail went out"
            );
        }
    }
    events(id);
    let done = run(request(id)).await;
    match done {
        Ok(value) => value,
        Err(error) => panic!("{id}: the retry failed: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_signups_with_one_address_give_one_user_and_one_email_in_use() {
    const ADDRESSES: usize = 400;
    let accounts = Arc::new(accounts(settings(EmailVerification::None)).await);
    let mut tasks = Vec::with_capacity(ADDRESSES * 2);
    for i in 0..ADDRESSES {
        for _ in 0..2 {
            let accounts = Arc::clone(&accounts);
            tasks.push(tokio::spawn(async move {
                accounts
                    .signup(
                        &request("race-signup"),
                        SignupForm::new(format!("racer{i}@example.com")),
                    )
                    .await
            }));
        }
    }
    let (mut signed_up, mut in_use) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(SignupOutcome::LoggedIn(_)) => signed_up += 1,
            Err(FlowError::EmailInUse) => in_use += 1,
            other => panic!("unexpected: {other:?}"),
        }
    }
    events("race-signup");
    assert_eq!((signed_up, in_use), (ADDRESSES, ADDRESSES));
    assert_eq!(user_count(&accounts).await, ADDRESSES);
    // Every address belongs to the user who won it, and stays its primary.
    for i in [0, ADDRESSES / 2, ADDRESSES - 1] {
        let address = crate::common::address(&accounts, &format!("racer{i}@example.com"))
            .await
            .expect("stored");
        let owner = addresses(&accounts, &address.user_id).await;
        assert_eq!(owner.len(), 1);
        assert!(owner[0].primary);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_usernames_social_accounts_and_keys_are_won_once() {
    let accounts = Arc::new(accounts(settings(EmailVerification::None)).await);
    let id = "race-others";
    // One username, asked for twice with different addresses.
    let mut tasks = Vec::new();
    for n in 0..40 {
        for side in ["a", "b"] {
            let accounts = Arc::clone(&accounts);
            tasks.push(tokio::spawn(async move {
                accounts
                    .signup(
                        &request(id),
                        SignupForm::new(format!("user{n}{side}@example.com"))
                            .username(format!("name{n}")),
                    )
                    .await
                    .map(|_| ())
            }));
        }
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 40);
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, FlowError::UsernameInUse)));

    // One provider account, signed up through twice with different
    // addresses: one user, one AccountInUse.
    let mut tasks = Vec::new();
    for n in 0..40 {
        for side in ["a", "b"] {
            let accounts = Arc::clone(&accounts);
            tasks.push(tokio::spawn(async move {
                accounts
                    .social_login(
                        &request(id),
                        github(&format!("uid{n}"), &format!("gh{n}{side}@example.com"), true),
                    )
                    .await
                    .map(|_| ())
            }));
        }
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let won = results.iter().filter(|r| r.is_ok()).count();
    // The loser either saw the account (an existing-account login of the
    // winner) or lost the insert (AccountInUse); never a second owner.
    assert!(won >= 40, "{won}");
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, FlowError::AccountInUse)));
    for n in 0..40 {
        let (account, _) = stored_social(&accounts, "github", &format!("uid{n}")).await;
        let owner = account.unwrap().user_id.unwrap();
        assert_eq!(addresses(&accounts, &owner).await.len(), 1);
    }
    assert_eq!(user_count(&accounts).await, 80);

    // One confirmation key, used twice at once: one confirmation.
    let user = signed_up(&accounts, id, "keyrace@example.com").await;
    accounts
        .add_email(&request(id), &user, "keyrace2@example.com")
        .await
        .unwrap();
    let key = key_for(&accounts, "keyrace2@example.com");
    let confirm = |accounts: Arc<TestAccounts>, key: Secret<String>| {
        tokio::spawn(async move {
            accounts
                .confirm_email(&request(id), &key, None)
                .await
                .map(|_| ())
        })
    };
    let a = confirm(Arc::clone(&accounts), key.clone());
    let b = confirm(Arc::clone(&accounts), key);
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    events(id);
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one confirmation wins: {a:?} {b:?}"
    );
    assert!(matches!(
        a.err().or(b.err()),
        Some(FlowError::InvalidKey)
    ));
}

#[tokio::test]
async fn a_failing_receiver_leaves_sign_up_and_confirmation_untouched() {
    let id = "atomic-signup";
    let accounts = accounts(
        settings(EmailVerification::Mandatory)
            .login_on_email_confirmation(true)
            .prevent_enumeration(false),
    )
    .await;
    let outcome = assert_atomic(
        &accounts,
        id,
        &["UserSignedUp", "EmailConfirmationSent"],
        |request| {
            let accounts = &accounts;
            async move {
                accounts
                    .signup(&request, SignupForm::new("ann@example.com").password("pw"))
                    .await
            }
        },
    )
    .await;
    let SignupOutcome::VerificationRequired { pending_login } = outcome else {
        panic!("verification required")
    };
    let key = key_for(&accounts, "ann@example.com");
    let outcome = assert_atomic(&accounts, id, &["EmailConfirmed", "UserLoggedIn"], |request| {
        let (accounts, key, pending_login) = (&accounts, &key, &pending_login);
        async move {
            accounts
                .confirm_email(&request, key, Some(pending_login))
                .await
        }
    })
    .await;
    assert!(matches!(outcome, ConfirmOutcome::LoggedIn(..)));
    assert_eq!(user_count(&accounts).await, 1);
}

#[tokio::test]
async fn a_failing_receiver_leaves_address_flows_untouched() {
    let id = "atomic-addresses";
    let accounts = accounts(settings(EmailVerification::Optional)).await;
    let user = signed_up(&accounts, id, "bo@example.com").await;
    let user = &user;
    assert_atomic(
        &accounts,
        id,
        &["EmailConfirmationSent", "EmailAdded"],
        |request| {
            let accounts = &accounts;
            async move { accounts.add_email(&request, user, "bo@work.example").await }
        },
    )
    .await;
    let key = key_for(&accounts, "bo@work.example");
    assert_atomic(&accounts, id, &["EmailConfirmed"], |request| {
        let (accounts, key) = (&accounts, &key);
        async move { accounts.confirm_email(&request, key, None).await }
    })
    .await;
    assert_atomic(&accounts, id, &["EmailChanged"], |request| {
        let accounts = &accounts;
        async move {
            accounts
                .set_primary_email(&request, user, "bo@work.example")
                .await
        }
    })
    .await;
    assert_atomic(&accounts, id, &["EmailRemoved"], |request| {
        let accounts = &accounts;
        async move { accounts.remove_email(&request, user, "bo@example.com").await }
    })
    .await;
    assert_atomic(&accounts, id, &["EmailConfirmationSent"], |request| {
        let accounts = &accounts;
        async move { accounts.change_email(&request, user, "bo@new.example").await }
    })
    .await;
    let key = key_for(&accounts, "bo@new.example");
    assert_atomic(
        &accounts,
        id,
        &["EmailAdded", "EmailConfirmed", "EmailChanged"],
        |request| {
            let (accounts, key) = (&accounts, &key);
            async move { accounts.confirm_email(&request, key, None).await }
        },
    )
    .await;
    let stored = addresses(&accounts, &user.id()).await;
    assert_eq!(stored[0].email, "bo@new.example");
    assert!(stored[0].primary && stored[0].verified);
}

#[tokio::test]
async fn a_failing_receiver_leaves_logins_and_passwords_untouched() {
    let id = "atomic-passwords";
    let accounts = accounts(
        settings(EmailVerification::None)
            .logout_on_password_change(true)
            .login_on_password_reset(true),
    )
    .await;
    let user = signed_up(&accounts, id, "cy@example.com").await;
    let user = &user;
    let login = assert_atomic(&accounts, id, &["UserLoggedIn"], |request| {
        let accounts = &accounts;
        async move {
            accounts
                .login(&request, Credentials::new("cy@example.com", "pw"))
                .await
        }
    })
    .await;
    let LoginOutcome::LoggedIn(login) = login else {
        panic!("logged in")
    };
    let key = login.session_key.expose_str().to_owned();
    assert_atomic(
        &accounts,
        id,
        &["UserLoggedOut", "PasswordChanged"],
        |request| {
            let (accounts, key) = (&accounts, key.clone());
            async move {
                accounts
                    .change_password(
                        &request.with_session_key(key),
                        user,
                        &"pw".into(),
                        &"pw2".into(),
                    )
                    .await
            }
        },
    )
    .await;
    // The old password is gone only now that the change went through.
    let old = accounts
        .login(&request(id), Credentials::new("cy@example.com", "pw"))
        .await;
    assert!(matches!(old, Err(FlowError::InvalidCredentials)));
    let session = session_of_password(&accounts, id, "pw2").await;
    assert_atomic(&accounts, id, &["UserLoggedOut"], |request| {
        let (accounts, session) = (&accounts, session.clone());
        async move { accounts.logout(&request.with_session_key(session)).await }
    })
    .await;

    accounts
        .request_password_reset(&request(id), "cy@example.com")
        .await
        .unwrap();
    let key = key_for(&accounts, "cy@example.com");
    let outcome = assert_atomic(
        &accounts,
        id,
        &["PasswordReset", "UserLoggedIn"],
        |request| {
            let (accounts, key) = (&accounts, &key);
            async move { accounts.reset_password(&request, key, &"pw3".into()).await }
        },
    )
    .await;
    assert!(matches!(outcome, ResetOutcome::LoggedIn(_)));
}

async fn session_of_password(accounts: &TestAccounts, id: &str, password: &str) -> String {
    match accounts
        .login(&request(id), Credentials::new("cy@example.com", password))
        .await
        .unwrap()
    {
        LoginOutcome::LoggedIn(login) => login.session_key.expose_str().to_owned(),
        LoginOutcome::VerificationRequired { .. } => panic!("logged in"),
    }
}

#[tokio::test]
async fn a_failing_receiver_leaves_password_set_untouched() {
    let id = "atomic-password-set";
    let accounts = accounts(settings(EmailVerification::None).logout_on_password_change(true)).await;
    let SignupOutcome::LoggedIn(login) = accounts
        .signup(&request(id), SignupForm::new("dee@example.com"))
        .await
        .unwrap()
    else {
        panic!("logged in")
    };
    events(id);
    let key = login.session_key.expose_str().to_owned();
    let user = &login.user;
    assert_atomic(&accounts, id, &["UserLoggedOut", "PasswordSet"], |request| {
        let (accounts, key) = (&accounts, key.clone());
        async move {
            accounts
                .set_password(&request.with_session_key(key), user, &"first".into())
                .await
        }
    })
    .await;
    // allauth logs out before password_set too, with logout-on-change.
    assert_eq!(session_count(&accounts).await, 0);
}

#[tokio::test]
async fn a_failing_receiver_leaves_social_flows_untouched() {
    let id = "atomic-social";
    let accounts = accounts(settings(EmailVerification::Optional)).await;
    // The same login twice: a new user first, then an existing account.
    let log_eve_in = |request: RequestContext| {
        let accounts = &accounts;
        async move {
            accounts
                .social_login(&request, github("300", "eve@example.com", true))
                .await
        }
    };
    let signals = ["PreSocialLogin", "UserSignedUp", "UserLoggedIn"];
    let outcome = assert_atomic(&accounts, id, &signals, &log_eve_in).await;
    let SocialLoginOutcome::SignedUp(login) = outcome else {
        panic!("signed up")
    };
    let signals = ["SocialAccountUpdated", "PreSocialLogin", "UserLoggedIn"];
    assert_atomic(&accounts, id, &signals, &log_eve_in).await;
    let user = &login.user;
    assert_atomic(
        &accounts,
        id,
        &["PreSocialLogin", "SocialAccountAdded"],
        |request| {
            let accounts = &accounts;
            async move {
                accounts
                    .social_connect(&request, user, github("301", "eve@other.example", true))
                    .await
            }
        },
    )
    .await;
    assert_atomic(&accounts, id, &["SocialAccountRemoved"], |request| {
        let accounts = &accounts;
        async move {
            accounts
                .social_disconnect(&request, user, "github", "301")
                .await
        }
    })
    .await;
    assert_eq!(user_count(&accounts).await, 1);
}

#[tokio::test]
async fn a_reset_ends_every_session_and_every_earlier_key() {
    let id = "reset-ends";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let user = signed_up(&accounts, id, "fox@example.com").await;
    let other = signed_up(&accounts, id, "gus@example.com").await;
    let first = session_of(&accounts, id, "fox@example.com").await;
    let second = session_of(&accounts, id, "fox@example.com").await;
    let bystander = session_of(&accounts, id, "gus@example.com").await;
    for _ in 0..2 {
        accounts
            .request_password_reset(&request(id), "fox@example.com")
            .await
            .unwrap();
    }
    let keys: Vec<Secret<String>> = accounts
        .mailer()
        .outbox()
        .iter()
        .filter(|mail| matches!(mail, Mail::PasswordReset { .. }))
        .filter_map(|mail| mail.key().cloned())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
    accounts
        .reset_password(&request(id), &keys[1], &"new".into())
        .await
        .unwrap();
    assert_eq!(session_user(&accounts, &first).await, None);
    assert_eq!(session_user(&accounts, &second).await, None);
    assert_eq!(session_user(&accounts, &bystander).await, Some(other.id()));
    // The older key no longer works, nor the used one.
    for key in &keys {
        let reused = accounts
            .reset_password(&request(id), key, &"attacker".into())
            .await;
        assert!(matches!(reused, Err(FlowError::InvalidKey)));
    }
    assert!(accounts
        .login(&request(id), Credentials::new("fox@example.com", "new"))
        .await
        .is_ok());
    let _ = user;
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions() {
    let id = "change-ends";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let user = signed_up(&accounts, id, "hu@example.com").await;
    let mine = session_of(&accounts, id, "hu@example.com").await;
    let elsewhere = session_of(&accounts, id, "hu@example.com").await;
    accounts
        .request_password_reset(&request(id), "hu@example.com")
        .await
        .unwrap();
    let reset_key = key_for(&accounts, "hu@example.com");
    events(id);
    let here = request(id).with_session_key(mine.expose_str());
    accounts
        .change_password(&here, &user, &"pw".into(), &"pw2".into())
        .await
        .unwrap();
    // Without logout-on-change the request's own session stays, with no
    // user_logged_out; the other one ends, and so does the reset key.
    assert_eq!(events(id), ["password_changed(user=1)"]);
    assert_eq!(session_user(&accounts, &mine).await, Some(user.id()));
    assert_eq!(session_user(&accounts, &elsewhere).await, None);
    let reset = accounts
        .reset_password(&request(id), &reset_key, &"x".into())
        .await;
    assert!(matches!(reset, Err(FlowError::InvalidKey)));

    // With logout-on-change, the own session ends too, after
    // user_logged_out.
    let accounts_out = crate::common::accounts(
        settings(EmailVerification::None).logout_on_password_change(true),
    )
    .await;
    let user = signed_up(&accounts_out, id, "hu@example.com").await;
    let mine = session_of(&accounts_out, id, "hu@example.com").await;
    let elsewhere = session_of(&accounts_out, id, "hu@example.com").await;
    let here = request(id).with_session_key(mine.expose_str());
    accounts_out
        .change_password(&here, &user, &"pw".into(), &"pw2".into())
        .await
        .unwrap();
    assert_eq!(
        events(id),
        ["user_logged_out(user=1)", "password_changed(user=1)"]
    );
    assert_eq!(session_count(&accounts_out).await, 0);
    let _ = elsewhere;
}

#[tokio::test]
async fn passwords_are_stored_as_argon2_hashes_and_keys_are_random() {
    let id = "secrets";
    let accounts = accounts(settings(EmailVerification::Optional)).await;
    let user = signed_up(&accounts, id, "ida@example.com").await;
    let mut tx = accounts.store().begin().await.unwrap();
    let hash = tx.password_hash(&user.id()).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    assert!(hash.expose().starts_with("$argon2id$"), "an argon2id PHC string");
    // No field of the PHC string is the password ("pw"). Not a substring
    // test: the base64 salt field ends in "pw" for about 1 salt in 256.
    assert!(!hash.expose().split('$').any(|field| field == "pw"));
    assert!(hash.expose().len() > 60, "a salt and a hash, not the password");

    let confirmation = key_for(&accounts, "ida@example.com");
    let session = session_of(&accounts, id, "ida@example.com").await;
    for key in [&confirmation, &session] {
        assert!(is_well_formed_key(key), "64 hex characters");
    }
    assert_ne!(confirmation, session);
}

#[tokio::test]
async fn empty_and_malformed_keys_never_match() {
    let id = "bad-keys";
    let accounts = accounts(settings(EmailVerification::Optional)).await;
    signed_up(&accounts, id, "jan@example.com").await;
    accounts
        .request_password_reset(&request(id), "jan@example.com")
        .await
        .unwrap();
    let confirmation = accounts.mailer().outbox()[0].key().unwrap().clone();
    let reset = key_for(&accounts, "jan@example.com");
    let before = snapshot(&accounts).await;
    for real in [&confirmation, &reset] {
        let bad = [
            String::new(),
            " ".into(),
            real.expose().to_uppercase(),
            format!("{} ", real.expose()),
            real.expose()[..63].to_owned(),
            format!("{}0", real.expose()),
            "0".repeat(64),
        ];
        for bad in bad {
            let bad = Secret::new(bad);
            let confirm = accounts.confirm_email(&request(id), &bad, None).await;
            assert!(matches!(confirm, Err(FlowError::InvalidKey)));
            let reset = accounts
                .reset_password(&request(id), &bad, &"x".into())
                .await;
            assert!(matches!(reset, Err(FlowError::InvalidKey)));
        }
    }
    assert_eq!(snapshot(&accounts).await, before);
    // The real ones still work.
    accounts
        .confirm_email(&request(id), &confirmation, None)
        .await
        .unwrap();
    accounts
        .reset_password(&request(id), &reset, &"x".into())
        .await
        .unwrap();
}

/// The store itself refuses an empty key (a confirmation saved back after a
/// serde round trip has one), so no row can answer to another empty key.
#[tokio::test]
async fn the_store_refuses_empty_keys() {
    let id = "empty-keys";
    let accounts = accounts(settings(EmailVerification::Optional)).await;
    let user = signed_up(&accounts, id, "kim@example.com").await;
    let before = snapshot(&accounts).await;
    let empty = Secret::new(String::new());
    let mut tx = accounts.store().begin().await.unwrap();
    let confirmation = signals_auth::EmailConfirmation {
        email_address: signals_auth::EmailAddress::new(user.id(), "kim@example.com"),
        created: std::time::SystemTime::now(),
        sent: None,
        key: empty.clone(),
    };
    let refused = tx.insert_confirmation(&confirmation).await;
    assert!(refused.is_err(), "a confirmation with an empty key was stored");
    let refused = tx
        .insert_reset_key(&user.id(), &empty, std::time::SystemTime::now())
        .await;
    assert!(refused.is_err(), "an empty reset key was stored");
    let refused = tx.insert_session(&empty, &user.id()).await;
    assert!(refused.is_err(), "an empty session key was stored");
    assert!(tx.take_confirmation(&empty).await.unwrap().is_none());
    assert!(tx.session_user(&empty).await.unwrap().is_none());
    tx.commit().await.unwrap();
    assert_eq!(snapshot(&accounts).await, before);
}

/// The addresses of the issue, and more.
fn hostile_addresses() -> Vec<String> {
    vec![
        "victim@x.com\r\nBcc: attacker@evil.example".into(),
        "victim@x.com\nBcc: attacker@evil.example".into(),
        "victim@x.com\r".into(),
        String::new(),
        "   ".into(),
        "no-at-sign".into(),
        "two@at@example.com".into(),
        "@example.com".into(),
        "nodomain@".into(),
        "tab\t@example.com".into(),
        "nul\u{0}@example.com".into(),
        format!("{}@example.com", "a".repeat(1 << 20)),
        format!("a@{}.com", "b".repeat(260)),
    ]
}

#[tokio::test]
async fn hostile_addresses_are_refused_and_never_mailed() {
    let id = "hostile";
    let accounts = accounts(settings(EmailVerification::Optional)).await;
    let user = signed_up(&accounts, id, "kai@example.com").await;
    let before = snapshot(&accounts).await;
    let mails = accounts.mailer().outbox().len();
    for bad in hostile_addresses() {
        let refused = |result: Result<(), FlowError>| {
            assert!(
                matches!(result, Err(FlowError::InvalidEmail(_))),
                "{:?} was not refused: {result:?}",
                bad.chars().take(40).collect::<String>()
            );
        };
        refused(
            accounts
                .signup(&request(id), SignupForm::new(bad.as_str()).password("pw"))
                .await
                .map(|_| ()),
        );
        refused(accounts.add_email(&request(id), &user, &bad).await.map(|_| ()));
        refused(accounts.change_email(&request(id), &user, &bad).await);
        refused(accounts.request_password_reset(&request(id), &bad).await);
        refused(accounts.resend_confirmation(&request(id), &bad).await);
        refused(
            accounts
                .social_login(&request(id), github("hostile", &bad, false))
                .await
                .map(|_| ()),
        );
    }
    assert_eq!(snapshot(&accounts).await, before);
    assert_eq!(accounts.mailer().outbox().len(), mails);
    assert!(events(id).is_empty());

    for bad in ["", "   ", "bad\u{0}name", "new\nline", "has@at", &"a".repeat(151)] {
        let refused = accounts
            .signup(&request(id), SignupForm::new("lu@example.com").username(bad))
            .await;
        assert!(
            matches!(refused, Err(FlowError::InvalidUsername(_))),
            "{bad:?}"
        );
    }
    assert_eq!(snapshot(&accounts).await, before);
}

#[tokio::test]
async fn with_mandatory_verification_a_taken_address_answers_like_a_free_one() {
    let id = "enumeration-hidden";
    let accounts = accounts(settings(EmailVerification::Mandatory)).await;
    let owner = signed_up(&accounts, id, "mo@example.com").await;
    let other = signed_up(&accounts, id, "ned@example.com").await;
    let before = snapshot(&accounts).await;
    let mails = accounts.mailer().outbox().len();

    let taken = accounts
        .signup(&request(id), SignupForm::new("MO@example.com").password("x"))
        .await
        .unwrap();
    let SignupOutcome::VerificationRequired { pending_login } = taken else {
        panic!("the same answer as a new address")
    };
    assert_eq!(pending_login.email, "mo@example.com");
    accounts
        .change_email(&request(id), &other, "mo@example.com")
        .await
        .unwrap();
    let added = accounts
        .add_email(&request(id), &other, "mo@example.com")
        .await
        .unwrap();
    assert!(!added.verified && !added.primary);

    // Nothing stored, no signal; the owner got a mail for each attempt.
    assert_eq!(snapshot(&accounts).await, before);
    assert!(events(id).is_empty());
    let outbox = accounts.mailer().outbox();
    assert_eq!(outbox.len(), mails + 3);
    assert!(outbox[mails..]
        .iter()
        .all(|mail| matches!(mail, Mail::AccountAlreadyExists { to } if to == "mo@example.com")));

    // A fresh address gets the same kind of answer, with a user behind it.
    let fresh = accounts
        .signup(&request(id), SignupForm::new("new@example.com").password("x"))
        .await
        .unwrap();
    assert!(matches!(fresh, SignupOutcome::VerificationRequired { .. }));
    // The user's own address is no secret to them.
    let own = accounts
        .add_email(&request(id), &owner, "mo@example.com")
        .await;
    assert!(matches!(own, Err(FlowError::EmailInUse)));
}

#[tokio::test]
async fn without_mandatory_verification_or_with_the_setting_off_email_in_use_stays() {
    let id = "enumeration-shown";
    for settings in [
        settings(EmailVerification::Optional),
        settings(EmailVerification::None),
        settings(EmailVerification::Mandatory).prevent_enumeration(false),
    ] {
        let accounts = accounts(settings).await;
        let other = signed_up(&accounts, id, "ole@example.com").await;
        signed_up(&accounts, id, "pat@example.com").await;
        let before = snapshot(&accounts).await;
        let signup = accounts
            .signup(&request(id), SignupForm::new("pat@example.com"))
            .await;
        assert!(matches!(signup, Err(FlowError::EmailInUse)));
        let change = accounts
            .change_email(&request(id), &other, "pat@example.com")
            .await;
        assert!(matches!(change, Err(FlowError::EmailInUse)));
        assert_eq!(snapshot(&accounts).await, before);
        assert!(!accounts
            .mailer()
            .outbox()
            .iter()
            .any(|mail| matches!(mail, Mail::AccountAlreadyExists { .. })));
    }
    events(id);
}

#[tokio::test]
async fn confirmation_mails_cool_down_for_180_seconds() {
    let id = "cooldown";
    let accounts = accounts(settings(EmailVerification::Mandatory)).await;
    assert_eq!(
        accounts.settings().email_confirmation_cooldown,
        Duration::from_secs(180)
    );
    signed_up(&accounts, id, "quin@example.com").await;
    let mails = accounts.mailer().outbox().len();
    // A login and a resend right after the sign-up send nothing more.
    let login = accounts
        .login(&request(id), Credentials::new("quin@example.com", "pw"))
        .await
        .unwrap();
    assert!(matches!(login, LoginOutcome::VerificationRequired { .. }));
    accounts
        .resend_confirmation(&request(id), "quin@example.com")
        .await
        .unwrap();
    assert_eq!(accounts.mailer().outbox().len(), mails);
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn a_mandatory_verification_login_mails_the_address_typed() {
    let id = "login-typed";
    let accounts = accounts(settings(EmailVerification::Mandatory).email_confirmation_cooldown(Duration::ZERO)).await;
    let user = signed_up(&accounts, id, "rae@example.com").await;
    accounts
        .add_email(&request(id), &user, "rae@second.example")
        .await
        .unwrap();
    events(id);
    let login = accounts
        .login(&request(id), Credentials::new("rae@second.example", "pw"))
        .await
        .unwrap();
    let LoginOutcome::VerificationRequired { pending_login, .. } = login else {
        panic!("verification required")
    };
    assert_eq!(pending_login.email, "rae@second.example");
    assert_eq!(
        events(id),
        ["email_confirmation_sent(signup=false, to=rae@second.example)"]
    );
}

#[tokio::test]
async fn social_logins_pass_the_login_checks_and_log_others_out() {
    let id = "social-checks";
    let accounts = accounts(settings(EmailVerification::Mandatory)).await;
    // A provider account connected to a user with no verified address:
    // mandatory verification stops its login too.
    let user = signed_up(&accounts, id, "sol@example.com").await;
    accounts
        .social_connect(&request(id), &user, github("400", "sol@example.com", false))
        .await
        .unwrap();
    events(id);
    let outcome = accounts
        .social_login(&request(id), github("400", "sol@example.com", false))
        .await
        .unwrap();
    assert!(matches!(
        outcome,
        SocialLoginOutcome::VerificationRequired { .. }
    ));
    events(id);

    // Someone else logged in on the request's session is logged out first.
    let accounts = crate::common::accounts(settings(EmailVerification::None)).await;
    signed_up(&accounts, id, "tom@example.com").await;
    let tom = session_of(&accounts, id, "tom@example.com").await;
    let outcome = accounts
        .social_login(
            &request(id).with_session_key(tom.expose_str()),
            github("401", "uli@example.com", true),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, SocialLoginOutcome::SignedUp(_)));
    assert_eq!(
        events(id),
        [
            "pre_social_login(github/401, user=None)",
            "user_logged_out(user=1)",
            "user_signed_up(user=2, social=github)",
            "user_logged_in(user=2, social=github)",
        ]
    );
    assert_eq!(session_user(&accounts, &tom).await, None);
}

#[tokio::test]
async fn a_redirect_process_only_authenticates() {
    let id = "social-redirect";
    let accounts = accounts(settings(EmailVerification::None)).await;
    accounts
        .social_login(&request(id), github("500", "vi@example.com", true))
        .await
        .unwrap();
    events(id);
    let sessions = session_count(&accounts).await;
    let mut again = github("500", "vi@example.com", true);
    again.state.process = Process::Redirect;
    again.state.next = Some("/settings/".into());
    let outcome = accounts.social_login(&request(id), again).await.unwrap();
    let SocialLoginOutcome::Redirect { user, next } = outcome else {
        panic!("a redirect")
    };
    assert_eq!(next, "/settings/");
    assert_eq!(user.map(|user| user.id()).as_deref(), Some("1"));
    assert_eq!(
        events(id),
        [
            "social_account_updated(github/500, user=1)",
            "pre_social_login(github/500, user=1)"
        ]
    );
    assert_eq!(session_count(&accounts).await, sessions);
}

#[tokio::test]
async fn email_authentication_logs_the_owner_in_and_auto_connect_connects() {
    let id = "social-email-auth";
    for auto_connect in [false, true] {
        let accounts = accounts(
            settings(EmailVerification::None)
                .social_email_authentication(true)
                .social_email_authentication_auto_connect(auto_connect),
        )
        .await;
        // The owner never verified the address: their password is wiped.
        let owner = signed_up(&accounts, id, "wyn@example.com").await;
        let outcome = accounts
            .social_login(&request(id), github("600", "wyn@example.com", true))
            .await
            .unwrap();
        let login = match outcome {
            SocialLoginOutcome::LoggedIn(login) if !auto_connect => login,
            SocialLoginOutcome::Attached(login) if auto_connect => login,
            other => panic!("{other:?}"),
        };
        assert_eq!(login.user.id(), owner.id());
        let mut expected = vec!["pre_social_login(github/600, user=1)"];
        if auto_connect {
            expected.push("social_account_added(github/600, user=1)");
        }
        expected.push("user_logged_in(user=1, social=github)");
        assert_eq!(events(id), expected);
        let (account, _) = stored_social(&accounts, "github", "600").await;
        assert_eq!(account.is_some(), auto_connect);
        let wiped = accounts
            .login(&request(id), Credentials::new("wyn@example.com", "pw"))
            .await;
        assert!(matches!(wiped, Err(FlowError::InvalidCredentials)));
        assert_eq!(user_count(&accounts).await, 1);
    }
}

#[tokio::test]
async fn a_resumed_social_login_carries_its_sociallogin() {
    let id = "social-resume";
    let accounts = accounts(
        settings(EmailVerification::Mandatory).login_on_email_confirmation(true),
    )
    .await;
    let SocialLoginOutcome::VerificationRequired { pending_login, .. } = accounts
        .social_login(&request(id), github("700", "xan@example.com", false))
        .await
        .unwrap()
    else {
        panic!("verification required")
    };
    events(id);
    let key = key_for(&accounts, "xan@example.com");
    let outcome = accounts
        .confirm_email(&request(id), &key, Some(&pending_login))
        .await
        .unwrap();
    assert!(matches!(outcome, ConfirmOutcome::LoggedIn(..)));
    assert_eq!(
        events(id),
        [
            "email_confirmed(xan@example.com)",
            "user_logged_in(user=1, social=github)"
        ]
    );
    let _ = find_user(&accounts, "1").await.expect("the user");
}

#[test]
fn the_defaults_are_allauths() {
    let settings = Settings::new();
    assert!(!settings.login_on_email_confirmation);
    assert!(settings.prevent_enumeration);
    assert_eq!(settings.email_confirmation_cooldown, Duration::from_secs(180));
    assert_eq!(settings.email_verification, EmailVerification::Optional);
    assert!(!settings.logout_on_password_change);
    assert!(!settings.login_on_password_reset);
    assert!(!settings.social_email_authentication);
    assert!(!settings.social_email_authentication_auto_connect);
}
