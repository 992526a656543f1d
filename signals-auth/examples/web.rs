//! The account flows over HTTP with axum: sign-up, login, logout and email
//! confirmation, with the session in a secure cookie.
//!
//! Run with `cargo run -p signals-auth --features axum --example web`, then:
//!
//! ```text
//! curl -i -d email=ada@example.com -d password=pw http://127.0.0.1:8000/accounts/signup/
//! curl -i -b sessionid=<key from Set-Cookie> http://127.0.0.1:8000/accounts/profile/
//! curl -i -X POST http://127.0.0.1:8000/accounts/confirm-email/<key from the mail>/
//! curl -i -d login=ada@example.com -d password=pw http://127.0.0.1:8000/accounts/login/
//! curl -i -X POST -b sessionid=<key> http://127.0.0.1:8000/accounts/logout/
//! ```
//!
//! Accounts are kept in memory; with `--features axum,sqlite`, pass a
//! database URL to keep them there (`-- sqlite://accounts.db`, or a
//! `postgres://` URL with the `postgres` feature).
//!
//! Mails go to the console, as Django's console e-mail backend does.
//! `tests/web.rs` runs this router over real HTTP on localhost.
//!
//! # What this example does not do (a real site must)
//!
//! - **CSRF tokens.** The session cookie is `SameSite=Lax`, so current
//!   browsers leave it off cross-site POSTs (logout, confirmation); but the
//!   sign-up and login forms need no cookie, so another site can post them
//!   (login CSRF: the victim ends up in the attacker's account). allauth
//!   relies on Django's CSRF middleware; add a CSRF token or check `Origin`.
//! - **TLS.** It serves plain HTTP on 127.0.0.1; its cookies are `Secure`,
//!   which browsers accept over HTTP on localhost only. Serve it behind TLS.
//! - **Rate limits** (allauth's `ACCOUNT_RATE_LIMITS`): password guessing
//!   and sign-up mails are unlimited here, apart from the 180 s cooldown
//!   between confirmation mails to one address.
//! - **Password rules**: any password is accepted (Django's
//!   `AUTH_PASSWORD_VALIDATORS` are not reproduced); check length and
//!   strength before calling the flows.
//! - **Bounded pending logins**: logins waiting for a confirmation are kept
//!   in a map in memory, one per unconfirmed sign-up or login, without
//!   expiry or limit, and lost on restart; keep them in a session store
//!   with an expiry.
//! - **Hashing off the executor**: argon2 runs inline in the handlers
//!   (tens of milliseconds each) unless signals-auth's `tokio` feature is
//!   on (`--features axum,tokio`), which moves it off the worker thread.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use signals_auth::flows::{
    Accounts, ConfirmOutcome, Credentials, FlowError, LoggedIn, LoginOutcome, PendingLogin,
    Settings, SignupForm, SignupOutcome,
};
use signals_auth::mail::{Mail, Mailer};
use signals_auth::memory::MemoryStore;
use signals_auth::web::SessionCookie;
use signals_auth::{AuthUser, RequestContext, Secret, Store, Transaction};
use signals_core::BoxError;

/// The site: the flows, and the logins that wait for a confirmation
/// (allauth stashes them in the anonymous session; here they are kept by a
/// random key in their own cookie).
pub struct Site<S, M> {
    accounts: Arc<Accounts<S, M>>,
    session: SessionCookie,
    pending_cookie: SessionCookie,
    pending: Mutex<HashMap<String, PendingLogin>>,
}

type Shared<S, M> = State<Arc<Site<S, M>>>;

/// The routes, under allauth's paths.
pub fn router<S, M>(accounts: Arc<Accounts<S, M>>) -> Router
where
    S: Store + 'static,
    M: Mailer + 'static,
{
    let site = Site {
        accounts,
        session: SessionCookie::new(),
        pending_cookie: SessionCookie::new().name("pendinglogin"),
        pending: Mutex::new(HashMap::new()),
    };
    Router::new()
        .route("/accounts/signup/", post(signup::<S, M>))
        .route("/accounts/login/", post(login::<S, M>))
        .route("/accounts/logout/", post(logout::<S, M>))
        .route(
            "/accounts/confirm-email/{key}/",
            get(confirm_page).post(confirm::<S, M>),
        )
        .route("/accounts/profile/", get(profile::<S, M>))
        .with_state(Arc::new(site))
}

type Fields = Form<HashMap<String, String>>;

/// A form without a field it needs: a 400.
struct MissingField(&'static str);

impl IntoResponse for MissingField {
    fn into_response(self) -> Response {
        let message = format!("the form has no {:?} field\n", self.0);
        (StatusCode::BAD_REQUEST, message).into_response()
    }
}

fn field(form: &mut HashMap<String, String>, name: &'static str) -> Result<String, MissingField> {
    form.remove(name).ok_or(MissingField(name))
}

async fn signup<S: Store, M: Mailer>(
    State(site): Shared<S, M>,
    request: RequestContext,
    Form(mut form): Fields,
) -> Response {
    let email = match field(&mut form, "email") {
        Ok(email) => email,
        Err(missing) => return missing.into_response(),
    };
    let mut signup = SignupForm::new(email);
    if let Some(password) = form.remove("password") {
        signup = signup.password(password);
    }
    if let Some(username) = form.remove("username").filter(|name| !name.is_empty()) {
        signup = signup.username(username);
    }
    match site.accounts.signup(&request, signup).await {
        Ok(SignupOutcome::LoggedIn(login)) => site.logged_in(&login, "/accounts/profile/"),
        Ok(SignupOutcome::VerificationRequired { pending_login, .. }) => {
            site.verification_sent(pending_login)
        }
        Err(error) => error_response(&error),
    }
}

async fn login<S: Store, M: Mailer>(
    State(site): Shared<S, M>,
    request: RequestContext,
    Form(mut form): Fields,
) -> Response {
    let (login, password) = match (field(&mut form, "login"), field(&mut form, "password")) {
        (Ok(login), Ok(password)) => (login, password),
        (Err(missing), _) | (_, Err(missing)) => return missing.into_response(),
    };
    match site
        .accounts
        .login(&request, Credentials::new(login, password))
        .await
    {
        Ok(LoginOutcome::LoggedIn(login)) => site.logged_in(&login, "/accounts/profile/"),
        Ok(LoginOutcome::VerificationRequired { pending_login, .. }) => {
            site.verification_sent(pending_login)
        }
        Err(error) => error_response(&error),
    }
}

async fn logout<S: Store, M: Mailer>(
    State(site): Shared<S, M>,
    request: RequestContext,
) -> Response {
    match site.accounts.logout(&request).await {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            site.session.clear(),
            [(LOCATION, "/")],
        )
            .into_response(),
        Err(error) => error_response(&error),
    }
}

/// allauth confirms on POST only: a mail scanner following the link must
/// not confirm the address.
async fn confirm_page(Path(key): Path<String>) -> Response {
    let key: String = key.chars().filter(char::is_ascii_alphanumeric).collect();
    let page = format!(
        "<form method=\"post\" action=\"/accounts/confirm-email/{key}/\">\
         <button>Confirm</button></form>\n"
    );
    ([(axum::http::header::CONTENT_TYPE, "text/html")], page).into_response()
}

async fn confirm<S: Store, M: Mailer>(
    State(site): Shared<S, M>,
    request: RequestContext,
    Path(key): Path<String>,
) -> Response {
    let stash = site.pending_cookie.session_key(request.headers());
    let pending = stash
        .as_ref()
        .and_then(|stash| site.pending.lock().unwrap().remove(stash.expose_str()));
    let key = Secret::new(key);
    match site
        .accounts
        .confirm_email(&request, &key, pending.as_ref())
        .await
    {
        Ok(ConfirmOutcome::Confirmed(address)) => {
            (StatusCode::OK, format!("{} is confirmed\n", address.email)).into_response()
        }
        Ok(ConfirmOutcome::LoggedIn(_, login)) => (
            site.pending_cookie.clear(),
            site.logged_in(&login, "/accounts/profile/"),
        )
            .into_response(),
        Err(error) => {
            // The stashed login waits for a key that works.
            if let (Some(stash), Some(pending)) = (stash, pending) {
                site.pending
                    .lock()
                    .unwrap()
                    .insert(stash.into_exposed(), pending);
            }
            error_response(&error)
        }
    }
}

async fn profile<S: Store, M: Mailer>(
    State(site): Shared<S, M>,
    request: RequestContext,
) -> Response {
    // Reads only: a transaction of its own, dropped (rolled back) at the end.
    let mut store = match site.accounts.store().begin().await {
        Ok(store) => store,
        Err(error) => return error_response(&FlowError::Store(error)),
    };
    let user = match request.session_key() {
        Some(key) => store.session_user(key).await,
        None => Ok(None),
    };
    let user = match user {
        Ok(Some(user)) => user,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "log in first\n").into_response(),
        Err(error) => return error_response(&FlowError::Store(error)),
    };
    match store.email_addresses(&user.id()).await {
        Ok(addresses) => {
            let mut page = format!("user {}\n", user.id());
            for address in addresses {
                page.push_str(&format!(
                    "{}{}{}\n",
                    address.email,
                    if address.primary { " primary" } else { "" },
                    if address.verified { " verified" } else { "" },
                ));
            }
            page.into_response()
        }
        Err(error) => error_response(&FlowError::Store(error)),
    }
}

impl<S: Store, M: Mailer> Site<S, M> {
    /// A redirect that sets the session cookie and the headers the
    /// `UserLoggedIn` receivers added.
    fn logged_in<U: AuthUser>(&self, login: &LoggedIn<U>, to: &'static str) -> Response {
        (
            StatusCode::SEE_OTHER,
            self.session.login_headers(login),
            [(LOCATION, to)],
        )
            .into_response()
    }

    /// Keeps the login to resume on confirmation, under a fresh key in its
    /// own cookie.
    fn verification_sent(&self, pending_login: PendingLogin) -> Response {
        let stash = signals_auth::generate_key();
        self.pending
            .lock()
            .unwrap()
            .insert(stash.expose_str().to_owned(), pending_login);
        (
            StatusCode::OK,
            self.pending_cookie.set(&stash),
            "we sent you a mail: follow its link to confirm your address\n",
        )
            .into_response()
    }
}

/// The flow's refusal as the client sees it; failures of the site itself
/// are logged (their `Debug` redacts secrets) and answered without detail.
fn error_response(error: &FlowError) -> Response {
    let status = match error {
        FlowError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        FlowError::InvalidKey => StatusCode::NOT_FOUND,
        FlowError::EmailInUse | FlowError::UsernameInUse => StatusCode::CONFLICT,
        FlowError::Store(_) | FlowError::Mail(_) | FlowError::Receiver(_) => {
            eprintln!("flow failed: {error:?}");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response();
        }
        _ => StatusCode::BAD_REQUEST,
    };
    (status, format!("{error}\n")).into_response()
}

/// Prints each mail, with the link its key goes into.
struct ConsoleMailer {
    site: String,
}

impl Mailer for ConsoleMailer {
    async fn send(&self, mail: Mail) -> Result<(), BoxError> {
        let link = match &mail {
            Mail::Confirmation { key, .. } => {
                format!("{}/accounts/confirm-email/{}/", self.site, key.expose_str())
            }
            Mail::PasswordReset { key, .. } => {
                format!(
                    "{}/accounts/password/reset/key/{}/",
                    self.site,
                    key.expose_str()
                )
            }
            _ => String::new(),
        };
        println!("mail to {}: {mail:?} {link}", mail.to());
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    let addr = listener.local_addr()?;
    let mailer = ConsoleMailer {
        site: format!("http://{addr}"),
    };
    println!("serving the account flows on http://{addr}/accounts/");
    // With the `sqlite` (or `postgres`) feature, a database URL as the
    // argument keeps the accounts there: `-- sqlite://accounts.db`.
    #[cfg(not(feature = "sqlite"))]
    if std::env::args().nth(1).is_some() {
        return Err(
            "keeping the accounts in a database needs the `sqlite` feature \
                    (`--features axum,sqlite`, or `axum,postgres` for a postgres:// URL)"
                .into(),
        );
    }
    #[cfg(feature = "sqlite")]
    if let Some(url) = std::env::args().nth(1) {
        let store = signals_auth::sql::SqlStore::connect(&url).await?;
        println!("accounts kept in the {} database", store.engine());
        return serve(listener, Accounts::new(store, mailer, Settings::new())).await;
    }
    serve(
        listener,
        Accounts::new(MemoryStore::new(), mailer, Settings::new()),
    )
    .await
}

async fn serve<S: Store + 'static, M: Mailer + 'static>(
    listener: tokio::net::TcpListener,
    accounts: Accounts<S, M>,
) -> Result<(), BoxError> {
    let app = router(Arc::new(accounts));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
