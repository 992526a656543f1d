// A signal's registration takes its name among the module's values and
// macros: a function or a constant of the module cannot share it.
#![allow(non_snake_case, non_upper_case_globals)]
use signals_core::signal;

pub fn Ping() {}

#[signal]
pub struct Ping {}

pub const Pong: u8 = 1;

#[signal]
pub struct Pong {}

fn main() {}
