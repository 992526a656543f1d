//! Request input the flows refuse before it is stored or mailed: addresses
//! and usernames.

use crate::models::normalize_email;

/// The longest address accepted (RFC 5321's path limit, less the angle
/// brackets).
pub const MAX_EMAIL_LENGTH: usize = 254;
/// The longest local part (before the `@`) accepted.
const MAX_LOCAL_LENGTH: usize = 64;
/// The longest username accepted (Django's `max_length`).
pub const MAX_USERNAME_LENGTH: usize = 150;

/// Checks an address as a user typed it and returns it normalized
/// (trimmed of spaces, lowercased); the error says what is wrong.
///
/// Refused: control characters anywhere (CR and LF included, so no header
/// can be smuggled into a mail), anything but exactly one `@`, an empty
/// local part, a local part over 64 characters or with spaces or
/// `()<>[]:;,\"`, a domain that is not dot-separated labels of letters,
/// digits and hyphens (at least two labels), and more than 254 characters.
///
/// ```
/// use signals_auth::validate_email;
///
/// assert_eq!(validate_email(" Alice@Example.COM ").unwrap(), "alice@example.com");
/// assert!(validate_email("victim@x.com\r\nBcc: attacker@evil.example").is_err());
/// assert!(validate_email("no-at-sign").is_err());
/// ```
pub fn validate_email(email: &str) -> Result<String, &'static str> {
    if email.chars().any(char::is_control) {
        return Err("the address contains a control character");
    }
    let email = normalize_email(email);
    if email.is_empty() {
        return Err("the address is empty");
    }
    if email.chars().count() > MAX_EMAIL_LENGTH {
        return Err("the address is longer than 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("the address has no @");
    };
    if domain.contains('@') {
        return Err("the address has more than one @");
    }
    if local.is_empty() {
        return Err("the address has nothing before the @");
    }
    if local.chars().count() > MAX_LOCAL_LENGTH {
        return Err("the part before the @ is longer than 64 characters");
    }
    if local
        .chars()
        .any(|c| c.is_whitespace() || "()<>[]:;,\\\"".contains(c))
    {
        return Err("the part before the @ contains a space or a special character");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("the part before the @ has a misplaced dot");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain is missing or has no dot");
    }
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return Err("the domain is not a valid host name");
    }
    Ok(email)
}

/// Checks a username: 1 to 150 characters, each a letter, a digit or one of
/// `.`, `+`, `-`, `_` (Django's username rule, without `@`, which the login
/// form reads as an address). Returns it trimmed of spaces.
///
/// ```
/// use signals_auth::validate_username;
///
/// assert_eq!(validate_username("alice.b").unwrap(), "alice.b");
/// assert!(validate_username("alice\u{0}").is_err());
/// assert!(validate_username(&"a".repeat(151)).is_err());
/// ```
pub fn validate_username(username: &str) -> Result<String, &'static str> {
    if username.chars().any(char::is_control) {
        return Err("the username contains a control character");
    }
    let username = username.trim();
    if username.is_empty() {
        return Err("the username is empty");
    }
    if username.chars().count() > MAX_USERNAME_LENGTH {
        return Err("the username is longer than 150 characters");
    }
    if !username
        .chars()
        .all(|c| c.is_alphanumeric() || ".+-_".contains(c))
    {
        return Err("the username may hold only letters, digits and . + - _");
    }
    Ok(username.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "no-at-sign",
            "a@b@example.com",
            "@example.com",
            "alice@",
            "alice@localhost",
            "alice@exa mple.com",
            "alice@-example.com",
            "alice@example..com",
            "victim@x.com\r\nBcc: attacker@evil.example",
            "victim@x.com\n",
            "vic\u{7f}tim@x.com",
            "a b@example.com",
            "<alice>@example.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert!(validate_email(&long).is_err());
        let huge = format!("{}@example.com", "a".repeat(1 << 20));
        assert!(validate_email(&huge).is_err());
    }

    #[test]
    fn ordinary_addresses_pass() {
        for good in [
            "alice@example.com",
            "a.b+tag@mail.example.co.uk",
            "müller@bücher.de",
        ] {
            assert!(validate_email(good).is_ok(), "{good:?} was refused");
        }
        let longest = format!("{}@{}.com", "a".repeat(64), "b".repeat(60));
        assert!(validate_email(&longest).is_ok());
    }
}
