// A signal stands at module level: inside a function, its name (module
// path and type name) could be another signal's.
use signals_core::signal;

fn main() {
    #[signal]
    pub struct Ping {}
}
