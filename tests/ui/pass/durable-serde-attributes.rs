//! Durable signals keep every serde attribute working: `#[signal(durable)]`
//! writes out the serde bounds of their fields' types (so that a field
//! serde cannot handle is one error), and leaves out the fields whose type
//! needs no impl (their own `with`, skipped, under `#[cfg]`), those that
//! hold the signal itself, and the signals whose attributes say how they
//! serialise (`bound`, `from`, `into`).
#![deny(warnings)]

use serde::{Deserialize, Serialize};
use signals_core::{receiver, signal, Signal};

/// Not serialisable: written through `as_id`, or skipped.
#[derive(Default, Clone)]
pub struct Handle(u64);

mod as_id {
    pub fn serialize<S: serde::Serializer>(h: &super::Handle, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(h.0)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<super::Handle, D::Error> {
        <u64 as serde::Deserialize>::deserialize(d).map(super::Handle)
    }
}

#[derive(Serialize, Deserialize)]
struct Private {
    id: u64,
}

/// Every field kind at once, with the derives imported.
#[signal(durable)]
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Opened {
    pub user_id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub same_type_again: u64,
    #[serde(with = "as_id")]
    pub handle: Handle,
    #[serde(skip)]
    pub cache: Handle,
    #[cfg(any())]
    pub gone: TypeThatDoesNotExist,
    private: Private,
    pub previous: Option<Box<Opened>>,
}

/// The user's own bound is kept.
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(bound = "")]
pub struct Bounded {
    pub id: u64,
}

/// Serialised through another type.
#[signal(durable)]
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(into = "u64", from = "u64")]
pub struct Counted {
    pub handle: Handle,
}

impl From<Counted> for u64 {
    fn from(c: Counted) -> u64 {
        c.handle.0
    }
}

impl From<u64> for Counted {
    fn from(n: u64) -> Counted {
        Counted { handle: Handle(n) }
    }
}

#[receiver(signal = Opened, durable)]
fn opened(o: &Opened) {
    let _ = (o.user_id, &o.private.id);
}

#[receiver(signals = [Bounded, Counted], durable, retries = 1)]
async fn any_of<S: Signal>(_: &S) {}

fn main() {}
