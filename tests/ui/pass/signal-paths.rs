//! A signal named through aliases, `super::`, `crate::` and `self::` paths.

mod a {
    use signals_core::signal;

    #[signal]
    pub struct Ping {}

    pub mod inner {
        use signals_core::receiver;

        #[receiver(signal = super::Ping)]
        fn through_super(_ping: &super::Ping) {}

        pub mod deeper {
            #[signals_core::receiver(signal = super::super::Ping)]
            fn through_super_super(_ping: &crate::a::Ping) {}
        }
    }

    #[signals_core::receiver(signal = self::Ping)]
    fn through_self(_ping: &Ping) {}
}

mod b {
    use crate::a::Ping as P;
    use signals_core::receiver;

    #[receiver(signal = P)]
    fn through_alias(_ping: &P) {}

    #[receiver(signal = crate::a::Ping)]
    fn through_crate(_ping: &crate::a::Ping) {}
}

use a::Ping;

#[signals_core::receiver(signal = a::Ping)]
fn through_relative(_ping: &Ping) {}

fn main() {
    Ping {}.send().unwrap();
    assert_eq!(Ping::receivers().len(), 6);
}
