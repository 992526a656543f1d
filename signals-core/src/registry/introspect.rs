//! Introspection: every receiver of a signal, described in call order.

use super::list::{List, ListCursor, Planned};
use super::statics::Statics;
use crate::handler::Liveness;
use crate::receiver::{Meta, ReceiverInfo, ReceiverKind};

/// Every receiver's description, in call order: the static receivers, or
/// the run-time list if one is connected. Only the walk of the run-time
/// list is generic; the static receivers are described by code compiled
/// once, not once per signal. A weak receiver whose target is gone is left
/// out: the next send disconnects it.
pub(super) fn infos<H: Copy + 'static, D: ?Sized + Liveness + 'static>(
    statics: Statics<H>,
    dynamic: Option<&List<Planned<H, D>>>,
) -> Vec<ReceiverInfo> {
    let Some(list) = dynamic else {
        let records = statics.records();
        return of_statics(statics.order(), &|at| &records[at].meta);
    };
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

/// The static receivers described, in call order.
fn of_statics(order: &[u32], meta: &dyn Fn(usize) -> &'static Meta) -> Vec<ReceiverInfo> {
    order
        .iter()
        .map(|&at| of_static(meta(at as usize)))
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
