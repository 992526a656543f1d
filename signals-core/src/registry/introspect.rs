//! Introspection: every receiver of a signal, described in call order.

use std::sync::OnceLock;

use arc_swap::ArcSwapOption;

use super::list::{Erased, List, ListCursor, Planned};
use super::snapshot::Stored;
use super::statics::{Metas, Order};
use crate::handler::Liveness;
use crate::receiver::{Meta, ReceiverInfo, ReceiverKind};

/// Every receiver's description, in the call order of the run-time list.
/// Only the walk is generic, and reached through the pointer the first
/// connect stores ([`Stored`]): compiled only for signals that
/// connect a receiver at run time. A weak receiver whose target is gone is
/// left out: the next send disconnects it.
pub(super) fn merged<H: Copy + 'static, D: ?Sized + Liveness + 'static>(
    list: &List<Planned<H, D>>,
) -> Vec<ReceiverInfo> {
    let mut infos = Vec::with_capacity(list.len());
    let mut cursor = ListCursor::new(list);
    while let Some(planned) = cursor.next_item() {
        infos.push(match planned {
            Planned::Static(record) => of_static(&record.meta),
            Planned::Dynamic(entry) if entry.handler.is_live() => of_dynamic(&entry.meta),
            Planned::Dynamic(_) => continue,
        });
    }
    infos
}

/// Every receiver's description, in call order: the run-time list's, with
/// the code `merged` that the first connect stored, if a list is published;
/// else the static receivers', the `len` records whose [`Meta`] `meta`
/// gives, in `order`. Not generic: compiled once, not once per signal.
pub(super) fn infos(
    dynamic: &ArcSwapOption<Erased>,
    merged: &OnceLock<Stored>,
    order: &'static Order,
    len: usize,
    meta: &dyn Metas,
) -> Vec<ReceiverInfo> {
    let dynamic = dynamic.load();
    match dynamic.as_deref() {
        Some(list) => (Stored::get(merged).infos)(list),
        None => of_statics(order.get(len, meta).indices(), meta),
    }
}

/// The static receivers described, in call order (the receivers while none
/// is connected at run time): compiled once, not once per signal.
pub(super) fn of_statics(order: &[u32], meta: &dyn Metas) -> Vec<ReceiverInfo> {
    order
        .iter()
        .map(|&at| of_static(meta.meta(at as usize)))
        .collect()
}

fn of_static(m: &Meta) -> ReceiverInfo {
    ReceiverInfo {
        name: m.name.into(),
        module_path: Some(m.module_path),
        order: m.order,
        location: m.location,
        kind: ReceiverKind::Static,
        is_async: m.is_async,
        is_filtered: m.is_filtered,
        durable: None,
    }
}

fn of_dynamic(m: &super::list::DynMeta) -> ReceiverInfo {
    ReceiverInfo {
        name: m.name.to_string().into(),
        module_path: None,
        order: m.order,
        location: m.location,
        kind: ReceiverKind::Dynamic,
        is_async: m.is_async,
        is_filtered: m.is_filtered,
        durable: None,
    }
}
