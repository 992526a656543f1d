//! The models the signals carry, after django-allauth's: addresses,
//! confirmations, and the social login with its account, token and app.
//!
//! Secrets (confirmation keys, tokens, app secrets) are [`Secret`]s, and
//! social profile data is [`ExtraData`]: `Debug` prints neither, and with the
//! `serde` feature secrets are skipped when serializing.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::secret::{Secret, REDACTED};
use crate::user::AuthUser;

/// An email address of a user (allauth's `EmailAddress`).
///
/// ```
/// use signals_auth::EmailAddress;
///
/// let address = EmailAddress::new("42", "Alice@Example.COM");
/// assert_eq!(address.email, "alice@example.com");
/// assert!(!address.verified && !address.primary);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct EmailAddress {
    /// The owner's [`AuthUser::id`].
    pub user_id: String,
    /// The address, lowercased.
    pub email: String,
    /// Whether the user proved they receive mail there.
    pub verified: bool,
    /// Whether it is the user's primary address (at most one is).
    pub primary: bool,
}

impl EmailAddress {
    /// An unverified, non-primary address of a user; the address is
    /// lowercased.
    pub fn new(user_id: impl Into<String>, email: &str) -> Self {
        EmailAddress {
            user_id: user_id.into(),
            email: normalize_email(email),
            verified: false,
            primary: false,
        }
    }

    /// The same address, marked verified or not.
    pub fn verified(mut self, verified: bool) -> Self {
        self.verified = verified;
        self
    }

    /// The same address, marked primary or not.
    pub fn primary(mut self, primary: bool) -> Self {
        self.primary = primary;
        self
    }
}

/// Lowercases an address and trims the spaces around it, as allauth stores
/// them. Only spaces are trimmed: a CR, LF or other control character stays,
/// for [`validate_email`](crate::validate_email) to refuse.
pub fn normalize_email(email: &str) -> String {
    email.trim_matches(' ').to_lowercase()
}

/// A confirmation mail sent for an address (allauth's
/// `EmailConfirmation`). The [`key`](Self::key) is a bearer token: whoever
/// has it verifies the address.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct EmailConfirmation {
    /// The address being confirmed.
    pub email_address: EmailAddress,
    /// When the confirmation was created.
    pub created: SystemTime,
    /// When its mail was sent, once it was.
    pub sent: Option<SystemTime>,
    /// The confirmation key. Never serialized (deserializes as empty).
    #[cfg_attr(feature = "serde", serde(skip_serializing, default))]
    pub key: Secret<String>,
}

/// A provider's OAuth application (allauth's `SocialApp`): the client id is
/// public, the secret and key are not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SocialApp {
    /// The provider id, such as `"github"`.
    pub provider: String,
    /// A name for people.
    pub name: String,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret. Never serialized.
    #[cfg_attr(feature = "serde", serde(skip_serializing, default))]
    pub secret: Secret<String>,
    /// A provider-specific key. Never serialized.
    #[cfg_attr(feature = "serde", serde(skip_serializing, default))]
    pub key: Secret<String>,
}

/// The tokens a provider granted for an account (allauth's `SocialToken`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SocialToken {
    /// The app the token was issued to.
    pub app: Option<SocialApp>,
    /// The access token. Never serialized.
    #[cfg_attr(feature = "serde", serde(skip_serializing, default))]
    pub token: Secret<String>,
    /// The refresh token (OAuth 2) or token secret (OAuth 1). Never
    /// serialized.
    #[cfg_attr(feature = "serde", serde(skip_serializing, default))]
    pub token_secret: Option<Secret<String>>,
    /// When the access token expires.
    pub expires_at: Option<SystemTime>,
}

/// The profile data a provider returned for an account: personal data, and
/// often tokens too (providers put them there), so `Debug` prints its keys
/// and never its values, and with the `serde` feature it serializes as its
/// keys with `"[redacted]"` values. A store keeps the values by reading
/// them with [`iter`](Self::iter); deserializing reads real values.
///
/// ```
/// use signals_auth::ExtraData;
///
/// let data: ExtraData = [("name", "Alice Liddell")].into_iter().collect();
/// assert_eq!(data.get("name"), Some("Alice Liddell"));
/// assert_eq!(format!("{data:?}"), r#"{"name": [redacted]}"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Deserialize), serde(transparent))]
pub struct ExtraData(BTreeMap<String, String>);

#[cfg(feature = "serde")]
impl Serialize for ExtraData {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.keys().map(|key| (key, REDACTED)))
    }
}

impl ExtraData {
    /// No data.
    pub fn new() -> Self {
        ExtraData::default()
    }

    /// A field's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Sets a field, returning the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(key.into(), value.into())
    }

    /// The fields, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no field.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ExtraData {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        ExtraData(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl From<BTreeMap<String, String>> for ExtraData {
    fn from(map: BTreeMap<String, String>) -> Self {
        ExtraData(map)
    }
}

impl fmt::Debug for ExtraData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted;
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }
        f.debug_map()
            .entries(self.0.keys().map(|key| (key, Redacted)))
            .finish()
    }
}

/// An account at a provider, connected to a local user or about to be
/// (allauth's `SocialAccount`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SocialAccount {
    /// The local user's [`AuthUser::id`]; `None` until connected.
    pub user_id: Option<String>,
    /// The provider id, such as `"github"`.
    pub provider: String,
    /// The user's id at the provider.
    pub uid: String,
    /// The last login through this account.
    pub last_login: Option<SystemTime>,
    /// When the account was connected.
    pub date_joined: Option<SystemTime>,
    /// The provider's profile data (personal data: `Debug` hides values).
    #[cfg_attr(feature = "serde", serde(default))]
    pub extra_data: ExtraData,
}

impl SocialAccount {
    /// An account not connected to a local user yet.
    pub fn new(provider: impl Into<String>, uid: impl Into<String>) -> Self {
        SocialAccount {
            user_id: None,
            provider: provider.into(),
            uid: uid.into(),
            last_login: None,
            date_joined: None,
            extra_data: ExtraData::new(),
        }
    }
}

/// What the login is for (allauth's `state["process"]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Process {
    /// Log in, or sign up if the account is new.
    #[default]
    Login,
    /// Connect the account to the user who is logged in.
    Connect,
    /// Authenticate and go back to `next` (re-authentication).
    Redirect,
}

/// The state a social login carries through the provider round trip.
/// `Debug` prints `next` with [`redact_url`](crate::redact_url)'s rules.
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SocialLoginState {
    /// What the login is for; the flows set it.
    pub process: Process,
    /// Where to go afterwards.
    pub next: Option<String>,
}

impl fmt::Debug for SocialLoginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialLoginState")
            .field("process", &self.process)
            .field("next", &self.next.as_deref().map(crate::redact_url))
            .finish()
    }
}

/// A login through a provider, as the provider returned it (allauth's
/// `SocialLogin`): the account, its token, the addresses the provider
/// reported, and the local user once there is one.
///
/// A [`PreSocialLogin`](crate::socialaccount::PreSocialLogin) receiver may
/// attach it to an existing local user with [`connect`](Self::connect);
/// the user is behind a lock for that, since receivers get a shared
/// reference.
pub struct SocialLogin {
    /// The account at the provider.
    pub account: SocialAccount,
    /// The tokens the provider granted, if the app stores them.
    pub token: Option<SocialToken>,
    /// The addresses the provider reported, with whether it verified them.
    pub email_addresses: Vec<EmailAddress>,
    /// What the login is for.
    pub state: SocialLoginState,
    user: Mutex<Option<Arc<dyn AuthUser>>>,
    existing: bool,
}

impl SocialLogin {
    /// A login for an account, with no token and no addresses.
    pub fn new(account: SocialAccount) -> Self {
        SocialLogin {
            account,
            token: None,
            email_addresses: Vec::new(),
            state: SocialLoginState::default(),
            user: Mutex::new(None),
            existing: false,
        }
    }

    /// The same login with the provider's tokens.
    pub fn with_token(mut self, token: SocialToken) -> Self {
        self.token = Some(token);
        self
    }

    /// The same login with one more address the provider reported (the
    /// address's `user_id` is ignored).
    pub fn with_email(mut self, email: &str, verified: bool) -> Self {
        let primary = self.email_addresses.is_empty();
        self.email_addresses.push(
            EmailAddress::new(String::new(), email)
                .verified(verified)
                .primary(primary),
        );
        self
    }

    /// The provider id, such as `"github"`.
    pub fn provider(&self) -> &str {
        &self.account.provider
    }

    /// The local user: the owner of an already connected account, the user
    /// a receiver [connected](Self::connect) it to, or the user a flow
    /// created. `None` for a new account nobody claimed yet.
    pub fn user(&self) -> Option<Arc<dyn AuthUser>> {
        self.lock().clone()
    }

    /// True when the account was already connected to a local user before
    /// this login (allauth's `is_existing`).
    pub fn is_existing(&self) -> bool {
        self.existing
    }

    /// The addresses the provider says it verified.
    pub fn verified_emails(&self) -> impl Iterator<Item = &str> {
        self.email_addresses
            .iter()
            .filter(|address| address.verified)
            .map(|address| address.email.as_str())
    }

    /// Attaches this login to an existing local user (allauth's
    /// `sociallogin.connect`). Called from a
    /// [`PreSocialLogin`](crate::socialaccount::PreSocialLogin) receiver on
    /// a new account, it makes the flow connect the account to `user`
    /// (sending [`SocialAccountAdded`](crate::socialaccount::SocialAccountAdded))
    /// and log that user in instead of signing a new one up.
    ///
    /// The flows ignore it for an account that [is already
    /// connected](Self::is_existing): its owner logs in.
    pub fn connect(&self, user: Arc<dyn AuthUser>) {
        *self.lock() = Some(user);
    }

    pub(crate) fn set_user(&self, user: Option<Arc<dyn AuthUser>>) {
        *self.lock() = user;
    }

    pub(crate) fn set_existing(&mut self, existing: bool) {
        self.existing = existing;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<dyn AuthUser>>> {
        // Only whole values are stored: a panic cannot leave it half-set.
        self.user.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for SocialLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialLogin")
            .field("account", &self.account)
            .field("token", &self.token)
            .field("user", &self.user())
            .field("email_addresses", &self.email_addresses)
            .field("state", &self.state)
            .field("is_existing", &self.existing)
            .finish()
    }
}
