//! What the flows know about the HTTP exchange: [`RequestContext`] (the
//! request, without its body) and [`ResponseContext`] (headers a receiver of
//! `UserLoggedIn` may add to the response).

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Uri, Version};

use crate::secret::{Secret, REDACTED};

/// Words that make a header name a credential's: any header whose name
/// contains one is never printed.
const CREDENTIAL_WORDS: &[&str] = &[
    "auth",
    "cookie",
    "credential",
    "csrf",
    "jwt",
    "key",
    "passw",
    "secret",
    "session",
    "signature",
    "token",
    "xsrf",
];

/// Headers whose value is a URL: printed with [`redact_url`]'s rules.
const URL_HEADERS: &[&str] = &["location", "content-location", "referer", "refresh"];

/// True for a header whose value must never be logged: any header whose
/// name suggests a credential (it contains `auth`, `cookie`, `credential`,
/// `csrf`, `jwt`, `key`, `passw`, `secret`, `session`, `signature`, `token`
/// or `xsrf`: `Authorization`, `Cookie`, `Set-Cookie`, `X-Api-Key`,
/// `X-Amz-Security-Token`, `X-Hub-Signature-256`, `Private-Token`, ...),
/// and any value marked [`HeaderValue::set_sensitive`].
///
/// ```
/// use http::{HeaderName, HeaderValue};
/// use signals_auth::is_sensitive_header;
///
/// let value = HeaderValue::from_static("v");
/// for name in ["x-api-key", "x-access-token", "private-token", "x-hub-signature-256"] {
///     assert!(is_sensitive_header(&HeaderName::from_static(name), &value));
/// }
/// assert!(!is_sensitive_header(&HeaderName::from_static("user-agent"), &value));
/// ```
pub fn is_sensitive_header(name: &HeaderName, value: &HeaderValue) -> bool {
    let name = name.as_str();
    value.is_sensitive() || CREDENTIAL_WORDS.iter().any(|word| name.contains(word))
}

/// Path segments after which allauth (and sites like it) put a key:
/// `/accounts/confirm-email/<key>/`,
/// `/accounts/password/reset/key/<uidb36>-<key>/`.
const KEY_PATH_PREFIXES: &[&str] = &[
    "activate",
    "confirm-email",
    "key",
    "magic",
    "token",
    "verify",
    "verify-email",
];

/// True for a path segment that may be a key: one after a
/// [`KEY_PATH_PREFIXES`] segment, or one that looks like a token (20
/// characters or more, with letters and digits, or with a `:` as in
/// Django's signed values).
fn is_key_segment(previous: &str, segment: &str) -> bool {
    if segment.is_empty() {
        return false;
    }
    let after_prefix = KEY_PATH_PREFIXES
        .iter()
        .any(|prefix| previous.eq_ignore_ascii_case(prefix));
    let long = segment.chars().count() >= 20;
    let mixed =
        segment.chars().any(|c| c.is_ascii_digit()) && segment.chars().any(|c| c.is_alphabetic());
    after_prefix || segment.contains(':') || (long && mixed)
}

/// A URL as it may be logged: user info, query string and fragment become
/// `[redacted]`, and so does every path segment that may be a key (the
/// segment after `confirm-email`, `key`, `reset`, `token`, `verify` and the
/// like, and any long segment of letters and digits).
///
/// ```
/// use signals_auth::redact_url;
///
/// let key = "3f2a9c0d4b5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
/// assert_eq!(
///     redact_url(&format!("https://example.com/accounts/confirm-email/{key}/?next=/x")),
///     "https://example.com/accounts/confirm-email/[redacted]/?[redacted]",
/// );
/// assert_eq!(
///     redact_url(&format!("/accounts/password/reset/key/1-{key}/")),
///     "/accounts/password/reset/key/[redacted]/",
/// );
/// assert_eq!(redact_url("/accounts/login/"), "/accounts/login/");
/// ```
pub fn redact_url(url: &str) -> String {
    let (url, fragment) = match url.split_once('#') {
        Some((url, _)) => (url, true),
        None => (url, false),
    };
    let (url, query) = match url.split_once('?') {
        Some((url, _)) => (url, true),
        None => (url, false),
    };
    let mut text = String::with_capacity(url.len() + 16);
    let path = match url.split_once("://") {
        Some((scheme, rest)) => {
            text.push_str(scheme);
            text.push_str("://");
            let (authority, path) = match rest.find('/') {
                Some(slash) => rest.split_at(slash),
                None => (rest, ""),
            };
            match authority.rsplit_once('@') {
                Some((_, host)) => {
                    text.push_str(REDACTED);
                    text.push('@');
                    text.push_str(host);
                }
                None => text.push_str(authority),
            }
            path
        }
        None => url,
    };
    let mut previous = "";
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            text.push('/');
        }
        if is_key_segment(previous, segment) {
            text.push_str(REDACTED);
        } else {
            text.push_str(segment);
        }
        previous = segment;
    }
    if query {
        text.push('?');
        text.push_str(REDACTED);
    }
    if fragment {
        text.push('#');
        text.push_str(REDACTED);
    }
    text
}

/// The request a signal was sent for: method, URI, version, headers and the
/// client's address, plus the session key the application resolved. The
/// body is never copied.
///
/// Build it from what your HTTP stack already has, so axum, hyper or any
/// other `http`-based handler hands its request over directly:
///
/// ```
/// use signals_auth::RequestContext;
///
/// let request = http::Request::post("https://example.com/accounts/login/?next=/home")
///     .header("cookie", "sessionid=s3cr3t")
///     .header("x-request-id", "req-1")
///     .body(Vec::<u8>::new())
///     .unwrap();
/// let context = RequestContext::from_request(&request)
///     .with_client_addr("203.0.113.9:50000".parse().unwrap())
///     .with_session_key("s3cr3t");
///
/// assert_eq!(context.method(), http::Method::POST);
/// assert_eq!(context.request_id(), Some("req-1"));
/// // Credentials never reach logs: the cookie, the session key and the
/// // query string are redacted.
/// let printed = format!("{context:?}");
/// assert!(!printed.contains("s3cr3t") && !printed.contains("next="));
/// ```
///
/// `Debug` prints the cookie, authorization and similar headers, the session
/// key, the URI's query string and any user info in its authority as
/// `[redacted]`.
#[derive(Clone)]
pub struct RequestContext {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    client_addr: Option<SocketAddr>,
    session_key: Option<Secret<String>>,
}

impl RequestContext {
    /// A request with a method and a URI, no headers, no client address.
    pub fn new(method: Method, uri: Uri) -> Self {
        RequestContext {
            method,
            uri,
            version: Version::HTTP_11,
            headers: HeaderMap::new(),
            client_addr: None,
            session_key: None,
        }
    }

    /// From a request's head: method, URI, version and headers are cloned.
    /// The client address is taken from a [`SocketAddr`] in the request's
    /// extensions, if one was put there; otherwise set it with
    /// [`with_client_addr`](Self::with_client_addr) (in axum, from
    /// `ConnectInfo<SocketAddr>`).
    pub fn from_parts(parts: &http::request::Parts) -> Self {
        RequestContext {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            version: parts.version,
            headers: parts.headers.clone(),
            client_addr: parts.extensions.get::<SocketAddr>().copied(),
            session_key: None,
        }
    }

    /// From a whole request, whatever its body type; the body is not read
    /// or copied. Same rules as [`from_parts`](Self::from_parts).
    pub fn from_request<B>(request: &http::Request<B>) -> Self {
        RequestContext {
            method: request.method().clone(),
            uri: request.uri().clone(),
            version: request.version(),
            headers: request.headers().clone(),
            client_addr: request.extensions().get::<SocketAddr>().copied(),
            session_key: None,
        }
    }

    /// Sets the client's address (the peer address, or the address a
    /// trusted proxy reported).
    pub fn with_client_addr(mut self, addr: SocketAddr) -> Self {
        self.client_addr = Some(addr);
        self
    }

    /// Sets the session the request belongs to: the key the flows use to
    /// find the logged-in user ([`Accounts::logout`](crate::flows::Accounts::logout))
    /// and to log out on a password change.
    pub fn with_session_key(mut self, key: impl Into<Secret<String>>) -> Self {
        self.session_key = Some(key.into());
        self
    }

    /// Adds a header (appending to earlier values of the same name).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request URI, query string included.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The request headers, credentials included: read them, never log them.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of a header, if it is present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The `X-Request-Id` header, the usual key to correlate log lines.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-request-id")
    }

    /// The client's address, if known.
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.client_addr
    }

    /// The session key, if the application set one.
    pub fn session_key(&self) -> Option<&Secret<String>> {
        self.session_key.as_ref()
    }
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("method", &self.method)
            .field("uri", &RedactedUri(&self.uri))
            .field("version", &self.version)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("client_addr", &self.client_addr)
            .field("session_key", &self.session_key)
            .finish()
    }
}

/// A URI without its query string, user info or keys in its path: all
/// carry tokens often enough (reset keys, `?token=`,
/// `https://user:password@host`); see [`redact_url`].
struct RedactedUri<'a>(&'a Uri);

impl fmt::Debug for RedactedUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0.to_string()), f)
    }
}

/// A header map whose credential values print as `[redacted]`.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted;
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if is_sensitive_header(name, value) {
                map.entry(&name.as_str(), &Redacted);
            } else if URL_HEADERS.contains(&name.as_str()) {
                let url = String::from_utf8_lossy(value.as_bytes());
                map.entry(&name.as_str(), &redact_url(&url));
            } else {
                map.entry(&name.as_str(), value);
            }
        }
        map.finish()
    }
}

/// Headers the receivers of [`UserLoggedIn`](crate::account::UserLoggedIn)
/// add to the login response (Django's `response` argument): a remember-me
/// cookie, a tracking header. The flow hands them back in
/// [`LoggedIn::response_headers`](crate::flows::LoggedIn::response_headers).
///
/// ```
/// use signals_auth::ResponseContext;
///
/// let response = ResponseContext::new();
/// response.append_header(
///     http::header::SET_COOKIE,
///     http::HeaderValue::from_static("remember=abc; HttpOnly"),
/// );
/// assert_eq!(response.headers().len(), 1);
/// assert!(!format!("{response:?}").contains("abc"));
/// ```
#[derive(Default)]
pub struct ResponseContext {
    headers: Mutex<HeaderMap>,
}

impl ResponseContext {
    /// No headers yet.
    pub fn new() -> Self {
        ResponseContext::default()
    }

    /// Sets a header, replacing earlier values of the same name.
    pub fn insert_header(&self, name: HeaderName, value: HeaderValue) {
        self.lock().insert(name, value);
    }

    /// Adds a header, keeping earlier values of the same name.
    pub fn append_header(&self, name: HeaderName, value: HeaderValue) {
        self.lock().append(name, value);
    }

    /// A copy of the headers added so far.
    pub fn headers(&self) -> HeaderMap {
        self.lock().clone()
    }

    /// The headers added, owned.
    pub fn into_headers(self) -> HeaderMap {
        self.headers
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HeaderMap> {
        // A receiver that panicked while holding the lock cannot leave a
        // header map half-written: every operation on it is one call.
        self.headers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ResponseContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = self.lock();
        f.debug_struct("ResponseContext")
            .field("headers", &RedactedHeaders(&headers))
            .finish()
    }
}
