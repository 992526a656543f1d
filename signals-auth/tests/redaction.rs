//! No secret reaches `Debug` output: every signal is built with known
//! secrets in every place one can hide, and printed with `{:?}` and `{:#?}`.

use std::sync::Arc;
use std::time::SystemTime;

use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE};
use http::HeaderValue;
use signals_auth::account::{
    EmailAdded, EmailChanged, EmailConfirmationSent, EmailConfirmed, EmailRemoved, PasswordChanged,
    PasswordReset, PasswordSet, UserLoggedIn, UserLoggedOut, UserSignedUp,
};
use signals_auth::flows::{Credentials, LoggedIn, SignupForm};
use signals_auth::mail::Mail;
use signals_auth::memory::MemoryMailer;
use signals_auth::socialaccount::{
    ImmediateResponse, PreSocialLogin, SocialAccountAdded, SocialAccountRemoved,
    SocialAccountUpdated,
};
use signals_auth::{
    AuthUser, EmailAddress, EmailConfirmation, RequestContext, ResponseContext, Secret,
    SocialAccount, SocialApp, SocialLogin, SocialToken,
};

/// Every secret planted below; none may appear in any output.
const SECRETS: &[&str] = &[
    "COOKIE-SECRET",
    "BEARER-SECRET",
    "PROXY-SECRET",
    "SET-COOKIE-SECRET",
    "SESSION-SECRET",
    "QUERY-SECRET",
    "USERINFO-SECRET",
    "CONFIRMATION-KEY-SECRET",
    "ACCESS-TOKEN-SECRET",
    "REFRESH-TOKEN-SECRET",
    "APP-SECRET-SECRET",
    "APP-KEY-SECRET",
    "PROFILE-PII-SECRET",
    "USER-HASH-SECRET",
    "CSRF-SECRET",
    "SENSITIVE-MARKED-SECRET",
];

/// A user type whose own fields must not leak through a signal.
struct Member {
    id: u32,
    #[allow(dead_code)] // only there to be leaked, if anything leaked it
    password_hash: String,
}

impl AuthUser for Member {
    fn id(&self) -> String {
        self.id.to_string()
    }
}

fn request() -> RequestContext {
    let mut sensitive = HeaderValue::from_static("SENSITIVE-MARKED-SECRET");
    sensitive.set_sensitive(true);
    let request =
        http::Request::post("https://alice:USERINFO-SECRET@example.com/callback?code=QUERY-SECRET")
            .header(COOKIE, "sessionid=COOKIE-SECRET")
            .header(AUTHORIZATION, "Bearer BEARER-SECRET")
            .header(PROXY_AUTHORIZATION, "Basic PROXY-SECRET")
            .header("x-csrftoken", "CSRF-SECRET")
            .header("x-custom", sensitive)
            .header("user-agent", "visible-agent")
            .body(())
            .unwrap();
    RequestContext::from_request(&request)
        .with_client_addr("198.51.100.7:443".parse().unwrap())
        .with_session_key("SESSION-SECRET")
}

fn user() -> Arc<dyn AuthUser> {
    Arc::new(Member {
        id: 42,
        password_hash: "USER-HASH-SECRET".into(),
    })
}

fn app() -> SocialApp {
    SocialApp {
        provider: "github".into(),
        name: "GitHub".into(),
        client_id: "visible-client-id".into(),
        secret: Secret::from("APP-SECRET-SECRET"),
        key: Secret::from("APP-KEY-SECRET"),
    }
}

fn sociallogin() -> SocialLogin {
    let mut account = SocialAccount::new("github", "1234");
    account.user_id = Some("42".into());
    account.extra_data.insert("email", "PROFILE-PII-SECRET");
    let login = SocialLogin::new(account)
        .with_token(SocialToken {
            app: Some(app()),
            token: Secret::from("ACCESS-TOKEN-SECRET"),
            token_secret: Some(Secret::from("REFRESH-TOKEN-SECRET")),
            expires_at: Some(SystemTime::UNIX_EPOCH),
        })
        .with_email("alice@example.com", true);
    login.connect(user());
    login
}

fn assert_redacted(what: &str, printed: &str) {
    for secret in SECRETS {
        assert!(
            !printed.contains(secret),
            "{what} leaks {secret}:\n{printed}"
        );
    }
}

fn check(what: &str, value: &dyn std::fmt::Debug) -> String {
    let compact = format!("{value:?}");
    let pretty = format!("{value:#?}");
    assert_redacted(what, &compact);
    assert_redacted(what, &pretty);
    pretty
}

#[test]
fn no_signal_prints_a_secret() {
    let request = request();
    let response = ResponseContext::new();
    response.append_header(
        SET_COOKIE,
        HeaderValue::from_static("remember=SET-COOKIE-SECRET"),
    );
    let sociallogin = sociallogin();
    let address = EmailAddress::new("42", "alice@example.com").verified(true);
    let old = EmailAddress::new("42", "old@example.com").verified(true);
    let confirmation = EmailConfirmation {
        email_address: address.clone(),
        created: SystemTime::UNIX_EPOCH,
        sent: Some(SystemTime::UNIX_EPOCH),
        key: Secret::from("CONFIRMATION-KEY-SECRET"),
    };
    let account = sociallogin.account.clone();

    let printed = [
        check(
            "UserLoggedIn",
            &UserLoggedIn {
                request: &request,
                response: &response,
                user: user(),
                sociallogin: Some(&sociallogin),
            },
        ),
        check(
            "UserLoggedOut",
            &UserLoggedOut {
                request: &request,
                user: Some(user()),
            },
        ),
        check(
            "UserSignedUp",
            &UserSignedUp {
                request: &request,
                user: user(),
                sociallogin: Some(&sociallogin),
            },
        ),
        check(
            "PasswordSet",
            &PasswordSet {
                request: &request,
                user: user(),
            },
        ),
        check(
            "PasswordChanged",
            &PasswordChanged {
                request: &request,
                user: user(),
            },
        ),
        check(
            "PasswordReset",
            &PasswordReset {
                request: &request,
                user: user(),
            },
        ),
        check(
            "EmailConfirmed",
            &EmailConfirmed {
                request: &request,
                email_address: &address,
            },
        ),
        check(
            "EmailConfirmationSent",
            &EmailConfirmationSent {
                request: &request,
                confirmation: &confirmation,
                signup: true,
            },
        ),
        check(
            "EmailChanged",
            &EmailChanged {
                request: &request,
                user: user(),
                from_email_address: Some(&old),
                to_email_address: &address,
            },
        ),
        check(
            "EmailAdded",
            &EmailAdded {
                request: &request,
                user: user(),
                email_address: &address,
            },
        ),
        check(
            "EmailRemoved",
            &EmailRemoved {
                request: &request,
                user: user(),
                email_address: &address,
            },
        ),
        check(
            "PreSocialLogin",
            &PreSocialLogin {
                request: &request,
                sociallogin: &sociallogin,
            },
        ),
        check(
            "SocialAccountAdded",
            &SocialAccountAdded {
                request: &request,
                sociallogin: &sociallogin,
            },
        ),
        check(
            "SocialAccountUpdated",
            &SocialAccountUpdated {
                request: &request,
                sociallogin: &sociallogin,
            },
        ),
        check(
            "SocialAccountRemoved",
            &SocialAccountRemoved {
                request: &request,
                socialaccount: &account,
            },
        ),
    ];
    assert_eq!(printed.len(), 15);

    // What is not secret stays readable, so the output is still useful.
    let logged_in = &printed[0];
    for visible in [
        "visible-agent",
        "198.51.100.7:443",
        "/callback",
        "example.com",
        "github",
        "\"42\"",
        "[redacted]",
    ] {
        assert!(
            logged_in.contains(visible),
            "UserLoggedIn should show {visible}:\n{logged_in}"
        );
    }
    assert!(
        logged_in.contains("\"email\": [redacted]"),
        "profile keys stay visible"
    );
    assert!(printed[7].contains("alice@example.com"));
}

#[test]
fn no_model_or_outcome_prints_a_secret() {
    check("SocialApp", &app());
    check("SocialLogin", &sociallogin());
    check("RequestContext", &request());
    check(
        "ImmediateResponse",
        &ImmediateResponse::new(http::StatusCode::FOUND, "bye")
            .with_header(SET_COOKIE, HeaderValue::from_static("x=SET-COOKIE-SECRET")),
    );
    let mut headers = http::HeaderMap::new();
    headers.insert(SET_COOKIE, HeaderValue::from_static("SET-COOKIE-SECRET"));
    check(
        "LoggedIn",
        &LoggedIn {
            user: Arc::new(Member {
                id: 1,
                password_hash: "USER-HASH-SECRET".into(),
            }),
            session_key: Secret::from("SESSION-SECRET"),
            response_headers: headers,
        },
    );
    check(
        "SignupForm",
        &SignupForm::new("a@example.com").password("SESSION-SECRET"),
    );
    check(
        "Credentials",
        &Credentials::new("a@example.com", "SESSION-SECRET"),
    );
    check(
        "Mail",
        &Mail::PasswordReset {
            to: "a@example.com".into(),
            key: Secret::from("CONFIRMATION-KEY-SECRET"),
        },
    );
    let mailer = MemoryMailer::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        use signals_auth::mail::Mailer;
        mailer
            .send(Mail::Confirmation {
                to: "a@example.com".into(),
                key: Secret::from("CONFIRMATION-KEY-SECRET"),
                signup: true,
            })
            .await
            .unwrap();
    });
    check("MemoryMailer", &mailer);
    assert_eq!(format!("{}", Secret::from("SESSION-SECRET")), "[redacted]");
}

#[cfg(feature = "serde")]
#[test]
fn serialized_models_carry_no_secret() {
    let login = sociallogin();
    let token = login.token.clone().unwrap();
    let confirmation = EmailConfirmation {
        email_address: EmailAddress::new("42", "alice@example.com"),
        created: SystemTime::UNIX_EPOCH,
        sent: None,
        key: Secret::from("CONFIRMATION-KEY-SECRET"),
    };
    let json = [
        serde_json::to_string(&token).unwrap(),
        serde_json::to_string(&app()).unwrap(),
        serde_json::to_string(&confirmation).unwrap(),
    ];
    for text in &json {
        for secret in [
            "ACCESS-TOKEN-SECRET",
            "REFRESH-TOKEN-SECRET",
            "APP-SECRET-SECRET",
            "APP-KEY-SECRET",
            "CONFIRMATION-KEY-SECRET",
        ] {
            assert!(!text.contains(secret), "{text} leaks {secret}");
        }
    }
    // Secrets still deserialize (from configuration, say), and the rest
    // round-trips.
    let app: SocialApp = serde_json::from_str(
        r#"{"provider":"github","name":"GitHub","client_id":"id","secret":"from-config","key":""}"#,
    )
    .unwrap();
    assert_eq!(app.secret.expose_str(), "from-config");
    let back: EmailConfirmation = serde_json::from_str(&json[2]).unwrap();
    assert_eq!(back.email_address.email, "alice@example.com");
    assert!(back.key.is_empty());
    // Profile data (where providers put tokens too) serializes without
    // its values.
    let account = serde_json::to_string(&login.account).unwrap();
    assert!(!account.contains("PROFILE-PII-SECRET"), "{account}");
    assert!(account.contains(r#""email":"[redacted]""#), "{account}");
}

/// The leaks the trust review found: keys in allauth's URL paths, credential
/// headers outside a fixed list, keys in `Location`, tokens in profile data.
#[test]
fn keys_in_paths_credential_headers_and_locations_are_redacted() {
    let key = "3f2a9c0d4b5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    let signed = "MQ:1tQx2b:Zx9SIGNED-KEY-SECRET";
    for path in [
        format!("/accounts/confirm-email/{key}/"),
        format!("/accounts/confirm-email/{signed}/"),
        format!("/accounts/password/reset/key/4-{key}/"),
        format!("https://example.com/accounts/password/reset/key/4-{key}/?next=/"),
        format!("/api/v1/verify/{key}"),
    ] {
        let context = RequestContext::new(http::Method::GET, path.parse().unwrap());
        let printed = check("a request", &context);
        assert!(
            !printed.contains(key) && !printed.contains("SIGNED-KEY"),
            "{printed}"
        );
        assert!(printed.contains("[redacted]"), "{printed}");
    }
    // The path around the key stays readable.
    let context = RequestContext::new(
        http::Method::GET,
        format!("/accounts/confirm-email/{key}/").parse().unwrap(),
    );
    assert!(format!("{context:?}").contains("/accounts/confirm-email/[redacted]/"));

    let mut context = RequestContext::new(http::Method::GET, "/".parse().unwrap());
    let credential_headers = [
        "x-api-key",
        "x-access-token",
        "private-token",
        "x-amz-security-token",
        "x-hub-signature-256",
        "x-session-id",
        "x-client-secret",
        "x-refresh-token",
        "x-password",
        "x-auth-request-user",
        "x-csrftoken",
        "x-jwt-assertion",
        "x-goog-iap-jwt-assertion",
        "x-credential",
    ];
    for name in credential_headers {
        context = context.with_header(
            name.parse().unwrap(),
            HeaderValue::from_str(&format!("{name}-VALUE-SECRET")).unwrap(),
        );
    }
    context = context.with_header(
        "user-agent".parse().unwrap(),
        HeaderValue::from_static("visible-agent"),
    );
    let printed = check("credential headers", &context);
    assert!(!printed.contains("VALUE-SECRET"), "{printed}");
    assert!(printed.contains("visible-agent"));

    // A key in a Location header: of a receiver's response headers, and of
    // a veto's response.
    let response = ResponseContext::new();
    response.insert_header(
        http::header::LOCATION,
        HeaderValue::from_str(&format!("/accounts/confirm-email/{key}/")).unwrap(),
    );
    let printed = check("a response", &response);
    assert!(!printed.contains(key), "{printed}");
    assert!(
        printed.contains("/accounts/confirm-email/[redacted]/"),
        "{printed}"
    );
    let veto = ImmediateResponse::new(http::StatusCode::FOUND, "").with_header(
        http::header::LOCATION,
        HeaderValue::from_str(&format!("https://example.com/cb?token={key}")).unwrap(),
    );
    let printed = check("a veto", &veto);
    assert!(!printed.contains(key), "{printed}");

    // A key in a social login's `next`.
    let mut login = SocialLogin::new(SocialAccount::new("github", "1"));
    login.state.next = Some(format!("/accounts/confirm-email/{key}/?token={key}"));
    let printed = check("a social login", &login);
    assert!(!printed.contains(key), "{printed}");
    assert!(printed.contains("/accounts/confirm-email/[redacted]/?[redacted]"));
}

/// A token a provider put in the profile data does not reach JSON.
#[cfg(feature = "serde")]
#[test]
fn tokens_in_profile_data_do_not_reach_serialized_output() {
    let mut account = SocialAccount::new("gitlab", "7");
    account
        .extra_data
        .insert("access_token", "EXTRA-TOKEN-SECRET");
    account.extra_data.insert("login", "octo");
    let json = serde_json::to_string(&account).unwrap();
    assert!(
        !json.contains("EXTRA-TOKEN-SECRET") && !json.contains("octo"),
        "{json}"
    );
    assert!(json.contains(r#""access_token":"[redacted]""#), "{json}");
    let pretty = serde_json::to_string_pretty(&account.extra_data).unwrap();
    assert!(!pretty.contains("EXTRA-TOKEN-SECRET"));
}
