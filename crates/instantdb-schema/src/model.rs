//! The schema model: what `i.schema(...)` builds in the TypeScript SDK.
//!
//! The types mirror `InstantSchemaDef` closely enough that serializing one gives the bytes of
//! `JSON.stringify(i.schema(...))` (see `wire.rs`), but with Rust names and without derived state:
//! the per-entity `links` maps that `i.schema` fills in are computed by [`SchemaDef::entity_links`]
//! when needed, so they can never disagree with [`SchemaDef::links`].
//!
//! Maps are [`IndexMap`]s because insertion order is observable upstream: `JSON.stringify` keeps
//! it, and the diff walks entities and attrs in object order.

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// A whole schema: entities with their attributes, links between entities, and rooms.
///
/// Upstream: `InstantSchemaDef` from `i.schema({entities, links, rooms})`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaDef {
    /// Entity (namespace) name → definition, in insertion order.
    pub entities: IndexMap<String, EntityDef>,
    /// Link name → definition. The server ignores the name; it keys links by their ends.
    pub links: IndexMap<String, LinkDef>,
    /// Room type → definition. Rooms never reach the server; code generation keeps them.
    pub rooms: IndexMap<String, RoomDef>,
}

/// An entity: its data attributes. Its links live in [`SchemaDef::links`].
///
/// Upstream: `EntityDef` from `i.entity({...})`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityDef {
    /// Attribute label → definition, in insertion order. Never contains `id`, which every entity
    /// has implicitly.
    pub attrs: IndexMap<String, AttrDef>,
}

/// A data attribute.
///
/// Upstream: `DataAttrDef` from `i.string()` and friends. Attributes are required unless
/// `.optional()` was called.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrDef {
    /// The value type the server checks (`json` means unchecked).
    pub value_type: ValueType,
    /// `required` on the wire: the server enforces presence only when this is `true`.
    pub required: bool,
    /// `.indexed()`: `isIndexed` and `config.indexed` on the wire.
    pub indexed: bool,
    /// `.unique()`: `config.unique` on the wire.
    pub unique: bool,
    /// The free-form `metadata` bag. Upstream stores `derivedType` here when a def is converted
    /// from the API schema; see [`AttrDef::derived_type`].
    pub metadata: Map<String, Value>,
}

/// The value type of a data attribute, as sent in `valueType`.
///
/// `i.any()` builds the same def as `i.json()` (upstream cannot tell them apart once built); the
/// distinction survives only through `metadata.derivedType`, see [`AttrDef::derived_type`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    /// `i.string()`.
    String,
    /// `i.number()`.
    Number,
    /// `i.boolean()`.
    Boolean,
    /// `i.date()`: epoch milliseconds or an ISO-8601 string at runtime.
    Date,
    /// `i.json()` or `i.any()`: no type check on the server.
    Json,
}

/// A link between two entities, seen from both ends.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkDef {
    /// The side that owns the link attribute.
    pub forward: LinkForward,
    /// The other side.
    pub reverse: LinkReverse,
}

/// The forward side of a link: `{on, has, label, required?, onDelete?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkForward {
    /// The entity this side belongs to.
    pub on: String,
    /// How many targets one `on` entity has.
    pub has: Has,
    /// The label under which `on` entities see their targets.
    pub label: String,
    /// `required` as written: `None` when absent. Only `Some(true)` makes the link required.
    pub required: Option<bool>,
    /// `onDelete: "cascade"`: deleting the target deletes this entity.
    pub on_delete: Option<OnDelete>,
}

/// The reverse side of a link: `{on, has, label, onDelete?}`. It cannot be required.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkReverse {
    /// The entity this side belongs to.
    pub on: String,
    /// How many sources one `on` entity has.
    pub has: Has,
    /// The label under which `on` entities see their sources.
    pub label: String,
    /// `onDelete: "cascade"`: deleting the source deletes this entity.
    pub on_delete: Option<OnDelete>,
}

/// Cardinality of one side of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Has {
    /// `"one"`.
    One,
    /// `"many"`.
    Many,
}

/// What happens to the entities on this side when the other side is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OnDelete {
    /// `"cascade"`: they are deleted too.
    Cascade,
}

/// A room: the shape of presence data and of each topic's messages. Client-side only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoomDef {
    /// `presence: i.entity({...})`.
    pub presence: EntityDef,
    /// `topics: {name: i.entity({...})}`; `None` when the key was absent.
    pub topics: Option<IndexMap<String, EntityDef>>,
}

/// One entry of an entity's derived `links` map: `{entityName, cardinality}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityLink {
    /// The entity at the other end.
    pub entity_name: String,
    /// How many of them this entity has.
    pub cardinality: Has,
}

impl SchemaDef {
    /// The `links` map that `i.schema` attaches to `entity`: label → `{entityName, cardinality}`.
    ///
    /// Derived exactly as upstream's `enrichEntitiesWithLinks`: the forward labels on `entity`
    /// (links in JS object order, see [`crate::js`]), then its reverse labels, as
    /// `{...fwd[entity], ...rev[entity]}` spreads them. A repeated label keeps its first position
    /// and takes the later value, so a reverse label beats a forward one of the same name.
    /// Nothing is returned for an entity that is not in [`SchemaDef::entities`].
    pub fn entity_links(&self, entity: &str) -> IndexMap<String, EntityLink> {
        let mut links = IndexMap::new();
        if !self.entities.contains_key(entity) {
            return links;
        }
        let in_js_order: Vec<&LinkDef> = crate::js::ordered(&self.links)
            .into_iter()
            .map(|(_, link)| link)
            .collect();
        for link in in_js_order.iter().filter(|link| link.forward.on == entity) {
            links.insert(
                link.forward.label.clone(),
                EntityLink {
                    entity_name: link.reverse.on.clone(),
                    cardinality: link.forward.has,
                },
            );
        }
        for link in in_js_order.iter().filter(|link| link.reverse.on == entity) {
            links.insert(
                link.reverse.label.clone(),
                EntityLink {
                    entity_name: link.forward.on.clone(),
                    cardinality: link.reverse.has,
                },
            );
        }
        links
    }
}

impl AttrDef {
    /// A new required, unindexed, non-unique attribute of `value_type` with empty metadata, as
    /// the `i` constructors make it.
    pub fn new(value_type: ValueType) -> AttrDef {
        AttrDef {
            value_type,
            required: true,
            indexed: false,
            unique: false,
            metadata: Map::new(),
        }
    }

    /// The `metadata.derivedType.type` string, if any: upstream's `apiSchemaToInstantSchemaDef`
    /// records `"any"` there for attributes without a checked type, which code generation prints
    /// as `i.any()` instead of `i.json()`.
    pub fn derived_type(&self) -> Option<&str> {
        self.metadata.get("derivedType")?.get("type")?.as_str()
    }
}

impl ValueType {
    /// The wire spelling (`valueType`).
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Number => "number",
            ValueType::Boolean => "boolean",
            ValueType::Date => "date",
            ValueType::Json => "json",
        }
    }
}

impl Has {
    /// The wire spelling (`has`, `cardinality`).
    pub fn as_str(self) -> &'static str {
        match self {
            Has::One => "one",
            Has::Many => "many",
        }
    }
}
