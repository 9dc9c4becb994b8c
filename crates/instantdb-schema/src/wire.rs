//! The wire JSON of a schema: exactly what `JSON.stringify(i.schema(...))` prints.
//!
//! Upstream sends the `InstantSchemaDef` class instance through `JSON.stringify`, so the field
//! names, their order and the derived per-entity `links` maps are all part of the contract:
//!
//! ```json
//! {"entities":{"todos":{"attrs":{"title":{"valueType":"string","required":true,
//!   "isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}}},
//!   "links":{"owner":{"entityName":"$users","cardinality":"one"}}}},
//!  "links":{"todosOwner":{"forward":{"on":"todos","has":"one","label":"owner"},
//!   "reverse":{"on":"$users","has":"many","label":"todos"}}},
//!  "rooms":{}}
//! ```
//!
//! Serializing prints that; maps come out in JS object order (see [`crate::js`]). Reading accepts
//! it back, ignoring the derived entity `links` (they are recomputed from the schema's links).
//! Two decisions about input that `i.schema` never produces:
//! - a missing `rooms` key (deprecated `i.graph(...)` output) or `links` key reads as empty, and is
//!   written back as `{}`, which is what `i.schema` would print for the same schema;
//! - on an attribute, a missing `required` means `false` (the server only enforces a literal
//!   `true`), a missing `config` means not indexed and not unique, and `isIndexed` defaults to
//!   `config.indexed`; the two disagreeing is an error, since the diff reads one and the server
//!   the other.

use indexmap::IndexMap;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, from_json_with_path, from_value_with_path};
use crate::js::{Json, Object};
use crate::model::{
    AttrDef, EntityDef, EntityLink, Has, LinkDef, LinkForward, LinkReverse, OnDelete, RoomDef,
    SchemaDef, ValueType,
};

const DOCUMENT: &str = "wire schema JSON";

impl SchemaDef {
    /// Reads the wire JSON of a schema (what `JSON.stringify(i.schema(...))` prints).
    ///
    /// Errors name the offending value, e.g. `entities.todos.attrs.title.valueType`.
    pub fn from_wire_json(json: &str) -> Result<SchemaDef, Error> {
        from_json_with_path(DOCUMENT, json)
    }

    /// Like [`SchemaDef::from_wire_json`], from an already parsed JSON value.
    pub fn from_wire_value(value: &Value) -> Result<SchemaDef, Error> {
        from_value_with_path(DOCUMENT, value)
    }

    /// The wire JSON: byte for byte what `JSON.stringify` prints for the equivalent
    /// `i.schema({entities, links, rooms})`.
    pub fn to_wire_json(&self) -> String {
        serde_json::to_string(self).expect("a schema has only string keys, so it always serializes")
    }

    /// The wire JSON as a [`Value`] (keys in the same order as [`SchemaDef::to_wire_json`]).
    pub fn to_wire_value(&self) -> Value {
        serde_json::to_value(self).expect("a schema has only string keys, so it always serializes")
    }
}

impl Serialize for SchemaDef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("entities", &Entities(self))?;
        map.serialize_entry("links", &Object(&self.links))?;
        map.serialize_entry("rooms", &Object(&self.rooms))?;
        map.end()
    }
}

/// The `entities` object of a schema: each entity with its derived `links`.
struct Entities<'a>(&'a SchemaDef);

impl Serialize for Entities<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = crate::js::ordered(&self.0.entities);
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (name, entity) in entries {
            let links = self.0.entity_links(name);
            map.serialize_entry(
                name,
                &EntityWire {
                    attrs: &entity.attrs,
                    links: &links,
                },
            )?;
        }
        map.end()
    }
}

struct EntityWire<'a> {
    attrs: &'a IndexMap<String, AttrDef>,
    links: &'a IndexMap<String, EntityLink>,
}

impl Serialize for EntityWire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("attrs", &Object(self.attrs))?;
        map.serialize_entry("links", &Object(self.links))?;
        map.end()
    }
}

/// An entity on its own prints as `i.entity({...})` does: with an empty `links` map, which
/// `i.schema` fills in (see [`SchemaDef::entity_links`]).
impl Serialize for EntityDef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EntityWire {
            attrs: &self.attrs,
            links: &IndexMap::new(),
        }
        .serialize(serializer)
    }
}

impl Serialize for EntityLink {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("entityName", &self.entity_name)?;
        map.serialize_entry("cardinality", &self.cardinality)?;
        map.end()
    }
}

impl Serialize for AttrDef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("valueType", &self.value_type)?;
        map.serialize_entry("required", &self.required)?;
        map.serialize_entry("isIndexed", &self.indexed)?;
        map.serialize_entry(
            "config",
            &AttrConfig {
                indexed: self.indexed,
                unique: self.unique,
            },
        )?;
        map.serialize_entry("metadata", &Json(&self.metadata))?;
        map.end()
    }
}

#[derive(Serialize, Deserialize, Default)]
struct AttrConfig {
    #[serde(default)]
    indexed: bool,
    #[serde(default)]
    unique: bool,
}

impl<'de> Deserialize<'de> for AttrDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct RawAttr {
            value_type: ValueType,
            #[serde(default)]
            required: bool,
            is_indexed: Option<bool>,
            #[serde(default)]
            config: AttrConfig,
            #[serde(default)]
            metadata: Map<String, Value>,
        }
        let raw = RawAttr::deserialize(deserializer)?;
        let indexed = match raw.is_indexed {
            Some(is_indexed) if is_indexed != raw.config.indexed => {
                return Err(de::Error::custom(format_args!(
                    "isIndexed ({is_indexed}) and config.indexed ({}) disagree",
                    raw.config.indexed
                )));
            }
            _ => raw.config.indexed,
        };
        Ok(AttrDef {
            value_type: raw.value_type,
            required: raw.required,
            indexed,
            unique: raw.config.unique,
            metadata: raw.metadata,
        })
    }
}

impl<'de> Deserialize<'de> for EntityDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawEntity {
            attrs: IndexMap<String, AttrDef>,
            // `links` is derived state; accept any shape and recompute it.
            #[serde(default, rename = "links")]
            _links: de::IgnoredAny,
        }
        let raw = RawEntity::deserialize(deserializer)?;
        Ok(EntityDef { attrs: raw.attrs })
    }
}

impl<'de> Deserialize<'de> for SchemaDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawSchema {
            entities: IndexMap<String, EntityDef>,
            #[serde(default)]
            links: IndexMap<String, LinkDef>,
            #[serde(default)]
            rooms: IndexMap<String, RoomDef>,
        }
        let raw = RawSchema::deserialize(deserializer)?;
        Ok(SchemaDef {
            entities: raw.entities,
            links: raw.links,
            rooms: raw.rooms,
        })
    }
}

impl Serialize for LinkDef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("forward", &self.forward)?;
        map.serialize_entry("reverse", &self.reverse)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for LinkDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawLink {
            forward: LinkForward,
            reverse: LinkReverse,
        }
        let raw = RawLink::deserialize(deserializer)?;
        Ok(LinkDef {
            forward: raw.forward,
            reverse: raw.reverse,
        })
    }
}

/// Key order `on, has, label, required, onDelete`: the order the docs write links in, and the
/// order `apiSchemaToInstantSchemaDef` builds them in. Absent options are not printed.
impl Serialize for LinkForward {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("on", &self.on)?;
        map.serialize_entry("has", &self.has)?;
        map.serialize_entry("label", &self.label)?;
        if let Some(required) = self.required {
            map.serialize_entry("required", &required)?;
        }
        if let Some(on_delete) = self.on_delete {
            map.serialize_entry("onDelete", &on_delete)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for LinkForward {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct RawForward {
            on: String,
            has: Has,
            label: String,
            #[serde(default)]
            required: Option<bool>,
            #[serde(default)]
            on_delete: Option<OnDelete>,
        }
        let raw = RawForward::deserialize(deserializer)?;
        Ok(LinkForward {
            on: raw.on,
            has: raw.has,
            label: raw.label,
            required: raw.required,
            on_delete: raw.on_delete,
        })
    }
}

impl Serialize for LinkReverse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("on", &self.on)?;
        map.serialize_entry("has", &self.has)?;
        map.serialize_entry("label", &self.label)?;
        if let Some(on_delete) = self.on_delete {
            map.serialize_entry("onDelete", &on_delete)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for LinkReverse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct RawReverse {
            on: String,
            has: Has,
            label: String,
            #[serde(default)]
            on_delete: Option<OnDelete>,
        }
        let raw = RawReverse::deserialize(deserializer)?;
        Ok(LinkReverse {
            on: raw.on,
            has: raw.has,
            label: raw.label,
            on_delete: raw.on_delete,
        })
    }
}

impl Serialize for RoomDef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("presence", &self.presence)?;
        if let Some(topics) = &self.topics {
            map.serialize_entry("topics", &Object(topics))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RoomDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawRoom {
            presence: EntityDef,
            #[serde(default)]
            topics: Option<IndexMap<String, EntityDef>>,
        }
        let raw = RawRoom::deserialize(deserializer)?;
        Ok(RoomDef {
            presence: raw.presence,
            topics: raw.topics,
        })
    }
}

/// Implements `Serialize`/`Deserialize` for a fieldless enum through its `as_str`/`parse`.
macro_rules! string_enum {
    ($ty:ty, $expecting:literal, [$($variant:expr),+ $(,)?]) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> Result<$ty, E> {
                        [$($variant),+]
                            .into_iter()
                            .find(|variant: &$ty| variant.as_str() == value)
                            .ok_or_else(|| E::invalid_value(::serde::de::Unexpected::Str(value), &self))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    ValueType,
    "one of \"string\", \"number\", \"boolean\", \"date\", \"json\"",
    [
        ValueType::String,
        ValueType::Number,
        ValueType::Boolean,
        ValueType::Date,
        ValueType::Json,
    ]
);
string_enum!(Has, "\"one\" or \"many\"", [Has::One, Has::Many]);
string_enum!(OnDelete, "\"cascade\"", [OnDelete::Cascade]);

impl OnDelete {
    /// The wire spelling (`onDelete`, `on-delete`).
    pub fn as_str(self) -> &'static str {
        match self {
            OnDelete::Cascade => "cascade",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `JSON.stringify(i.schema(...))` from `@instantdb/core` 1.0.67 for a schema with an
    /// index-like attr name (`"10"`, declared after `text` but printed first), every modifier, a
    /// link with `onDelete`, and a room with topics.
    const TODO_WIRE: &str = r#"{"entities":{"$users":{"attrs":{"email":{"valueType":"string","required":false,"isIndexed":true,"config":{"indexed":true,"unique":true},"metadata":{}}},"links":{"todos":{"entityName":"todos","cardinality":"many"}}},"todos":{"attrs":{"10":{"valueType":"json","required":true,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}},"text":{"valueType":"string","required":true,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}},"done":{"valueType":"boolean","required":false,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}},"dueAt":{"valueType":"date","required":false,"isIndexed":true,"config":{"indexed":true,"unique":false},"metadata":{}},"tags":{"valueType":"json","required":true,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}}},"links":{"owner":{"entityName":"$users","cardinality":"one"}}}},"links":{"todosOwner":{"forward":{"on":"todos","has":"one","label":"owner","onDelete":"cascade"},"reverse":{"on":"$users","has":"many","label":"todos"}}},"rooms":{"todo":{"presence":{"attrs":{"name":{"valueType":"string","required":true,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}}},"links":{}},"topics":{"typing":{"attrs":{"active":{"valueType":"boolean","required":true,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}}},"links":{}}}}}}"#;

    #[test]
    fn wire_json_round_trips_byte_for_byte() {
        let schema = SchemaDef::from_wire_json(TODO_WIRE).unwrap();
        assert_eq!(schema.to_wire_json(), TODO_WIRE);
        assert_eq!(schema.entities["todos"].attrs.len(), 5);
        assert_eq!(
            schema.links["todosOwner"].forward.on_delete,
            Some(OnDelete::Cascade)
        );
    }

    #[test]
    fn index_like_keys_print_first_whatever_the_insertion_order() {
        let mut schema = SchemaDef::from_wire_json(TODO_WIRE).unwrap();
        let todos = schema.entities.get_mut("todos").unwrap();
        let ten = todos.attrs.shift_remove("10").unwrap();
        todos.attrs.insert("10".into(), ten);
        assert_eq!(todos.attrs.keys().last().unwrap(), "10");
        assert_eq!(schema.to_wire_json(), TODO_WIRE);
    }

    #[test]
    fn graph_output_without_rooms_reads_as_empty_rooms() {
        let schema =
            SchemaDef::from_wire_json(r#"{"entities":{"a":{"attrs":{},"links":{}}},"links":{}}"#)
                .unwrap();
        assert!(schema.rooms.is_empty());
        assert_eq!(
            schema.to_wire_json(),
            r#"{"entities":{"a":{"attrs":{},"links":{}}},"links":{},"rooms":{}}"#
        );
    }

    #[test]
    fn derived_entity_links_are_ignored_on_input() {
        let schema = SchemaDef::from_wire_json(
            r#"{"entities":{"a":{"attrs":{},"links":{"bogus":{"entityName":"x","cardinality":"one"}}}},"links":{},"rooms":{}}"#,
        )
        .unwrap();
        assert!(schema.entity_links("a").is_empty());
    }

    #[test]
    fn metadata_is_kept_and_printed_in_js_order() {
        let json = r#"{"entities":{"a":{"attrs":{"x":{"valueType":"json","required":false,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{"derivedType":{"type":"any","origin":"unknown"},"n":2.0}}},"links":{}}},"links":{},"rooms":{}}"#;
        let schema = SchemaDef::from_wire_json(json).unwrap();
        assert_eq!(schema.entities["a"].attrs["x"].derived_type(), Some("any"));
        assert_eq!(schema.to_wire_json(), json.replace("2.0", "2"));
    }

    #[track_caller]
    fn check_error(json: &str, path: &str, message_part: &str) {
        match SchemaDef::from_wire_json(json) {
            Err(Error::Json {
                path: got, message, ..
            }) => {
                assert_eq!(got, path, "{message}");
                assert!(message.contains(message_part), "{message}");
            }
            other => panic!("expected a JSON error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_json_path() {
        check_error(
            r#"{"entities":{"todos":{"attrs":{"title":{"valueType":"strin"}}}}}"#,
            "entities.todos.attrs.title.valueType",
            "strin",
        );
        check_error(
            r#"{"entities":{"todos":{"attrs":{"title":{"required":true}}}}}"#,
            "entities.todos.attrs.title",
            "missing field `valueType`",
        );
        check_error(
            r#"{"entities":{"todos":{"attrs":{"t":{"valueType":"json","isIndexed":true,"config":{"indexed":false}}}}}}"#,
            "entities.todos.attrs.t",
            "disagree",
        );
        check_error(
            r#"{"entities":{},"links":{"l":{"forward":{"on":"a","has":"few","label":"b"},"reverse":{"on":"b","has":"one","label":"a"}}}}"#,
            "links.l.forward.has",
            "few",
        );
        check_error(r#"{"entities":{}} x"#, ".", "trailing characters");
        check_error(r#"{"links":{}}"#, ".", "missing field `entities`");
    }
}
