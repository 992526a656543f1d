use signals_core::{receiver, signal};
use std::error::Error;
use std::fmt;

#[signal]
pub struct Ping {}

#[derive(Debug)]
pub struct MyError;

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("my error")
    }
}

impl Error for MyError {}

#[receiver(signal = Ping)]
fn unit(_ping: &Ping) {}

#[receiver(signal = Ping)]
fn explicit_unit(_ping: &Ping) -> () {}

#[receiver(signal = Ping)]
fn custom(_ping: &Ping) -> Result<(), MyError> {
    Ok(())
}

#[receiver(signal = Ping)]
fn boxed(_ping: &Ping) -> Result<(), Box<dyn Error + Send + Sync>> {
    Ok(())
}

#[receiver(signal = Ping)]
fn io(_ping: &Ping) -> std::io::Result<()> {
    Ok(())
}

#[receiver(signal = Ping)]
fn string(_ping: &Ping) -> Result<(), String> {
    Ok(())
}

fn main() {
    Ping {}.send().unwrap();
}
