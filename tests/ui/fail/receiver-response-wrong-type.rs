use signals_core::{receiver, signal};

/// Every receiver answers with a menu entry.
#[signal(response = String)]
pub struct BuildMenu {}

#[receiver(signal = BuildMenu)]
fn answers_a_number(_menu: &BuildMenu) -> Result<u32, std::io::Error> {
    Ok(1)
}

fn main() {}
