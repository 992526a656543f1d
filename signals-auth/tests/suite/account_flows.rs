// The account flows send allauth's signals in allauth's order.

use crate::common::{
    accounts, addresses, events, request, session_count, signed_up, user_count, TestAccounts,
};
use signals_auth::flows::{
    ConfirmOutcome, Credentials, EmailVerification, FlowError, LoginOutcome, ResetOutcome,
    Settings, SignupForm, SignupOutcome,
};
use signals_auth::mail::Mail;
use signals_auth::{AuthUser, RequestContext, Secret, Store, Transaction};

fn settings(verification: EmailVerification) -> Settings {
    Settings::new().email_verification(verification)
}

fn key_for(accounts: &TestAccounts, email: &str) -> Secret<String> {
    accounts
        .mailer()
        .last_key_for(email)
        .expect("a mail with a key")
}

#[tokio::test]
async fn signup_without_verification_logs_in_without_a_confirmation() {
    let id = "signup-none";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let outcome = accounts
        .signup(
            &request(id),
            SignupForm::new("Alice@Example.com")
                .username("alice")
                .password("pw"),
        )
        .await
        .unwrap();
    let SignupOutcome::LoggedIn(login) = outcome else {
        panic!("logged in")
    };
    let stored = addresses(&accounts, &login.user.id()).await;
    assert_eq!(stored[0].email, "alice@example.com");
    assert!(stored[0].primary && !stored[0].verified);
    assert_eq!(
        events(id),
        [
            "user_signed_up(user=1, social=-)",
            "user_logged_in(user=1, social=-)"
        ]
    );
    assert!(accounts.mailer().outbox().is_empty());
    assert_eq!(session_count(&accounts).await, 1);
}

#[tokio::test]
async fn signup_with_optional_verification_sends_the_confirmation_then_logs_in() {
    let id = "signup-optional";
    let accounts = accounts(settings(EmailVerification::Optional)).await;
    let outcome = accounts
        .signup(
            &request(id),
            SignupForm::new("bob@example.com").password("pw"),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, SignupOutcome::LoggedIn(_)));
    assert_eq!(
        events(id),
        [
            "user_signed_up(user=1, social=-)",
            "email_confirmation_sent(signup=true, to=bob@example.com)",
            "user_logged_in(user=1, social=-)",
        ]
    );
    assert!(matches!(
        accounts.mailer().outbox()[0],
        Mail::Confirmation { signup: true, .. }
    ));
}

#[tokio::test]
async fn signup_with_mandatory_verification_waits_and_the_confirmation_resumes_the_login() {
    let id = "signup-mandatory";
    let accounts = accounts(
        settings(EmailVerification::Mandatory)
            .login_on_email_confirmation(true)
            .email_confirmation_cooldown(std::time::Duration::ZERO),
    )
    .await;
    let outcome = accounts
        .signup(
            &request(id),
            SignupForm::new("carol@example.com").password("pw"),
        )
        .await
        .unwrap();
    let SignupOutcome::VerificationRequired { pending_login, .. } = outcome else {
        panic!("verification required")
    };
    assert_eq!(
        events(id),
        [
            "user_signed_up(user=1, social=-)",
            "email_confirmation_sent(signup=true, to=carol@example.com)"
        ]
    );
    assert_eq!(session_count(&accounts).await, 0);

    // A password login is refused until the address is verified, and
    // re-sends the confirmation.
    let login = accounts
        .login(&request(id), Credentials::new("carol@example.com", "pw"))
        .await
        .unwrap();
    assert!(matches!(login, LoginOutcome::VerificationRequired { .. }));
    assert_eq!(
        events(id),
        ["email_confirmation_sent(signup=false, to=carol@example.com)"]
    );

    let key = key_for(&accounts, "carol@example.com");
    let outcome = accounts
        .confirm_email(&request(id), &key, Some(&pending_login))
        .await
        .unwrap();
    let ConfirmOutcome::LoggedIn(address, _) = outcome else {
        panic!("the login resumed")
    };
    assert!(address.verified && address.primary);
    // Already the primary: no email_changed.
    assert_eq!(
        events(id),
        [
            "email_confirmed(carol@example.com)",
            "user_logged_in(user=1, social=-)"
        ]
    );

    // Keys are single use.
    let again = accounts.confirm_email(&request(id), &key, None).await;
    assert!(matches!(again, Err(FlowError::InvalidKey)));
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn confirmation_without_the_pending_login_does_not_log_in() {
    let id = "confirm-no-login";
    let accounts = accounts(settings(EmailVerification::Mandatory).login_on_email_confirmation(false)).await;
    let SignupOutcome::VerificationRequired { pending_login, .. } = accounts
        .signup(&request(id), SignupForm::new("dan@example.com"))
        .await
        .unwrap()
    else {
        panic!("verification required")
    };
    events(id);
    let key = key_for(&accounts, "dan@example.com");
    let outcome = accounts
        .confirm_email(&request(id), &key, Some(&pending_login))
        .await
        .unwrap();
    assert!(matches!(outcome, ConfirmOutcome::Confirmed(_)));
    assert_eq!(events(id), ["email_confirmed(dan@example.com)"]);
}

#[tokio::test]
async fn adding_an_address_sends_the_confirmation_then_email_added() {
    let id = "add-email";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let user = signed_up(&accounts, id, "erin@example.com").await;
    let address = accounts
        .add_email(&request(id), &user, "Erin@Work.example")
        .await
        .unwrap();
    assert!(!address.verified && !address.primary);
    assert_eq!(
        events(id),
        [
            "email_confirmation_sent(signup=false, to=erin@work.example)",
            "email_added(user=1, erin@work.example)",
        ]
    );

    // Confirming it does not change the primary.
    let key = key_for(&accounts, "erin@work.example");
    accounts
        .confirm_email(&request(id), &key, None)
        .await
        .unwrap();
    assert_eq!(events(id), ["email_confirmed(erin@work.example)"]);

    // Taken addresses are refused.
    let taken = accounts
        .add_email(&request(id), &user, "erin@example.com")
        .await;
    assert!(matches!(taken, Err(FlowError::EmailInUse)));
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn marking_a_primary_sends_email_changed_from_the_previous_primary() {
    let id = "primary";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let user = signed_up(&accounts, id, "fay@example.com").await;
    accounts
        .add_email(&request(id), &user, "fay@work.example")
        .await
        .unwrap();
    let key = key_for(&accounts, "fay@work.example");
    accounts
        .confirm_email(&request(id), &key, None)
        .await
        .unwrap();
    events(id);

    let address = accounts
        .set_primary_email(&request(id), &user, "fay@work.example")
        .await
        .unwrap();
    assert!(address.primary);
    assert_eq!(
        events(id),
        ["email_changed(user=1, from=fay@example.com, to=fay@work.example)"]
    );
    let stored = addresses(&accounts, "1").await;
    assert_eq!(stored.iter().filter(|a| a.primary).count(), 1);
}

#[tokio::test]
async fn an_unverified_address_cannot_replace_a_verified_primary() {
    let id = "primary-unverified";
    let accounts =
        accounts(settings(EmailVerification::Mandatory).login_on_email_confirmation(true)).await;
    let SignupOutcome::VerificationRequired { pending_login, .. } = accounts
        .signup(
            &request(id),
            SignupForm::new("gil@example.com").password("pw"),
        )
        .await
        .unwrap()
    else {
        panic!("verification required")
    };
    let key = key_for(&accounts, "gil@example.com");
    let ConfirmOutcome::LoggedIn(_, login) = accounts
        .confirm_email(&request(id), &key, Some(&pending_login))
        .await
        .unwrap()
    else {
        panic!("logged in")
    };
    accounts
        .add_email(&request(id), &login.user, "gil@other.example")
        .await
        .unwrap();
    events(id);
    let refused = accounts
        .set_primary_email(&request(id), &login.user, "gil@other.example")
        .await;
    assert!(matches!(refused, Err(FlowError::UnverifiedEmail)));
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn confirming_the_first_address_of_a_user_without_one_makes_it_primary() {
    let id = "primary-none";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let user = signed_up(&accounts, id, "hal@example.com").await;
    // Delete the primary by hand: the user is now like one who signed up
    // through a provider that reported no address.
    let mut tx = accounts.store().begin().await.unwrap();
    tx.delete_email_address("hal@example.com").await.unwrap();
    tx.commit().await.unwrap();
    accounts
        .add_email(&request(id), &user, "hal@new.example")
        .await
        .unwrap();
    events(id);
    let key = key_for(&accounts, "hal@new.example");
    accounts
        .confirm_email(&request(id), &key, None)
        .await
        .unwrap();
    // It becomes the primary quietly, as allauth's `set_as_primary`
    // (conditional) does: no email_changed.
    assert_eq!(events(id), ["email_confirmed(hal@new.example)"]);
    let stored = addresses(&accounts, "1").await;
    assert!(stored[0].primary && stored[0].verified);
}

#[tokio::test]
async fn an_email_change_adds_confirms_and_promotes_on_confirmation() {
    let id = "change-email";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let user = signed_up(&accounts, id, "ivy@example.com").await;
    accounts
        .change_email(&request(id), &user, "ivy@new.example")
        .await
        .unwrap();
    assert_eq!(
        events(id),
        ["email_confirmation_sent(signup=false, to=ivy@new.example)"]
    );
    let key = key_for(&accounts, "ivy@new.example");
    accounts
        .confirm_email(&request(id), &key, None)
        .await
        .unwrap();
    assert_eq!(
        events(id),
        [
            "email_added(user=1, ivy@new.example)",
            "email_confirmed(ivy@new.example)",
            "email_changed(user=1, from=ivy@example.com, to=ivy@new.example)",
        ]
    );
}

#[tokio::test]
async fn removing_an_address_sends_email_removed_and_the_primary_stays() {
    let id = "remove-email";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let user = signed_up(&accounts, id, "jo@example.com").await;
    accounts
        .add_email(&request(id), &user, "jo@old.example")
        .await
        .unwrap();
    events(id);
    accounts
        .remove_email(&request(id), &user, "jo@old.example")
        .await
        .unwrap();
    assert_eq!(events(id), ["email_removed(user=1, jo@old.example)"]);
    let primary = accounts
        .remove_email(&request(id), &user, "jo@example.com")
        .await;
    assert!(matches!(primary, Err(FlowError::PrimaryEmail)));
    let unknown = accounts
        .remove_email(&request(id), &user, "nobody@example.com")
        .await;
    assert!(matches!(unknown, Err(FlowError::UnknownEmail)));
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn login_and_logout() {
    let id = "login-logout";
    let accounts = accounts(settings(EmailVerification::Optional)).await;
    accounts
        .signup(
            &request(id),
            SignupForm::new("kim@example.com")
                .username("kim")
                .password("pw"),
        )
        .await
        .unwrap();
    events(id);

    let wrong = accounts
        .login(&request(id), Credentials::new("kim", "nope"))
        .await;
    assert!(matches!(wrong, Err(FlowError::InvalidCredentials)));
    assert!(events(id).is_empty());

    let LoginOutcome::LoggedIn(login) = accounts
        .login(&request(id), Credentials::new("KIM", "pw"))
        .await
        .unwrap()
    else {
        panic!("logged in")
    };
    assert_eq!(events(id), ["user_logged_in(user=1, social=-)"]);

    let session = request(id).with_session_key(login.session_key.expose_str());
    let user = accounts.logout(&session).await.unwrap();
    assert_eq!(user.map(|user| user.id()).as_deref(), Some("1"));
    assert_eq!(events(id), ["user_logged_out(user=1)"]);

    // The session is gone: a second logout is anonymous and sends nothing.
    assert!(accounts.logout(&session).await.unwrap().is_none());
    assert!(accounts.logout(&request(id)).await.unwrap().is_none());
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn password_change_sends_password_changed() {
    let id = "password-change";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let user = signed_up(&accounts, id, "lee@example.com").await;
    let wrong = accounts
        .change_password(&request(id), &user, &"nope".into(), &"new".into())
        .await;
    assert!(matches!(wrong, Err(FlowError::WrongPassword)));
    accounts
        .change_password(&request(id), &user, &"pw".into(), &"new".into())
        .await
        .unwrap();
    assert_eq!(events(id), ["password_changed(user=1)"]);
    assert!(accounts
        .login(&request(id), Credentials::new("lee@example.com", "new"))
        .await
        .is_ok());
}

#[tokio::test]
async fn password_change_logs_out_first_when_the_site_says_so() {
    let id = "password-change-logout";
    let accounts = accounts(settings(EmailVerification::None).logout_on_password_change(true)).await;
    let SignupOutcome::LoggedIn(login) = accounts
        .signup(
            &request(id),
            SignupForm::new("max@example.com").password("pw"),
        )
        .await
        .unwrap()
    else {
        panic!("logged in")
    };
    events(id);
    let session = request(id).with_session_key(login.session_key.expose_str());
    accounts
        .change_password(&session, &login.user, &"pw".into(), &"new".into())
        .await
        .unwrap();
    assert_eq!(
        events(id),
        ["user_logged_out(user=1)", "password_changed(user=1)"]
    );
    assert_eq!(session_count(&accounts).await, 0);
}

#[tokio::test]
async fn a_user_without_a_usable_password_gets_password_set() {
    let id = "password-set";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let SignupOutcome::LoggedIn(login) = accounts
        .signup(&request(id), SignupForm::new("ned@example.com"))
        .await
        .unwrap()
    else {
        panic!("logged in")
    };
    events(id);
    // change_password on such a user sets it instead.
    accounts
        .change_password(&request(id), &login.user, &"".into(), &"first".into())
        .await
        .unwrap();
    assert_eq!(events(id), ["password_set(user=1)"]);
    let again = accounts
        .set_password(&request(id), &login.user, &"second".into())
        .await;
    assert!(matches!(again, Err(FlowError::PasswordAlreadySet)));
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn password_reset_sends_password_reset_before_the_notice() {
    let id = "password-reset";
    let accounts = accounts(settings(EmailVerification::None)).await;
    signed_up(&accounts, id, "ola@example.com").await;
    accounts
        .request_password_reset(&request(id), "OLA@example.com")
        .await
        .unwrap();
    assert!(events(id).is_empty(), "asking for a reset sends no signal");
    let key = key_for(&accounts, "ola@example.com");
    let outcome = accounts
        .reset_password(&request(id), &key, &"fresh".into())
        .await
        .unwrap();
    assert!(matches!(outcome, ResetOutcome::Reset(_)));
    assert_eq!(events(id), ["password_reset(user=1)"]);
    let outbox = accounts.mailer().outbox();
    assert!(matches!(
        outbox.last(),
        Some(Mail::PasswordResetDone { .. })
    ));
    let reused = accounts
        .reset_password(&request(id), &key, &"again".into())
        .await;
    assert!(matches!(reused, Err(FlowError::InvalidKey)));
}

#[tokio::test]
async fn password_reset_logs_in_when_the_site_says_so() {
    let id = "password-reset-login";
    let accounts = accounts(settings(EmailVerification::None).login_on_password_reset(true)).await;
    signed_up(&accounts, id, "pia@example.com").await;
    accounts
        .request_password_reset(&request(id), "pia@example.com")
        .await
        .unwrap();
    let key = key_for(&accounts, "pia@example.com");
    let outcome = accounts
        .reset_password(&request(id), &key, &"fresh".into())
        .await
        .unwrap();
    assert!(matches!(outcome, ResetOutcome::LoggedIn(_)));
    assert_eq!(
        events(id),
        ["password_reset(user=1)", "user_logged_in(user=1, social=-)"]
    );
}

#[tokio::test]
async fn unknown_addresses_get_a_mail_and_no_signal() {
    let id = "enumeration";
    let accounts = accounts(
        settings(EmailVerification::Mandatory)
            .email_confirmation_cooldown(std::time::Duration::ZERO),
    )
    .await;
    accounts
        .resend_confirmation(&request(id), "ghost@example.com")
        .await
        .unwrap();
    accounts
        .request_password_reset(&request(id), "ghost@example.com")
        .await
        .unwrap();
    assert!(events(id).is_empty());
    let outbox = accounts.mailer().outbox();
    assert_eq!(outbox.len(), 2);
    assert!(outbox
        .iter()
        .all(|mail| matches!(mail, Mail::UnknownAccount { .. })));

    // A known, unverified address gets a confirmation and the signal.
    signed_up(&accounts, id, "quinn@example.com").await;
    accounts
        .resend_confirmation(&request(id), "quinn@example.com")
        .await
        .unwrap();
    assert_eq!(
        events(id),
        ["email_confirmation_sent(signup=false, to=quinn@example.com)"]
    );
}

#[tokio::test]
async fn a_failing_login_receiver_stops_the_flow_and_leaves_nothing() {
    let id = "failing-receiver";
    let accounts = accounts(settings(EmailVerification::None)).await;
    let connection =
        signals_auth::account::UserLoggedIn::connect(|s: &signals_auth::account::UserLoggedIn| {
            if s.request.request_id() == Some("failing-receiver") {
                Err("login refused by policy")
            } else {
                Ok(())
            }
        });
    let result = accounts
        .signup(
            &request(id),
            SignupForm::new("ray@example.com").password("pw"),
        )
        .await;
    drop(connection);
    let Err(FlowError::Receiver(error)) = result else {
        panic!("the receiver's error")
    };
    assert_eq!(error.error().to_string(), "login refused by policy");
    assert_eq!(session_count(&accounts).await, 0);
    assert_eq!(user_count(&accounts).await, 0);
    assert_eq!(
        events(id),
        [
            "user_signed_up(user=1, social=-)",
            "user_logged_in(user=1, social=-)"
        ]
    );
}

#[test]
fn request_context_comes_from_http_types() {
    let mut request = http::Request::get("https://example.com/x?y=z")
        .header("cookie", "a=b")
        .body(String::from("not copied"))
        .unwrap();
    request
        .extensions_mut()
        .insert::<std::net::SocketAddr>("192.0.2.1:4000".parse().unwrap());
    let context = RequestContext::from_request(&request);
    assert_eq!(
        context.client_addr(),
        Some("192.0.2.1:4000".parse().unwrap())
    );
    let (parts, _body) = request.into_parts();
    let from_parts = RequestContext::from_parts(&parts);
    assert_eq!(from_parts.uri(), context.uri());
    assert_eq!(from_parts.header("cookie"), Some("a=b"));
}

#[tokio::test]
async fn expired_keys_are_refused() {
    let id = "expired-keys";
    let accounts = accounts(settings(EmailVerification::Optional).key_expiry(std::time::Duration::ZERO)).await;
    signed_up(&accounts, id, "sue@example.com").await;
    accounts
        .request_password_reset(&request(id), "sue@example.com")
        .await
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let confirmation = accounts.mailer().outbox()[0].key().unwrap().clone();
    let confirm = accounts
        .confirm_email(&request(id), &confirmation, None)
        .await;
    assert!(matches!(confirm, Err(FlowError::InvalidKey)));
    let reset_key = key_for(&accounts, "sue@example.com");
    let reset = accounts
        .reset_password(&request(id), &reset_key, &"x".into())
        .await;
    assert!(matches!(reset, Err(FlowError::InvalidKey)));
    assert!(events(id).is_empty());
}
