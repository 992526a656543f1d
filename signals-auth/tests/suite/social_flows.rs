// The social flows: existing account, new user, veto, attach, connect,
// disconnect.

use std::sync::{Arc, Mutex};

use crate::common::{accounts, addresses, events, request, session_count, signed_up, stored_social, user_count};
use http::StatusCode;
use signals_auth::flows::{
    ConnectOutcome, EmailVerification, FlowError, Settings, SocialLoginOutcome,
};
use signals_auth::socialaccount::{ImmediateResponse, PreSocialLogin};
use signals_auth::{AuthUser, Process, Secret, SocialAccount, SocialLogin, SocialToken};
use signals_core::receiver;

/// The typed veto: a static receiver that turns away one provider.
#[receiver(signal = PreSocialLogin)]
fn block_provider(event: &PreSocialLogin) -> Result<(), ImmediateResponse> {
    if event.sociallogin.provider() == "blocked" {
        return Err(ImmediateResponse::new(
            StatusCode::FORBIDDEN,
            "provider blocked",
        ));
    }
    Ok(())
}

fn github(uid: &str, email: &str, verified: bool) -> SocialLogin {
    let mut account = SocialAccount::new("github", uid);
    account.extra_data.insert("login", "octo");
    SocialLogin::new(account)
        .with_token(SocialToken {
            token: Secret::from("access"),
            ..SocialToken::default()
        })
        .with_email(email, verified)
}

fn settings() -> Settings {
    Settings::new().email_verification(EmailVerification::Mandatory)
}

#[tokio::test]
async fn a_new_account_signs_up_without_social_account_added() {
    let id = "social-new";
    let accounts = accounts(settings()).await;
    let outcome = accounts
        .social_login(&request(id), github("100", "Sam@Example.com", true))
        .await
        .unwrap();
    let SocialLoginOutcome::SignedUp(login) = outcome else {
        panic!("signed up")
    };
    assert_eq!(login.user.id(), "1");
    assert_eq!(
        events(id),
        [
            "pre_social_login(github/100, user=None)",
            "user_signed_up(user=1, social=github)",
            "user_logged_in(user=1, social=github)",
        ]
    );
    // The provider verified the address: no confirmation, and it is stored
    // verified and primary; the account and its token are saved.
    let stored = addresses(&accounts, "1").await;
    assert_eq!(stored[0].email, "sam@example.com");
    assert!(stored[0].verified && stored[0].primary);
    let account = stored_social(&accounts, "github", "100").await.0
        .unwrap();
    assert_eq!(account.user_id.as_deref(), Some("1"));
    let token = stored_social(&accounts, "github", "100").await.1.unwrap();
    assert_eq!(token.token.expose_str(), "access");
    // No usable password: disconnecting the only account is refused.
    let last = accounts
        .social_disconnect(&request(id), &login.user, "github", "100")
        .await;
    assert!(matches!(last, Err(FlowError::LastLoginMethod)));
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn a_new_account_with_an_unverified_address_waits_for_verification() {
    let id = "social-new-unverified";
    let accounts = accounts(settings()).await;
    let outcome = accounts
        .social_login(&request(id), github("101", "tia@example.com", false))
        .await
        .unwrap();
    assert!(matches!(
        outcome,
        SocialLoginOutcome::VerificationRequired { .. }
    ));
    assert_eq!(
        events(id),
        [
            "pre_social_login(github/101, user=None)",
            "user_signed_up(user=1, social=github)",
            "email_confirmation_sent(signup=true, to=tia@example.com)",
        ]
    );
}

#[tokio::test]
async fn an_existing_account_is_updated_then_logs_in() {
    let id = "social-existing";
    let accounts = accounts(settings()).await;
    accounts
        .social_login(&request(id), github("102", "uma@example.com", true))
        .await
        .unwrap();
    events(id);
    let mut again = github("102", "uma@example.com", true);
    again.account.extra_data.insert("login", "octo-renamed");
    let outcome = accounts.social_login(&request(id), again).await.unwrap();
    let SocialLoginOutcome::LoggedIn(login) = outcome else {
        panic!("logged in")
    };
    assert_eq!(login.user.id(), "1");
    assert_eq!(
        events(id),
        [
            "social_account_updated(github/102, user=1)",
            "pre_social_login(github/102, user=1)",
            "user_logged_in(user=1, social=github)",
        ]
    );
    let stored = stored_social(&accounts, "github", "102").await.0
        .unwrap();
    assert_eq!(stored.extra_data.get("login"), Some("octo-renamed"));
    assert_eq!(user_count(&accounts).await, 1);
}

#[tokio::test]
async fn a_veto_returns_the_response_and_nothing_logs_in() {
    let id = "social-veto";
    let accounts = accounts(settings()).await;
    let mut blocked = github("103", "vic@example.com", true);
    blocked.account.provider = "blocked".into();
    let outcome = accounts.social_login(&request(id), blocked).await.unwrap();
    let SocialLoginOutcome::Aborted(response) = outcome else {
        panic!("vetoed")
    };
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.into_response().body(), "provider blocked");
    assert_eq!(events(id), ["pre_social_login(blocked/103, user=None)"]);
    assert_eq!(user_count(&accounts).await, 0);
    assert_eq!(session_count(&accounts).await, 0);
}

#[tokio::test]
async fn a_veto_stops_the_login_of_an_existing_account_too() {
    let id = "social-veto-existing";
    let accounts = accounts(settings()).await;
    let mut first = github("104", "wes@example.com", true);
    first.account.provider = "blocked-later".into();
    accounts.social_login(&request(id), first).await.unwrap();
    events(id);
    let sessions = session_count(&accounts).await;

    let connection = PreSocialLogin::connect(|event: &PreSocialLogin| {
        if event.request.request_id() == Some("social-veto-existing") {
            Err(ImmediateResponse::new(StatusCode::SEE_OTHER, ""))
        } else {
            Ok(())
        }
    });
    let mut second = github("104", "wes@example.com", true);
    second.account.provider = "blocked-later".into();
    let outcome = accounts.social_login(&request(id), second).await.unwrap();
    drop(connection);
    assert!(
        matches!(outcome, SocialLoginOutcome::Aborted(ref r) if r.status() == StatusCode::SEE_OTHER)
    );
    assert_eq!(
        events(id),
        [
            "social_account_updated(blocked-later/104, user=1)",
            "pre_social_login(blocked-later/104, user=1)"
        ]
    );
    assert_eq!(session_count(&accounts).await, sessions);
}

#[tokio::test]
async fn an_error_that_is_not_a_response_fails_the_flow() {
    let id = "social-error";
    let accounts = accounts(settings()).await;
    let connection = PreSocialLogin::connect(|event: &PreSocialLogin| {
        if event.request.request_id() == Some("social-error") {
            Err("provider outage")
        } else {
            Ok(())
        }
    });
    let result = accounts
        .social_login(&request(id), github("105", "xia@example.com", true))
        .await;
    drop(connection);
    let Err(FlowError::Receiver(error)) = result else {
        panic!("a receiver error")
    };
    assert_eq!(error.error().to_string(), "provider outage");
    assert_eq!(user_count(&accounts).await, 0);
}

#[tokio::test]
async fn an_attach_connects_the_account_and_logs_the_existing_user_in() {
    let id = "social-attach";
    // Optional verification: the user's own address is unverified, which
    // mandatory verification would stop at (see the trust suite).
    let accounts = accounts(Settings::new()).await;
    let existing = signed_up(&accounts, id, "yan@example.com").await;
    // Without an attach, the address belongs to someone: no auto sign-up.
    let refused = accounts
        .social_login(&request(id), github("106", "yan@example.com", true))
        .await;
    assert!(matches!(refused, Err(FlowError::EmailInUse)));
    events(id);

    let target: Arc<dyn AuthUser> = existing.clone();
    let target = Mutex::new(Some(target));
    let connection = PreSocialLogin::connect(move |event: &PreSocialLogin| {
        if event.request.request_id() == Some("social-attach") {
            let verified = event
                .sociallogin
                .verified_emails()
                .any(|e| e == "yan@example.com");
            if let (true, Some(user)) = (verified, target.lock().unwrap().clone()) {
                event.sociallogin.connect(user);
            }
        }
    });
    let outcome = accounts
        .social_login(&request(id), github("106", "yan@example.com", true))
        .await
        .unwrap();
    drop(connection);
    let SocialLoginOutcome::Attached(login) = outcome else {
        panic!("attached")
    };
    assert_eq!(login.user.id(), existing.id());
    assert_eq!(
        events(id),
        [
            "pre_social_login(github/106, user=None)",
            "social_account_added(github/106, user=1)",
            "user_logged_in(user=1, social=github)",
        ]
    );
    assert_eq!(user_count(&accounts).await, 1);
    let account = stored_social(&accounts, "github", "106").await.0
        .unwrap();
    assert_eq!(account.user_id.as_deref(), Some("1"));
}

#[tokio::test]
async fn connect_adds_a_new_account_and_updates_a_known_one() {
    let id = "social-connect";
    let accounts = accounts(settings()).await;
    let user = signed_up(&accounts, id, "zoe@example.com").await;
    let outcome = accounts
        .social_connect(
            &request(id),
            &user,
            github("107", "zoe@github.example", true),
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, ConnectOutcome::Connected(ref account) if account.user_id.as_deref() == Some("1"))
    );
    assert_eq!(
        events(id),
        [
            "pre_social_login(github/107, user=1)",
            "social_account_added(github/107, user=1)"
        ]
    );

    let outcome = accounts
        .social_connect(
            &request(id),
            &user,
            github("107", "zoe@github.example", true),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, ConnectOutcome::Updated(_)));
    assert_eq!(
        events(id),
        [
            "social_account_updated(github/107, user=1)",
            "pre_social_login(github/107, user=1)"
        ]
    );

    // Someone else cannot connect it.
    let other = signed_up(&accounts, id, "other@example.com").await;
    let taken = accounts
        .social_connect(
            &request(id),
            &other,
            github("107", "zoe@github.example", true),
        )
        .await;
    assert!(matches!(taken, Err(FlowError::AccountInUse)));
    assert!(events(id).is_empty());
}

#[tokio::test]
async fn connect_sets_the_process_and_can_be_vetoed() {
    let id = "social-connect-veto";
    let accounts = accounts(settings()).await;
    let user = signed_up(&accounts, id, "abe@example.com").await;
    let connection = PreSocialLogin::connect(|event: &PreSocialLogin| {
        if event.request.request_id() == Some("social-connect-veto") {
            assert_eq!(event.sociallogin.state.process, Process::Connect);
            Err(ImmediateResponse::new(
                StatusCode::CONFLICT,
                "no connects today",
            ))
        } else {
            Ok(())
        }
    });
    let outcome = accounts
        .social_connect(&request(id), &user, github("108", "abe@example.com", true))
        .await
        .unwrap();
    drop(connection);
    assert!(matches!(outcome, ConnectOutcome::Aborted(_)));
    assert_eq!(events(id), ["pre_social_login(github/108, user=1)"]);
    assert!(stored_social(&accounts, "github", "108").await.0
        .is_none());
}

#[tokio::test]
async fn disconnect_deletes_then_sends_social_account_removed() {
    let id = "social-disconnect";
    let accounts = accounts(settings()).await;
    let user = signed_up(&accounts, id, "bea@example.com").await;
    accounts
        .social_connect(&request(id), &user, github("109", "bea@example.com", true))
        .await
        .unwrap();
    events(id);
    let connection = signals_auth::socialaccount::SocialAccountRemoved::connect(
        |event: &signals_auth::socialaccount::SocialAccountRemoved| {
            if event.request.request_id() == Some("social-disconnect") {
                // Sent after the deletion, with the account as it was.
                assert_eq!(event.socialaccount.uid, "109");
                assert_eq!(event.socialaccount.user_id.as_deref(), Some("1"));
            }
        },
    );
    let removed = accounts
        .social_disconnect(&request(id), &user, "github", "109")
        .await
        .unwrap();
    drop(connection);
    assert_eq!(removed.provider, "github");
    assert_eq!(events(id), ["social_account_removed(github/109)"]);
    assert!(stored_social(&accounts, "github", "109").await.0
        .is_none());
    let unknown = accounts
        .social_disconnect(&request(id), &user, "github", "109")
        .await;
    assert!(matches!(unknown, Err(FlowError::UnknownAccount)));
}
