// A signal's name also names its registration, in the value and macro
// namespaces of its module: it cannot be `Some` or `println`.
#![allow(non_camel_case_types)]
use signals_core::signal;

#[signal]
pub struct Some {}

#[signal]
pub struct println {}

fn main() {
    let _ = Option::Some(1);
}
