//! Introspection: every receiver of a signal, described in call order.

use super::list::{ListCursor, Planned};
use super::snapshot::Plan;
use super::statics::Meta;
use crate::receiver::{ReceiverInfo, ReceiverKind};

/// Every receiver's description, in call order: the static receivers, or
/// the run-time list if one is connected. Not generic: compiled once, not
/// once per signal. A weak receiver whose target is gone is left out: the
/// next send disconnects it.
pub(super) fn infos(statics: &[Meta], dynamic: Option<&Plan>) -> Vec<ReceiverInfo> {
    let Some(list) = dynamic else {
        return statics.iter().map(of_static).collect();
    };
    let mut infos = Vec::with_capacity(list.len());
    let mut cursor = ListCursor::new(list);
    while let Some(planned) = cursor.next_item() {
        infos.push(match planned {
            Planned::Static(index) => of_static(&statics[*index]),
            Planned::Dynamic(entry) if entry.handler.is_live() => of_dynamic(&entry.meta),
            Planned::Dynamic(_) => continue,
        });
    }
    infos
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
