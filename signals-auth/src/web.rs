//! axum integration (feature `axum`): [`RequestContext`] as an extractor,
//! and [`SessionCookie`], which reads the session key from the request's
//! cookie and sets it on the response with secure attributes.
//!
//! ```
//! use axum::extract::ConnectInfo;
//! use axum::response::IntoResponse;
//! use signals_auth::web::SessionCookie;
//! use signals_auth::RequestContext;
//!
//! // The extractor: method, URI, headers, the peer address from
//! // `ConnectInfo`, and the session key from the `sessionid` cookie.
//! async fn whoami(request: RequestContext) -> String {
//!     format!("{:?} has a session: {}", request.client_addr(), request.session_key().is_some())
//! }
//!
//! // The response side: `Set-Cookie: sessionid=...; Path=/; HttpOnly; SameSite=Lax; Secure`.
//! async fn log_in() -> impl IntoResponse {
//!     let key = signals_auth::generate_key(); // in a real handler: `LoggedIn::session_key`
//!     (SessionCookie::new().set(&key), "logged in")
//! }
//!
//! let app: axum::Router = axum::Router::new()
//!     .route("/whoami", axum::routing::get(whoami))
//!     .route("/login", axum::routing::post(log_in));
//! // Serve it with the peer address available to the extractor:
//! // axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
//! # let _ = app;
//! ```
//!
//! A site whose session cookie is not called `sessionid`, or that serves
//! plain HTTP beyond `localhost`, puts its own [`SessionCookie`] in the
//! request extensions (`Router::layer(Extension(SessionCookie::new().name("id")))`);
//! the extractor reads the cookie name from there.

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::response::AppendHeaders;
use http::header::{HeaderMap, HeaderValue, COOKIE, SET_COOKIE};
use http::request::Parts;

use crate::flows::LoggedIn;
use crate::request::RequestContext;
use crate::secret::Secret;
use crate::user::AuthUser;

/// The session cookie: its name and the attributes it is set with.
///
/// The defaults are Django's cookie name (`sessionid`) with the attributes
/// a session cookie should have: `Path=/`, `HttpOnly` (no script reads it),
/// `SameSite=Lax` (not sent on cross-site POSTs) and `Secure` (HTTPS only;
/// browsers treat `http://localhost` as secure too), and no `Max-Age`, so
/// it ends with the browser session.
///
/// ```
/// use signals_auth::web::{SameSite, SessionCookie};
/// use signals_auth::Secret;
///
/// let cookie = SessionCookie::new().same_site(SameSite::Strict);
/// let value = cookie.header_value(&Secret::from("k3y"));
/// assert_eq!(value, "sessionid=k3y; Path=/; HttpOnly; SameSite=Strict; Secure");
/// // The value is marked sensitive: `RequestContext`'s and `http`'s
/// // `Debug` hide it.
/// assert!(value.is_sensitive());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCookie {
    name: String,
    path: String,
    domain: Option<String>,
    secure: bool,
    same_site: SameSite,
    max_age: Option<Duration>,
}

/// The cookie's `SameSite` attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Sent with same-site requests and top-level cross-site navigations
    /// (`GET` links); the browsers' default and Django's.
    #[default]
    Lax,
    /// Sent with every request; requires `Secure`, which
    /// [`SessionCookie::header_value`] then always adds.
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

impl Default for SessionCookie {
    fn default() -> Self {
        SessionCookie {
            name: "sessionid".to_owned(),
            path: "/".to_owned(),
            domain: None,
            secure: true,
            same_site: SameSite::Lax,
            max_age: None,
        }
    }
}

impl fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCookie")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("same_site", &self.same_site)
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// True for a cookie name RFC 6265 accepts (an HTTP token).
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

/// True for a cookie value or attribute value without separators or
/// control characters (RFC 6265's cookie-octets, which keys and paths are).
fn is_cookie_octets(text: &str) -> bool {
    text.bytes()
        .all(|byte| matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

impl SessionCookie {
    /// `sessionid`, `Path=/`, `HttpOnly`, `SameSite=Lax`, `Secure`.
    pub fn new() -> Self {
        SessionCookie::default()
    }

    /// Sets the cookie's name.
    ///
    /// # Panics
    ///
    /// If `name` is not an HTTP token (empty, or with spaces, `=`, `;` or
    /// control characters): a configuration error, found at start-up.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        assert!(is_token(&name), "invalid cookie name {name:?}");
        self.name = name;
        self
    }

    /// Sets the `Path` attribute (default `/`).
    ///
    /// # Panics
    ///
    /// If `path` has `;`, spaces or control characters.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        assert!(
            !path.is_empty() && is_cookie_octets(&path),
            "invalid cookie path {path:?}"
        );
        self.path = path;
        self
    }

    /// Sets the `Domain` attribute (default none: the cookie goes back to
    /// the host that set it only).
    ///
    /// # Panics
    ///
    /// If `domain` has `;`, spaces or control characters.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        assert!(
            !domain.is_empty() && is_cookie_octets(&domain),
            "invalid cookie domain {domain:?}"
        );
        self.domain = Some(domain);
        self
    }

    /// Sets or clears `Secure` (default set). Clear it only for a site
    /// served over plain HTTP to other hosts than `localhost`, where a
    /// browser would drop a secure cookie. With [`SameSite::None`] the
    /// attribute is always set, as browsers require.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets the `SameSite` attribute (default [`SameSite::Lax`]).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Sets `Max-Age` (default none: a browser-session cookie).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The cookie's name.
    pub fn cookie_name(&self) -> &str {
        &self.name
    }

    /// The session key in the request's `Cookie` headers, if there is one
    /// with this cookie's name and a well-formed, non-empty value (the
    /// first, if several). A malformed value counts as no session.
    pub fn session_key(&self, headers: &HeaderMap) -> Option<Secret<String>> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name)
            .map(|(_, value)| {
                let value = value.trim();
                value
                    .strip_prefix('"')
                    .and_then(|quoted| quoted.strip_suffix('"'))
                    .unwrap_or(value)
            })
            .filter(|value| !value.is_empty() && is_cookie_octets(value))
            .map(|value| Secret::new(value.to_owned()))
    }

    /// The `Set-Cookie` value that sets the session key, marked sensitive.
    /// A key that is not a valid cookie value (the flows' keys always are)
    /// yields a cookie that clears the session instead of a malformed
    /// header.
    pub fn header_value(&self, key: &Secret<String>) -> HeaderValue {
        let key = key.expose_str();
        if key.is_empty() || !is_cookie_octets(key) {
            return self.clear_value();
        }
        self.value_with(key, self.max_age)
    }

    /// The `Set-Cookie` value that deletes the cookie (empty, `Max-Age=0`),
    /// for a logout.
    pub fn clear_value(&self) -> HeaderValue {
        self.value_with("", Some(Duration::ZERO))
    }

    fn value_with(&self, key: &str, max_age: Option<Duration>) -> HeaderValue {
        let mut text = format!("{}={key}; Path={}", self.name, self.path);
        if let Some(domain) = &self.domain {
            text.push_str("; Domain=");
            text.push_str(domain);
        }
        if let Some(max_age) = max_age {
            text.push_str(&format!("; Max-Age={}", max_age.as_secs()));
        }
        text.push_str("; HttpOnly; SameSite=");
        text.push_str(self.same_site.as_str());
        if self.secure || self.same_site == SameSite::None {
            text.push_str("; Secure");
        }
        // Every part was checked to be visible ASCII without separators.
        let mut value = HeaderValue::from_str(&text).expect("cookie parts are validated");
        value.set_sensitive(true);
        value
    }

    /// Response parts that set the session cookie: put them first in a
    /// handler's response tuple.
    pub fn set(&self, key: &Secret<String>) -> AppendHeaders<[(http::HeaderName, HeaderValue); 1]> {
        AppendHeaders([(SET_COOKIE, self.header_value(key))])
    }

    /// Response parts that delete the session cookie.
    pub fn clear(&self) -> AppendHeaders<[(http::HeaderName, HeaderValue); 1]> {
        AppendHeaders([(SET_COOKIE, self.clear_value())])
    }

    /// The headers a login's response needs: the ones the `UserLoggedIn`
    /// receivers added ([`LoggedIn::response_headers`]) and the session
    /// cookie. A `HeaderMap` is itself response parts in axum.
    pub fn login_headers<U: AuthUser>(&self, login: &LoggedIn<U>) -> HeaderMap {
        let mut headers = login.response_headers.clone();
        headers.append(SET_COOKIE, self.header_value(&login.session_key));
        headers
    }
}

impl RequestContext {
    /// From an axum request's parts: method, URI, version and headers, the
    /// peer address from `ConnectInfo<SocketAddr>` (or a `SocketAddr`
    /// extension), and the session key from `cookie`'s cookie.
    pub fn from_axum_parts(parts: &Parts, cookie: &SessionCookie) -> Self {
        let mut context = RequestContext::from_parts(parts);
        if let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            context = context.with_client_addr(*addr);
        }
        if let Some(key) = cookie.session_key(&parts.headers) {
            context = context.with_session_key(key);
        }
        context
    }
}

/// Extracts the request's context: see
/// [`from_axum_parts`](RequestContext::from_axum_parts). The cookie is the
/// [`SessionCookie`] in the request's extensions, or the default one
/// (`sessionid`). Never rejects.
impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let context = match parts.extensions.get::<SessionCookie>() {
            Some(cookie) => RequestContext::from_axum_parts(parts, cookie),
            None => RequestContext::from_axum_parts(parts, &SessionCookie::default()),
        };
        Ok(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for cookie in cookies {
            map.append(COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        map
    }

    fn key(cookie: &SessionCookie, cookies: &[&str]) -> Option<String> {
        cookie
            .session_key(&headers(cookies))
            .map(Secret::into_exposed)
    }

    #[test]
    fn finds_the_named_cookie_among_others_and_across_headers() {
        let cookie = SessionCookie::new();
        assert_eq!(
            key(&cookie, &["csrftoken=a; sessionid=b1; theme=dark"]),
            Some("b1".into())
        );
        assert_eq!(
            key(&cookie, &["csrftoken=a", "sessionid=\"q2\""]),
            Some("q2".into())
        );
        assert_eq!(key(&cookie, &["xsessionid=b1; sessionidx=c"]), None);
        assert_eq!(
            key(&SessionCookie::new().name("id"), &["sessionid=a; id=z"]),
            Some("z".into())
        );
    }

    #[test]
    fn an_empty_or_malformed_value_is_no_session() {
        let cookie = SessionCookie::new();
        assert_eq!(key(&cookie, &[]), None);
        assert_eq!(key(&cookie, &["sessionid="]), None);
        assert_eq!(key(&cookie, &["sessionid=\"\""]), None);
        assert_eq!(key(&cookie, &["sessionid=a\\b"]), None);
        assert_eq!(key(&cookie, &["sessionid=a,b"]), None);
    }

    #[test]
    fn set_cookie_carries_the_secure_attributes() {
        let key = Secret::from("abc123");
        let value = SessionCookie::new().header_value(&key);
        assert_eq!(
            value,
            "sessionid=abc123; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        let value = SessionCookie::new()
            .name("sid")
            .path("/app")
            .domain("example.com")
            .max_age(Duration::from_secs(3600))
            .secure(false)
            .header_value(&key);
        assert_eq!(
            value,
            "sid=abc123; Path=/app; Domain=example.com; Max-Age=3600; HttpOnly; SameSite=Lax"
        );
        // SameSite=None without Secure is refused by browsers.
        let value = SessionCookie::new()
            .secure(false)
            .same_site(SameSite::None)
            .header_value(&key);
        assert!(value.to_str().unwrap().ends_with("; SameSite=None; Secure"));
    }

    #[test]
    fn a_key_that_is_not_a_cookie_value_clears_the_cookie() {
        let cookie = SessionCookie::new();
        for bad in ["", "a;b", "a b", "x\u{7f}"] {
            assert_eq!(
                cookie.header_value(&Secret::from(bad)),
                "sessionid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
            );
        }
    }

    #[test]
    #[should_panic(expected = "invalid cookie name")]
    fn a_bad_cookie_name_is_refused() {
        let _ = SessionCookie::new().name("a=b");
    }
}
