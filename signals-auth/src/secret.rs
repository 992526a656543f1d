//! [`Secret`]: a value that never shows up in `Debug`, `Display` or
//! serialized output.

use std::fmt;

/// What every redacted value prints as.
pub const REDACTED: &str = "[redacted]";

/// A value that must not leak: confirmation keys, access and refresh tokens,
/// app secrets, session ids, passwords.
///
/// `Debug` and `Display` print `[redacted]`; there is no `Serialize`
/// implementation, so a model that holds one cannot be serialized with the
/// secret by accident (with the `serde` feature, `serialize_exposed` in this
/// module is the explicit way).
/// Read the value with [`expose`](Secret::expose), which is easy to grep for.
///
/// ```
/// use signals_auth::Secret;
///
/// let key = Secret::new(String::from("k3y"));
/// assert_eq!(format!("{key:?} {key}"), "[redacted] [redacted]");
/// assert_eq!(key.expose(), "k3y");
/// ```
#[derive(Clone, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret value. Every read of a secret goes through here.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The secret value, owned.
    pub fn into_exposed(self) -> T {
        self.0
    }
}

impl Secret<String> {
    /// The secret as a string slice.
    pub fn expose_str(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string (for example a secret that
    /// was skipped when its model was serialized).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret<String> {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret<String> {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// Compares in time that depends on the lengths only, not on where the
/// values first differ (`subtle`'s constant-time comparison): secrets are
/// compared against attacker input.
impl<T: AsRef<[u8]>> PartialEq for Secret<T> {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_ref(), other.0.as_ref())
    }
}

impl<T: AsRef<[u8]>> Eq for Secret<T> {}

/// Compares two byte strings in constant time for a given length.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

/// Reading a secret from configuration or a session is fine; writing one out
/// is what must be explicit.
#[cfg(feature = "serde")]
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

/// Serializes a secret's value, for the field where the application really
/// means it (a token store, say):
/// `#[serde(serialize_with = "signals_auth::secret::serialize_exposed")]`.
///
/// The models of this crate never use it: their secret fields are skipped
/// when serializing.
///
/// ```
/// use signals_auth::Secret;
///
/// #[derive(serde::Serialize)]
/// struct TokenRow {
///     #[serde(serialize_with = "signals_auth::secret::serialize_exposed")]
///     access_token: Secret<String>,
/// }
/// ```
#[cfg(feature = "serde")]
pub fn serialize_exposed<T: serde::Serialize, S: serde::Serializer>(
    secret: &Secret<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    secret.0.serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_by_value() {
        assert_eq!(Secret::from("a"), Secret::from("a"));
        assert_ne!(Secret::from("a"), Secret::from("b"));
        assert_ne!(Secret::from("a"), Secret::from("ab"));
    }
}
