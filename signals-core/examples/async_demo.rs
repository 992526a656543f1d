//! Async signals without any runtime: `send_blocking` polls on this thread.
//! Run with `cargo run -p signals-core --example async_demo`.

use signals_core::{receiver, signal};

/// A user signed up.
#[signal(async)]
pub struct SignedUp<'a> {
    pub email: &'a str,
}

#[receiver(signal = SignedUp, order = -1)]
fn validate(event: &SignedUp) -> Result<(), String> {
    if event.email.contains('@') {
        Ok(())
    } else {
        Err(format!("not an address: {}", event.email))
    }
}

#[receiver(signal = SignedUp)]
async fn welcome_mail(event: &SignedUp<'_>) {
    std::future::ready(()).await;
    println!("  welcome mail to {}", event.email);
}

fn main() {
    let connection = SignedUp::connect_async(|event: &SignedUp| {
        let email = event.email.to_owned();
        async move { println!("  connected async receiver saw {email}") }
    });
    for receiver in SignedUp::receivers() {
        println!("{receiver}");
    }
    SignedUp {
        email: "ada@example.org",
    }
    .send_blocking()
    .expect("valid");
    let report = SignedUp { email: "nobody" }.send_robust_blocking();
    println!("{report}");
    drop(connection);
}
