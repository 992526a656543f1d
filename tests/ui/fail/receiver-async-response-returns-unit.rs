use signals_core::{receiver, signal};

/// Every receiver answers with a menu entry.
#[signal(async, response = String)]
pub struct BuildMenu {}

#[receiver(signal = BuildMenu)]
async fn forgets_to_answer(_menu: &BuildMenu) {}

fn main() {}
