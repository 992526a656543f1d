//! An inactive user (`AuthUser::is_active` false) cannot log in: not with
//! the right password, not through a connected provider account, not by
//! signing up; nothing is written and no `UserLoggedIn` is sent.
//! (`MemoryStore` with the application's own user type: the flow suite's
//! `BasicUser` is always active.)

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signals_auth::account::UserLoggedIn;
use signals_auth::flows::{
    Accounts, Credentials, EmailVerification, FlowError, LoginOutcome, Settings, SignupForm,
    SocialLoginOutcome,
};
use signals_auth::memory::{MemoryMailer, MemoryStore};
use signals_auth::{AuthUser, RequestContext, SocialAccount, SocialLogin};
use signals_core::receiver;

/// Whether members are active: the site's switch, read on every check.
static ACTIVE: AtomicBool = AtomicBool::new(true);
static LOGINS: AtomicUsize = AtomicUsize::new(0);

struct Member {
    id: String,
}

impl AuthUser for Member {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn is_active(&self) -> bool {
        ACTIVE.load(Ordering::SeqCst)
    }
}

#[receiver(signal = UserLoggedIn)]
fn count_logins(_: &UserLoggedIn) {
    LOGINS.fetch_add(1, Ordering::SeqCst);
}

fn request() -> RequestContext {
    RequestContext::new(http::Method::POST, "/accounts/login/".parse().unwrap())
}

fn github() -> SocialLogin {
    SocialLogin::new(SocialAccount::new("github", "9")).with_email("gh@example.com", true)
}

#[tokio::test]
async fn inactive_users_cannot_log_in() {
    let store = MemoryStore::with_user_type(|id, _| Member { id: id.to_owned() });
    let settings = Settings::new().email_verification(EmailVerification::None);
    let accounts = Accounts::new(store, MemoryMailer::new(), settings);

    // While active: a password user and a provider user log in.
    accounts
        .signup(&request(), SignupForm::new("on@example.com").password("pw"))
        .await
        .unwrap();
    let social = accounts.social_login(&request(), github()).await.unwrap();
    assert!(matches!(social, SocialLoginOutcome::SignedUp(_)));
    let login = accounts
        .login(&request(), Credentials::new("on@example.com", "pw"))
        .await
        .unwrap();
    assert!(matches!(login, LoginOutcome::LoggedIn(_)));

    // Inactive: every way in is refused, and nothing changes.
    ACTIVE.store(false, Ordering::SeqCst);
    let before = accounts.store().snapshot();
    let logins = LOGINS.load(Ordering::SeqCst);
    let password = accounts
        .login(&request(), Credentials::new("on@example.com", "pw"))
        .await;
    assert!(
        matches!(password, Err(FlowError::InactiveUser)),
        "{password:?}"
    );
    let social = accounts.social_login(&request(), github()).await;
    assert!(matches!(social, Err(FlowError::InactiveUser)), "{social:?}");
    let signup = accounts
        .signup(
            &request(),
            SignupForm::new("off@example.com").password("pw"),
        )
        .await;
    assert!(matches!(signup, Err(FlowError::InactiveUser)), "{signup:?}");
    // A wrong password says nothing about the account.
    let wrong = accounts
        .login(&request(), Credentials::new("on@example.com", "nope"))
        .await;
    assert!(matches!(wrong, Err(FlowError::InvalidCredentials)));
    assert_eq!(accounts.store().snapshot(), before);
    assert_eq!(LOGINS.load(Ordering::SeqCst), logins);
}
