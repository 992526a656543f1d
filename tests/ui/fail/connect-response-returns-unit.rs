use signals_core::signal;

/// Every receiver answers with a menu entry.
#[signal(response = String)]
pub struct BuildMenu {}

fn main() {
    let _connection = BuildMenu::connect(|_: &BuildMenu| {});
}
