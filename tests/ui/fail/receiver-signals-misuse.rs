use signals_core::{receiver, signal, Signal};

#[signal]
pub struct Ping {}

#[signal]
pub struct Pong {}

#[receiver(signals = [Ping, Pong, Ping])]
fn listed_twice<S: Signal>(_event: &S) {}

#[receiver(signals = [])]
fn none_listed<S: Signal>(_event: &S) {}

#[receiver(signal = Ping, signals = [Pong])]
fn both<S: Signal>(_event: &S) {}

#[receiver(signals = [Ping, Pong])]
fn two_type_params<S: Signal, T>(_event: &S) {}

#[receiver(signals = [Ping, Pong])]
fn wrapped<S: Signal>(_event: &Option<S>) {}

#[receiver(signals = [Ping, "pong"])]
fn not_a_path<S: Signal>(_event: &S) {}

fn main() {}
