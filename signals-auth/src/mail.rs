//! [`Mailer`]: the mails the flows send. The flows decide what goes out
//! and when; the application decides how.

use std::future::Future;

use signals_core::BoxError;

use crate::secret::Secret;

/// A mail the flows send. Keys are [`Secret`]s: `Debug` redacts them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mail {
    /// "Confirm your address": carries the confirmation key.
    Confirmation {
        /// The address to confirm.
        to: String,
        /// The confirmation key, for the link.
        key: Secret<String>,
        /// True when sent as part of a sign-up.
        signup: bool,
    },
    /// "Reset your password": carries the reset key.
    PasswordReset {
        /// The user's address.
        to: String,
        /// The reset key, for the link.
        key: Secret<String>,
    },
    /// "Your password was reset."
    PasswordResetDone {
        /// The user's address.
        to: String,
    },
    /// "Someone asked for a mail for this address, but it has no account":
    /// sent instead of a confirmation or reset, so that the answer to the
    /// request does not reveal which addresses have accounts.
    UnknownAccount {
        /// The address that was asked for.
        to: String,
    },
    /// "Someone tried to sign up (or add this address) but you already
    /// have an account": sent to the owner instead of a confirmation when
    /// [`prevent_enumeration`](crate::flows::Settings::prevent_enumeration)
    /// hides that the address is taken.
    AccountAlreadyExists {
        /// The owner's address.
        to: String,
    },
}

impl Mail {
    /// The recipient.
    pub fn to(&self) -> &str {
        match self {
            Mail::Confirmation { to, .. }
            | Mail::PasswordReset { to, .. }
            | Mail::PasswordResetDone { to }
            | Mail::UnknownAccount { to }
            | Mail::AccountAlreadyExists { to } => to,
        }
    }

    /// The key the mail carries, if any.
    pub fn key(&self) -> Option<&Secret<String>> {
        match self {
            Mail::Confirmation { key, .. } | Mail::PasswordReset { key, .. } => Some(key),
            Mail::PasswordResetDone { .. }
            | Mail::UnknownAccount { .. }
            | Mail::AccountAlreadyExists { .. } => None,
        }
    }
}

/// Sends the flows' mails. [`MemoryMailer`](crate::memory::MemoryMailer)
/// keeps them in an outbox.
pub trait Mailer: Send + Sync {
    /// Sends one mail.
    fn send(&self, mail: Mail) -> impl Future<Output = Result<(), BoxError>> + Send;
}
