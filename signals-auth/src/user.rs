//! [`AuthUser`]: the application's own user type, as the signals carry it.

use std::any::Any;
use std::fmt;

/// The application's user type, as the signals carry it: an
/// `Arc<dyn AuthUser>` that a receiver downcasts back to the concrete type.
///
/// Only [`id`](AuthUser::id) is required. `Debug` of a `dyn AuthUser` prints
/// the id and nothing else, so a user type holding a password hash or
/// profile data never leaks through a signal's `Debug`.
///
/// ```
/// use signals_auth::AuthUser;
/// use std::sync::Arc;
///
/// struct Member { id: u64, plan: &'static str }
///
/// impl AuthUser for Member {
///     fn id(&self) -> String { self.id.to_string() }
/// }
///
/// let user: Arc<dyn AuthUser> = Arc::new(Member { id: 7, plan: "pro" });
/// assert_eq!(user.id(), "7");
/// assert_eq!(user.downcast_ref::<Member>().map(|m| m.plan), Some("pro"));
/// assert_eq!(format!("{user:?}"), r#"AuthUser { id: "7" }"#);
/// ```
pub trait AuthUser: Any + Send + Sync {
    /// The user's primary key, as a string: what models such as
    /// [`EmailAddress::user_id`](crate::EmailAddress::user_id) refer to.
    fn id(&self) -> String;

    /// False for a user who may not log in (Django's `is_active`); the
    /// flows refuse their logins with
    /// [`FlowError::InactiveUser`](crate::flows::FlowError::InactiveUser).
    /// Default: true.
    fn is_active(&self) -> bool {
        true
    }
}

impl dyn AuthUser {
    /// The concrete user, if it is a `T`.
    pub fn downcast_ref<T: AuthUser>(&self) -> Option<&T> {
        (self as &dyn Any).downcast_ref::<T>()
    }

    /// True if the concrete user is a `T`.
    pub fn is<T: AuthUser>(&self) -> bool {
        (self as &dyn Any).is::<T>()
    }
}

impl fmt::Debug for dyn AuthUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthUser").field("id", &self.id()).finish()
    }
}
