//! The fifteen django-allauth signals, sent by the reference flows to
//! receivers registered with `#[receiver]` in this file.
//!
//! Run with `cargo run -p signals-auth --example demo`. It prints a timeline:
//! each step of the story, every signal it sent with what the signal
//! carried, and the receivers that ran for it, in order. With
//! `-- --map mermaid` (or `dot`) it prints the wiring as a picture instead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use http::{Method, StatusCode};
use signals_auth::account::{
    EmailAdded, EmailChanged, EmailConfirmationSent, EmailConfirmed, EmailRemoved, PasswordChanged,
    PasswordReset, PasswordSet, UserLoggedIn, UserLoggedOut, UserSignedUp,
};
use signals_auth::flows::{
    Accounts, ConnectOutcome, Credentials, EmailVerification, FlowError, LoggedIn, LoginOutcome,
    ResetOutcome, Settings, SignupForm, SignupOutcome, SocialLoginOutcome,
};
use signals_auth::memory::{MemoryMailer, MemoryStore};
use signals_auth::socialaccount::{
    ImmediateResponse, PreSocialLogin, SocialAccountAdded, SocialAccountRemoved,
    SocialAccountUpdated,
};
use signals_auth::{
    AuthUser, RequestContext, Secret, SocialAccount, SocialLogin, SocialToken, Store, Transaction,
};
use signals_core::{receiver, Signal};

// ---------------------------------------------------------------------------
// The application: its own user type, and its flows over an in-memory store.

/// The application's user. Receivers get it back with `downcast_ref`.
struct Member {
    id: String,
    email: Option<String>,
}

impl AuthUser for Member {
    fn id(&self) -> String {
        self.id.clone()
    }
}

type App = Accounts<MemoryStore<Member>, MemoryMailer>;

/// The application's state; the pre-social-login receiver looks users up in
/// its store, as an allauth receiver queries the database.
static APP: LazyLock<App> = LazyLock::new(|| {
    let store = MemoryStore::with_user_type(|id, new| Member {
        id: id.to_owned(),
        email: new.email.clone(),
    });
    let settings = Settings::new()
        .email_verification(EmailVerification::Optional)
        .login_on_password_reset(true);
    Accounts::new(store, MemoryMailer::new(), settings)
});

// ---------------------------------------------------------------------------
// The timeline the receivers write.

struct Entry {
    signal: &'static str,
    summary: String,
    receivers: Vec<String>,
}

static TIMELINE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Every other receiver adds itself, with a note on what it did, to the
/// entry of the signal it got.
fn ran(receiver: String) {
    if let Some(entry) = TIMELINE.lock().unwrap().last_mut() {
        entry.receivers.push(receiver);
    }
}

fn user(user: &dyn AuthUser) -> String {
    format!("user {}", user.id())
}

fn via(sociallogin: Option<&SocialLogin>) -> String {
    sociallogin.map_or_else(String::new, |login| format!(" via {}", login.provider()))
}

fn account(login: &SocialLogin) -> String {
    format!("{} account {}", login.provider(), login.account.uid)
}

// ---------------------------------------------------------------------------
// The audit log: one receiver for all fifteen signals, first in line
// (order -100). It opens the timeline entry of every signal, with what
// `Audited` says about it.

#[receiver(
    signals = [
        UserLoggedIn, UserLoggedOut, UserSignedUp, PasswordSet, PasswordChanged, PasswordReset,
        EmailConfirmed, EmailConfirmationSent, EmailChanged, EmailAdded, EmailRemoved,
        PreSocialLogin, SocialAccountAdded, SocialAccountUpdated, SocialAccountRemoved,
    ],
    order = -100,
    name = "audit_log"
)]
fn audit_log<S: Signal + Audited>(signal: &S) {
    TIMELINE.lock().unwrap().push(Entry {
        signal: S::NAME,
        summary: signal.summary(),
        receivers: vec!["audit_log".to_owned()],
    });
}

/// What the audit log writes about a signal.
trait Audited {
    fn summary(&self) -> String;
}

impl Audited for UserLoggedIn<'_> {
    fn summary(&self) -> String {
        format!("{}{}", user(&*self.user), via(self.sociallogin))
    }
}

impl Audited for UserLoggedOut<'_> {
    fn summary(&self) -> String {
        self.user
            .as_deref()
            .map_or_else(|| "anonymous".to_owned(), user)
    }
}

impl Audited for UserSignedUp<'_> {
    fn summary(&self) -> String {
        format!("{}{}", user(&*self.user), via(self.sociallogin))
    }
}

impl Audited for PasswordSet<'_> {
    fn summary(&self) -> String {
        user(&*self.user)
    }
}

impl Audited for PasswordChanged<'_> {
    fn summary(&self) -> String {
        user(&*self.user)
    }
}

impl Audited for PasswordReset<'_> {
    fn summary(&self) -> String {
        user(&*self.user)
    }
}

impl Audited for EmailConfirmed<'_> {
    fn summary(&self) -> String {
        self.email_address.email.clone()
    }
}

impl Audited for EmailConfirmationSent<'_> {
    fn summary(&self) -> String {
        let confirmation = self.confirmation;
        // `{:?}` of the key prints `[redacted]`: safe to log.
        format!(
            "to {}, signup={}, key={:?}",
            confirmation.email_address.email, self.signup, confirmation.key
        )
    }
}

impl Audited for EmailChanged<'_> {
    fn summary(&self) -> String {
        let from = self
            .from_email_address
            .map_or("(none)", |address| address.email.as_str());
        format!("{from} -> {}", self.to_email_address.email)
    }
}

impl Audited for EmailAdded<'_> {
    fn summary(&self) -> String {
        format!("{} for {}", self.email_address.email, user(&*self.user))
    }
}

impl Audited for EmailRemoved<'_> {
    fn summary(&self) -> String {
        format!("{} of {}", self.email_address.email, user(&*self.user))
    }
}

impl Audited for PreSocialLogin<'_> {
    fn summary(&self) -> String {
        let state = match self.sociallogin.user() {
            Some(owner) => format!("connected to {}", user(&*owner)),
            None => "not connected yet".to_owned(),
        };
        format!("{}, {state}", account(self.sociallogin))
    }
}

impl Audited for SocialAccountAdded<'_> {
    fn summary(&self) -> String {
        let owner = self
            .sociallogin
            .user()
            .map(|owner| user(&*owner))
            .unwrap_or_default();
        format!("{} -> {owner}", account(self.sociallogin))
    }
}

impl Audited for SocialAccountUpdated<'_> {
    fn summary(&self) -> String {
        let fields = self.sociallogin.account.extra_data.len();
        format!(
            "{}, {fields} profile fields saved",
            account(self.sociallogin)
        )
    }
}

impl Audited for SocialAccountRemoved<'_> {
    fn summary(&self) -> String {
        let account = self.socialaccount;
        format!("{} account {}", account.provider, account.uid)
    }
}

// ---------------------------------------------------------------------------
// The application's other receivers.

/// A welcome mail for every new member, sent asynchronously.
#[receiver(signal = UserSignedUp, name = "welcome_mail")]
async fn welcome_mail(s: &UserSignedUp<'_>) -> Result<(), std::io::Error> {
    // The signal carries the application's own user type.
    let member = s
        .user
        .downcast_ref::<Member>()
        .expect("the application's user type");
    let to = member.email.as_deref().unwrap_or("nobody");
    // A real mailer would await an SMTP or HTTP client here.
    std::future::ready(()).await;
    ran(format!("welcome_mail (async, to {to})"));
    Ok(())
}

/// Turns away logins through a provider the site does not trust.
#[receiver(signal = PreSocialLogin, order = -50, name = "block_provider")]
fn block_provider(s: &PreSocialLogin) -> Result<(), ImmediateResponse> {
    if s.sociallogin.provider() == "blockedcorp" {
        ran("block_provider (vetoed: 403)".to_owned());
        return Err(ImmediateResponse::new(
            StatusCode::FORBIDDEN,
            "Logins through BlockedCorp are not accepted.",
        ));
    }
    ran("block_provider".to_owned());
    Ok(())
}

/// Attaches a new provider account to the member who already has its
/// verified address, instead of signing a second member up.
#[receiver(signal = PreSocialLogin, name = "attach_by_verified_email")]
async fn attach_by_verified_email(s: &PreSocialLogin<'_>) -> Result<(), signals_auth::StoreError> {
    let login = s.sociallogin;
    if login.is_existing() || login.user().is_some() {
        ran("attach_by_verified_email (async, nothing to do)".to_owned());
        return Ok(());
    }
    // A read of its own: the flow's transaction is not committed yet.
    let mut store = APP.store().begin().await?;
    for email in login.verified_emails() {
        let Some(address) = store.email_address(email).await? else {
            continue;
        };
        if !address.verified {
            continue; // only an address the member proved is theirs
        }
        if let Some(member) = store.user(&address.user_id).await? {
            ran(format!(
                "attach_by_verified_email (async, attached to user {})",
                member.id
            ));
            login.connect(member);
            return Ok(());
        }
    }
    ran("attach_by_verified_email (async, no member has it)".to_owned());
    Ok(())
}

// ---------------------------------------------------------------------------
// The story.

fn request(path: &str) -> RequestContext {
    let request = http::Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("user-agent", "demo")
        .header("cookie", "sessionid=never-printed")
        .body(())
        .unwrap();
    RequestContext::from_request(&request).with_client_addr("203.0.113.7:52100".parse().unwrap())
}

fn session(path: &str, login: &LoggedIn<Member>) -> RequestContext {
    request(path).with_session_key(login.session_key.expose_str())
}

fn github(uid: &str, email: &str) -> SocialLogin {
    let mut account = SocialAccount::new("github", uid);
    account.extra_data.insert("login", "octocat");
    account.extra_data.insert("name", "Bob Builder");
    SocialLogin::new(account)
        .with_token(SocialToken {
            token: Secret::from("gho_access_token"),
            token_secret: Some(Secret::from("ghr_refresh_token")),
            ..SocialToken::default()
        })
        .with_email(email, true)
}

fn google(uid: &str, email: &str) -> SocialLogin {
    SocialLogin::new(SocialAccount::new("google", uid)).with_email(email, true)
}

/// Prints a step, runs it, then prints the signals it sent.
async fn step<T>(
    title: &str,
    flow: impl std::future::Future<Output = T>,
    describe: impl FnOnce(&T) -> String,
) -> T {
    let number = STEP.fetch_add(1, Ordering::Relaxed) + 1;
    println!("\n{number:>2}. {title}");
    let result = flow.await;
    for entry in TIMELINE.lock().unwrap().drain(..) {
        println!("    {:<44}  {}", entry.signal, entry.summary);
        println!("    {:<44}  ran: {}", "", entry.receivers.join(", "));
        SEEN.lock().unwrap().push(entry.signal);
    }
    println!("    => {}", describe(&result));
    result
}

static STEP: AtomicUsize = AtomicUsize::new(0);
static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// What a flow's result says, in words.
fn done<T>(outcome: &Result<T, FlowError>, describe: impl FnOnce(&T) -> String) -> String {
    match outcome {
        Ok(value) => describe(value),
        Err(error) => format!("failed: {error}"),
    }
}

fn key_for(email: &str) -> Secret<String> {
    APP.mailer()
        .last_key_for(email)
        .expect("the mail with the key")
}

/// `--map mermaid` or `--map dot`: the wiring of this binary, every signal
/// with its receivers, as a picture instead of the story. README.md shows
/// the Mermaid one; `tests/demo.rs` fails when it is no longer current.
pub(crate) fn wiring_map(args: &[String]) -> Result<Option<String>, String> {
    match args {
        [] => Ok(None),
        [flag, format] if flag == "--map" && format == "mermaid" => {
            Ok(Some(signals_core::catalog().to_mermaid()))
        }
        [flag, format] if flag == "--map" && format == "dot" => {
            Ok(Some(signals_core::catalog().to_dot()))
        }
        _ => Err(format!(
            "unexpected arguments {args:?}\nusage: demo [--map mermaid|dot]"
        )),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match wiring_map(&args) {
        Ok(None) => {}
        Ok(Some(map)) => return print!("{map}"),
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
    println!("signals-auth demo: the fifteen django-allauth signals, sent by the reference flows.");
    println!(
        "Each signal below shows what it carried, then the receivers that ran for it, in order."
    );

    let alice = step(
        "Alice signs up (email verification optional)",
        APP.signup(
            &request("/accounts/signup/"),
            SignupForm::new("alice@example.com").password("correct horse"),
        ),
        |outcome| match outcome {
            Ok(SignupOutcome::LoggedIn(login)) => format!(
                "signed up and logged in, session key {:?}",
                login.session_key
            ),
            other => format!("{other:?}"),
        },
    )
    .await;
    let Ok(SignupOutcome::LoggedIn(alice)) = alice else {
        panic!("alice is logged in")
    };
    let member = alice.user.clone();

    step(
        "Alice follows the link in her confirmation mail",
        APP.confirm_email(
            &request("/accounts/confirm-email/"),
            &key_for("alice@example.com"),
            None,
        ),
        |outcome| done(outcome, |_| "address verified".to_owned()),
    )
    .await
    .unwrap();

    step(
        "Alice adds her work address",
        APP.add_email(
            &session("/accounts/email/", &alice),
            &member,
            "alice@work.example",
        ),
        |outcome| {
            done(outcome, |address| {
                format!("added {} (unverified)", address.email)
            })
        },
    )
    .await
    .unwrap();

    step(
        "Alice confirms her work address",
        APP.confirm_email(
            &request("/accounts/confirm-email/"),
            &key_for("alice@work.example"),
            None,
        ),
        |outcome| done(outcome, |_| "address verified".to_owned()),
    )
    .await
    .unwrap();

    step(
        "Alice makes her work address the primary",
        APP.set_primary_email(
            &session("/accounts/email/", &alice),
            &member,
            "alice@work.example",
        ),
        |outcome| {
            done(outcome, |address| {
                format!("the primary is now {}", address.email)
            })
        },
    )
    .await
    .unwrap();

    step(
        "Alice removes her old address",
        APP.remove_email(
            &session("/accounts/email/", &alice),
            &member,
            "alice@example.com",
        ),
        |outcome| done(outcome, |address| format!("removed {}", address.email)),
    )
    .await
    .unwrap();

    step(
        "Alice changes her password",
        APP.change_password(
            &session("/accounts/password/change/", &alice),
            &member,
            &Secret::from("correct horse"),
            &Secret::from("battery staple"),
        ),
        |outcome| done(outcome, |()| "password changed, still logged in".to_owned()),
    )
    .await
    .unwrap();

    step(
        "Alice logs out",
        APP.logout(&session("/accounts/logout/", &alice)),
        |outcome| {
            done(outcome, |user| match user {
                Some(user) => format!("user {} logged out, session deleted", user.id),
                None => "nobody was logged in".to_owned(),
            })
        },
    )
    .await
    .unwrap();

    step(
        "Alice forgets her password and resets it (the site logs in on reset)",
        async {
            APP.request_password_reset(&request("/accounts/password/reset/"), "alice@work.example")
                .await?;
            APP.reset_password(
                &request("/accounts/password/reset/key/"),
                &key_for("alice@work.example"),
                &Secret::from("new horse"),
            )
            .await
        },
        |outcome| match outcome {
            Ok(ResetOutcome::LoggedIn(login)) => {
                format!("password reset, logged in as user {}", login.user.id)
            }
            other => format!("{other:?}"),
        },
    )
    .await
    .unwrap();

    let bob = step(
        "Bob arrives through GitHub: a new account, so a new member",
        APP.social_login(
            &request("/accounts/github/login/callback/"),
            github("583231", "bob@example.com"),
        ),
        |outcome| match outcome {
            Ok(SocialLoginOutcome::SignedUp(login)) => {
                format!("signed up and logged in as user {}", login.user.id)
            }
            other => format!("{other:?}"),
        },
    )
    .await;
    let Ok(SocialLoginOutcome::SignedUp(bob)) = bob else {
        panic!("bob signed up")
    };

    step(
        "Bob sets a password, to log in without GitHub too",
        APP.set_password(
            &session("/accounts/password/set/", &bob),
            &bob.user,
            &Secret::from("bob's secret"),
        ),
        |outcome| done(outcome, |()| "password set".to_owned()),
    )
    .await
    .unwrap();

    step(
        "Alice signs in with Google, whose verified address is hers",
        APP.social_login(
            &request("/accounts/google/login/callback/"),
            google("g-1001", "alice@work.example"),
        ),
        |outcome| match outcome {
            Ok(SocialLoginOutcome::Attached(login)) => {
                format!("attached to the existing user {}, logged in", login.user.id)
            }
            other => format!("{other:?}"),
        },
    )
    .await
    .unwrap();

    step(
        "Bob logs in through GitHub again",
        APP.social_login(
            &request("/accounts/github/login/callback/"),
            github("583231", "bob@example.com"),
        ),
        |outcome| match outcome {
            Ok(SocialLoginOutcome::LoggedIn(login)) => {
                format!("logged in as user {}", login.user.id)
            }
            other => format!("{other:?}"),
        },
    )
    .await
    .unwrap();

    step(
        "Mallory tries BlockedCorp",
        APP.social_login(
            &request("/accounts/blockedcorp/login/callback/"),
            SocialLogin::new(SocialAccount::new("blockedcorp", "666"))
                .with_email("mallory@example.com", true),
        ),
        |outcome| match outcome {
            Ok(SocialLoginOutcome::Aborted(response)) => {
                format!(
                    "vetoed: {} {:?}; nobody logged in",
                    response.status(),
                    response.body()
                )
            }
            other => format!("{other:?}"),
        },
    )
    .await
    .unwrap();

    step(
        "Bob connects a Google account from his settings",
        APP.social_connect(
            &session("/accounts/social/connections/", &bob),
            &bob.user,
            google("g-2002", "bob@gmail.example"),
        ),
        |outcome| match outcome {
            Ok(ConnectOutcome::Connected(account)) => {
                format!("connected {} account {}", account.provider, account.uid)
            }
            other => format!("{other:?}"),
        },
    )
    .await
    .unwrap();

    step(
        "Bob disconnects it again",
        APP.social_disconnect(
            &session("/accounts/social/connections/", &bob),
            &bob.user,
            "google",
            "g-2002",
        ),
        |outcome| {
            done(outcome, |account| {
                format!("{} account {} removed", account.provider, account.uid)
            })
        },
    )
    .await
    .unwrap();

    step(
        "Bob logs in with his new password",
        APP.login(
            &request("/accounts/login/"),
            Credentials::new("bob@example.com", "bob's secret"),
        ),
        |outcome| match outcome {
            Ok(LoginOutcome::LoggedIn(login)) => format!("logged in as user {}", login.user.id),
            other => format!("{other:?}"),
        },
    )
    .await
    .unwrap();

    let all = [
        UserLoggedIn::NAME,
        UserLoggedOut::NAME,
        UserSignedUp::NAME,
        PasswordSet::NAME,
        PasswordChanged::NAME,
        PasswordReset::NAME,
        EmailConfirmed::NAME,
        EmailConfirmationSent::NAME,
        EmailChanged::NAME,
        EmailAdded::NAME,
        EmailRemoved::NAME,
        PreSocialLogin::NAME,
        SocialAccountAdded::NAME,
        SocialAccountUpdated::NAME,
        SocialAccountRemoved::NAME,
    ];
    let seen = SEEN.lock().unwrap();
    println!("\nHow often each of the fifteen signals was sent:");
    for name in all {
        let count = seen.iter().filter(|seen| **seen == name).count();
        println!("    {name:<44}  {count}");
    }
    let missing: Vec<_> = all.iter().filter(|name| !seen.contains(name)).collect();
    assert!(missing.is_empty(), "signals never sent: {missing:?}");
    let logged = request("/accounts/login/?next=/inbox").with_session_key("s3cr3t");
    println!("\nA receiver that logs a request with {{:?}} prints no credential:\n    {logged:?}");
    // Link-time registration is invisible by nature: the catalog shows every
    // signal linked into this binary and, per crate, the receivers it has.
    println!("\nThe catalog of this binary (signals_core::catalog()):\n");
    print!("{}", signals_core::catalog());
    println!(
        "\nAll fifteen signals were sent; {} members exist.",
        APP.store().user_count()
    );
}
