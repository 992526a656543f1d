//! `serde::Serialize` for the catalog (feature `serde`), so that other tools
//! can read the wiring as JSON (or any serde format).
//!
//! The shape, field by field:
//!
//! ```text
//! catalog:  { "signals": [signal, ...] }
//! signal:   { "name", "type", "crate", "doc", "async",
//!             "fields": [{ "name", "type" }], "location", "receivers": [receiver] }
//! receiver: { "name", "crate" (null at run time), "order",
//!             "kind" ("static" | "dynamic"), "async", "filtered", "location" }
//! location: { "file", "line", "column" }
//! ```

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::catalog::{Catalog, CatalogEntry};
use crate::receiver::{Location, ReceiverInfo, ReceiverKind};

impl Serialize for Catalog {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut catalog = serializer.serialize_struct("Catalog", 1)?;
        catalog.serialize_field("signals", &Signals(self))?;
        catalog.end()
    }
}

struct Signals<'c>(&'c Catalog);

impl Serialize for Signals<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0)
    }
}

impl Serialize for CatalogEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut signal = serializer.serialize_struct("Signal", 8)?;
        signal.serialize_field("name", self.name())?;
        signal.serialize_field("type", &self.type_path())?;
        signal.serialize_field("crate", self.crate_name())?;
        signal.serialize_field("doc", self.doc())?;
        signal.serialize_field("async", &self.is_async())?;
        signal.serialize_field("fields", &Fields(self.fields()))?;
        signal.serialize_field("location", &self.location())?;
        signal.serialize_field("receivers", self.receivers())?;
        signal.end()
    }
}

struct Fields(&'static [(&'static str, &'static str)]);

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|&(name, ty)| Field { name, ty }))
    }
}

struct Field {
    name: &'static str,
    ty: &'static str,
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut field = serializer.serialize_struct("Field", 2)?;
        field.serialize_field("name", self.name)?;
        field.serialize_field("type", self.ty)?;
        field.end()
    }
}

impl Serialize for ReceiverInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut receiver = serializer.serialize_struct("Receiver", 9)?;
        receiver.serialize_field("name", self.name())?;
        receiver.serialize_field("crate", &self.crate_name())?;
        receiver.serialize_field("order", &self.order())?;
        receiver.serialize_field("kind", &self.kind())?;
        receiver.serialize_field("async", &self.is_async())?;
        receiver.serialize_field("filtered", &self.is_filtered())?;
        receiver.serialize_field("durable", &self.is_durable())?;
        receiver.serialize_field("retries", &self.retries())?;
        receiver.serialize_field("location", &self.location())?;
        receiver.end()
    }
}

impl Serialize for ReceiverKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match self {
            ReceiverKind::Static => "static",
            ReceiverKind::Dynamic => "dynamic",
        })
    }
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut location = serializer.serialize_struct("Location", 3)?;
        location.serialize_field("file", self.file())?;
        location.serialize_field("line", &self.line())?;
        location.serialize_field("column", &self.column())?;
        location.end()
    }
}
