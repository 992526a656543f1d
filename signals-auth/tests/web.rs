//! The axum integration over real HTTP on localhost: `examples/web.rs`'s
//! router is served on 127.0.0.1 (an ephemeral port) and driven by a hyper
//! client. Checks that sign-up, login, logout and email confirmation work
//! over the wire; that the session travels in a cookie set with `HttpOnly`,
//! `SameSite=Lax`, `Secure` and `Path=/`, and is read back by the
//! `RequestContext` extractor; that the receivers see the client's real
//! address (from `ConnectInfo`); that a logout ends the session; and that
//! absent, malformed or unknown session cookies are no session. With the
//! `sqlite` feature, also that accounts and sessions kept by `SqlStore`
//! outlive a restart of the server.

#[allow(dead_code)] // the example's `main` and console mailer
#[path = "../examples/web.rs"]
mod web_example;

#[cfg(feature = "sqlite")]
mod stores;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http::header::{COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use signals_auth::account::{UserLoggedIn, UserLoggedOut, UserSignedUp};
use signals_auth::flows::{Accounts, EmailVerification, Settings};
use signals_auth::memory::{MemoryMailer, MemoryStore};
use signals_auth::{RequestContext, Store, Transaction};
use signals_core::receiver;
use tokio::net::{TcpListener, TcpStream};

/// What the receivers saw, by `X-Request-Id`: the signal, the client
/// address and whether the request carried a session.
static SEEN: Mutex<Vec<(String, Seen)>> = Mutex::new(Vec::new());

#[derive(Clone, Debug, PartialEq)]
struct Seen {
    signal: &'static str,
    client: Option<SocketAddr>,
    user: Option<String>,
}

fn saw(request: &RequestContext, signal: &'static str, user: Option<String>) {
    let id = request.request_id().unwrap_or_default().to_owned();
    let seen = Seen {
        signal,
        client: request.client_addr(),
        user,
    };
    SEEN.lock().unwrap().push((id, seen));
}

fn seen(id: &str) -> Vec<Seen> {
    let mut all = SEEN.lock().unwrap();
    let mine = all
        .iter()
        .filter(|(request, _)| request == id)
        .map(|(_, seen)| seen.clone())
        .collect();
    all.retain(|(request, _)| request != id);
    mine
}

#[receiver(signal = UserSignedUp)]
fn signed_up(event: &UserSignedUp<'_>) {
    saw(event.request, "user_signed_up", Some(event.user.id()));
}

#[receiver(signal = UserLoggedIn)]
fn logged_in(event: &UserLoggedIn<'_>) {
    saw(event.request, "user_logged_in", Some(event.user.id()));
}

#[receiver(signal = UserLoggedOut)]
fn logged_out(event: &UserLoggedOut<'_>) {
    saw(
        event.request,
        "user_logged_out",
        event.user.as_ref().map(|user| user.id()),
    );
}

/// The example's router over `accounts`, served on 127.0.0.1 on a fresh
/// port, with the peer address available to the extractor.
struct Server<S = MemoryStore> {
    addr: SocketAddr,
    accounts: Arc<Accounts<S, MemoryMailer>>,
}

async fn serve(settings: Settings) -> Server {
    serve_accounts(Accounts::new(
        MemoryStore::new(),
        MemoryMailer::new(),
        settings,
    ))
    .await
}

async fn serve_accounts<S: Store + 'static>(accounts: Accounts<S, MemoryMailer>) -> Server<S> {
    let accounts = Arc::new(accounts);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = web_example::router(accounts.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Server { addr, accounts }
}

/// One HTTP/1.1 exchange on a fresh connection.
struct Exchange {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    /// The client's side of the connection, as the server saw it.
    client: SocketAddr,
}

impl Exchange {
    /// The `Set-Cookie` value for `name`, if the response set one.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .find(|value| value.starts_with(&format!("{name}=")))
    }

    /// The value the response set for cookie `name`.
    fn cookie_value(&self, name: &str) -> Option<String> {
        let set = self.set_cookie(name)?;
        let pair = set.split(';').next().unwrap();
        Some(pair[name.len() + 1..].to_owned())
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

impl<S> Server<S> {
    async fn send(
        &self,
        id: &str,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<String>,
    ) -> Exchange {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let client = stream.local_addr().unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("x-request-id", id);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(body))),
            None => request.body(Full::new(Bytes::new())),
        }
        .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Exchange {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
            client,
        }
    }

    async fn post(
        &self,
        id: &str,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Exchange {
        self.send(id, Method::POST, path, cookie, Some(form(fields)))
            .await
    }

    async fn get(&self, id: &str, path: &str, cookie: Option<&str>) -> Exchange {
        self.send(id, Method::GET, path, cookie, None).await
    }
}

fn session(cookie: &str) -> String {
    format!("sessionid={cookie}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_sets_a_secure_session_cookie_that_the_extractor_reads_back() {
    let server = serve(Settings::new()).await;
    let signup = server
        .post(
            "web-signup",
            "/accounts/signup/",
            None,
            &[("email", "Ada@Example.com"), ("password", "pw")],
        )
        .await;
    assert_eq!(signup.status, StatusCode::SEE_OTHER, "{}", signup.body);
    assert_eq!(signup.headers[LOCATION], "/accounts/profile/");
    let set = signup.set_cookie("sessionid").expect("a session cookie");
    let key = signup.cookie_value("sessionid").unwrap();
    assert_eq!(
        set,
        format!("sessionid={key}; Path=/; HttpOnly; SameSite=Lax; Secure")
    );
    assert!(key.len() >= 32, "a session key of {} characters", key.len());

    // The receivers ran with the client's real address.
    let events = seen("web-signup");
    let signals: Vec<_> = events.iter().map(|seen| seen.signal).collect();
    assert_eq!(signals, ["user_signed_up", "user_logged_in"]);
    assert!(events.iter().all(|seen| seen.client == Some(signup.client)));
    let user_id = events[0].user.clone().unwrap();

    // The cookie is the session: the profile page knows the user.
    let profile = server
        .get("web-signup", "/accounts/profile/", Some(&session(&key)))
        .await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(
        profile.body,
        format!("user {user_id}\nada@example.com primary\n")
    );
    // Among other cookies, too.
    let profile = server
        .get(
            "web-signup",
            "/accounts/profile/",
            Some(&format!("csrftoken=x; {}; theme=dark", session(&key))),
        )
        .await;
    assert_eq!(profile.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_logout_over_http() {
    let server = serve(Settings::new()).await;
    let signup = server
        .post(
            "web-login",
            "/accounts/signup/",
            None,
            &[("email", "bob@example.com"), ("password", "right")],
        )
        .await;
    assert_eq!(signup.status, StatusCode::SEE_OTHER);
    seen("web-login");

    // A wrong password: refused, no cookie, no signal.
    let wrong = server
        .post(
            "web-login",
            "/accounts/login/",
            None,
            &[("login", "bob@example.com"), ("password", "wrong")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.set_cookie("sessionid"), None);
    assert_eq!(seen("web-login"), []);

    let login = server
        .post(
            "web-login",
            "/accounts/login/",
            None,
            &[("login", "bob@example.com"), ("password", "right")],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let key = login.cookie_value("sessionid").expect("a session cookie");
    let events = seen("web-login");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].signal, "user_logged_in");
    assert_eq!(events[0].client, Some(login.client));
    let user_id = events[0].user.clone();
    let sessions = server.accounts.store().session_count();

    // Logging out sends `UserLoggedOut` for the cookie's user, ends that
    // session in the store and clears the cookie.
    let logout = server
        .post("web-logout", "/accounts/logout/", Some(&session(&key)), &[])
        .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(
        logout.set_cookie("sessionid").unwrap(),
        "sessionid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
    );
    let events = seen("web-logout");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].signal, "user_logged_out");
    assert_eq!(events[0].user, user_id);
    assert_eq!(server.accounts.store().session_count(), sessions - 1);
    let profile = server
        .get("web-logout", "/accounts/profile/", Some(&session(&key)))
        .await;
    assert_eq!(profile.status, StatusCode::UNAUTHORIZED);

    // Logging out again, or without a cookie, sends nothing.
    for cookie in [Some(session(&key)), None] {
        let again = server
            .post("web-logout", "/accounts/logout/", cookie.as_deref(), &[])
            .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(seen("web-logout"), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmation_by_the_mailed_key_over_http() {
    let server = serve(Settings::new()).await;
    let signup = server
        .post(
            "web-confirm",
            "/accounts/signup/",
            None,
            &[("email", "cy@example.com"), ("password", "pw")],
        )
        .await;
    assert_eq!(signup.status, StatusCode::SEE_OTHER);
    let key = server
        .accounts
        .mailer()
        .last_key_for("cy@example.com")
        .expect("a confirmation mail");
    let path = format!("/accounts/confirm-email/{}/", key.expose_str());

    // Following the link shows a form; only its POST confirms.
    let page = server.get("web-confirm", &path, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("method=\"post\""));
    let address = server
        .accounts
        .store()
        .begin()
        .await
        .unwrap()
        .email_address("cy@example.com")
        .await;
    assert!(!address.unwrap().unwrap().verified);

    let confirm = server.post("web-confirm", &path, None, &[]).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert_eq!(confirm.body, "cy@example.com is confirmed\n");
    let address = server
        .accounts
        .store()
        .begin()
        .await
        .unwrap()
        .email_address("cy@example.com")
        .await;
    assert!(address.unwrap().unwrap().verified);

    // Keys are single use; a made-up key is refused the same way.
    let again = server.post("web-confirm", &path, None, &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let made_up = server
        .post(
            "web-confirm",
            "/accounts/confirm-email/0123abcd/",
            None,
            &[],
        )
        .await;
    assert_eq!(made_up.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mandatory_verification_logs_in_on_confirmation_from_the_stashed_login() {
    let settings = Settings::new()
        .email_verification(EmailVerification::Mandatory)
        .login_on_email_confirmation(true);
    let server = serve(settings).await;
    let signup = server
        .post(
            "web-mandatory",
            "/accounts/signup/",
            None,
            &[("email", "dee@example.com"), ("password", "pw")],
        )
        .await;
    // No session yet: the login waits in its own cookie.
    assert_eq!(signup.status, StatusCode::OK, "{}", signup.body);
    assert_eq!(signup.set_cookie("sessionid"), None);
    let stash = signup.cookie_value("pendinglogin").expect("a stash cookie");
    assert_eq!(
        seen("web-mandatory")
            .iter()
            .map(|seen| seen.signal)
            .collect::<Vec<_>>(),
        ["user_signed_up"]
    );

    let key = server
        .accounts
        .mailer()
        .last_key_for("dee@example.com")
        .unwrap();
    let confirm = server
        .post(
            "web-mandatory",
            &format!("/accounts/confirm-email/{}/", key.expose_str()),
            Some(&format!("pendinglogin={stash}")),
            &[],
        )
        .await;
    assert_eq!(confirm.status, StatusCode::SEE_OTHER, "{}", confirm.body);
    let session_key = confirm.cookie_value("sessionid").expect("a session cookie");
    assert_eq!(confirm.cookie_value("pendinglogin").as_deref(), Some(""));
    let events = seen("web-mandatory");
    assert_eq!(events.last().unwrap().signal, "user_logged_in");
    assert_eq!(events.last().unwrap().client, Some(confirm.client));
    let profile = server
        .get(
            "web-mandatory",
            "/accounts/profile/",
            Some(&session(&session_key)),
        )
        .await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("dee@example.com primary verified"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_malformed_or_unknown_session_cookies_are_no_session() {
    let server = serve(Settings::new()).await;
    for cookie in [
        None,
        Some("sessionid="),
        Some("sessionid=\"\""),
        Some("sessionid=a,b"),
        Some("sessionid=not-a-session"),
        Some("xsessionid=abc"),
    ] {
        let profile = server.get("web-none", "/accounts/profile/", cookie).await;
        assert_eq!(profile.status, StatusCode::UNAUTHORIZED, "{cookie:?}");
        let logout = server
            .post("web-none", "/accounts/logout/", cookie, &[])
            .await;
        assert_eq!(logout.status, StatusCode::SEE_OTHER, "{cookie:?}");
    }
    assert_eq!(seen("web-none"), []);

    // A form without its fields is a 400, not a panic.
    let missing = server
        .post("web-none", "/accounts/login/", None, &[("login", "x")])
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

/// With `SqlStore` (feature `sqlite`), the same flows over HTTP keep their
/// accounts, addresses and sessions in the database file: after the store
/// is closed and a new server opens the file again, the confirmed address,
/// the password and the earlier session are still there.
#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_sessions_outlive_a_restart_in_sqlite() {
    use signals_auth::sql::SqlStore;

    let file = stores::SqliteFile::new();
    let store = SqlStore::connect(&file.url).await.unwrap();
    let first = serve_accounts(Accounts::new(store, MemoryMailer::new(), Settings::new())).await;
    let signup = first
        .post(
            "web-sqlite",
            "/accounts/signup/",
            None,
            &[("email", "eve@example.com"), ("password", "pw")],
        )
        .await;
    assert_eq!(signup.status, StatusCode::SEE_OTHER, "{}", signup.body);
    let old_session = signup.cookie_value("sessionid").unwrap();
    let key = first
        .accounts
        .mailer()
        .last_key_for("eve@example.com")
        .unwrap();
    let confirm = first
        .post(
            "web-sqlite",
            &format!("/accounts/confirm-email/{}/", key.expose_str()),
            None,
            &[],
        )
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    first.accounts.store().close().await;

    let store = SqlStore::connect(&file.url).await.unwrap();
    let second = serve_accounts(Accounts::new(store, MemoryMailer::new(), Settings::new())).await;
    let profile = second
        .get(
            "web-sqlite",
            "/accounts/profile/",
            Some(&session(&old_session)),
        )
        .await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("eve@example.com primary verified"));
    let login = second
        .post(
            "web-sqlite",
            "/accounts/login/",
            None,
            &[("login", "eve@example.com"), ("password", "pw")],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    assert_eq!(second.accounts.store().session_count().await.unwrap(), 2);
    let logout = second
        .post(
            "web-sqlite",
            "/accounts/logout/",
            Some(&session(&old_session)),
            &[],
        )
        .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(second.accounts.store().session_count().await.unwrap(), 1);
    let gone = second
        .get(
            "web-sqlite",
            "/accounts/profile/",
            Some(&session(&old_session)),
        )
        .await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    seen("web-sqlite");
}
