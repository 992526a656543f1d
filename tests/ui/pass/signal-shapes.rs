//! Every struct shape `#[signal]` accepts.

use signals_core::signal;

#[signal]
pub struct Empty {}

#[signal]
struct Private {
    #[allow(dead_code)]
    value: u32,
}

#[signal]
pub(crate) struct Restricted<'a>
where
    Self: 'a,
{
    pub value: &'a u32,
}

/// Documented, with attributes before and after the macro.
#[derive(Debug, Clone)]
#[signal]
#[derive(PartialEq)]
pub struct Derived {
    pub value: u32,
}

#[signal]
pub struct r#Raw {}

#[signal]
pub struct Ñandú {}

fn main() {
    Empty {}.send().unwrap();
    Private { value: 1 }.send().unwrap();
    Restricted { value: &1 }.send().unwrap();
    let d = Derived { value: 1 };
    assert_eq!(d.clone(), d);
    Raw {}.send().unwrap();
    Ñandú {}.send().unwrap();
}
