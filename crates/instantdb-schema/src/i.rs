//! The `i` builder: schemas written in Rust the way `@instantdb/core`'s `i` writes them in
//! TypeScript.
//!
//! ```
//! use instantdb_schema::{Has, OnDelete, i};
//!
//! let schema = i::schema()
//!     .entities([
//!         ("todos", i::entity([
//!             ("text", i::string()),
//!             ("done", i::boolean().optional()),
//!             ("dueAt", i::date().indexed().optional()),
//!         ])),
//!         ("$users", i::entity([("email", i::string().unique().indexed().optional())])),
//!     ])
//!     .links([(
//!         "todosOwner",
//!         i::link(
//!             i::forward("todos", Has::One, "owner").on_delete(OnDelete::Cascade),
//!             i::reverse("$users", Has::Many, "todos"),
//!         ),
//!     )])
//!     .rooms([("todo", i::room(i::entity([("name", i::string())])))]);
//! assert_eq!(schema.entity_links("todos")["owner"].entity_name, "$users");
//! ```
//!
//! Everything returns plain model values ([`AttrDef`], [`EntityDef`], [`LinkDef`], [`RoomDef`],
//! [`SchemaDef`]), so a schema can also be built or changed field by field. As upstream, the
//! modifiers return a new def and their order does not matter:
//! `i::string().unique().optional() == i::string().optional().unique()`. Entity `links` maps
//! are not stored: [`SchemaDef::entity_links`] derives them as `i.schema` does.

use indexmap::IndexMap;

use crate::model::{
    AttrDef, EntityDef, Has, LinkDef, LinkForward, LinkReverse, OnDelete, RoomDef, SchemaDef,
    ValueType,
};

/// `i.string()`: a required string attribute.
pub fn string() -> AttrDef {
    AttrDef::new(ValueType::String)
}

/// `i.number()`: a required number attribute.
pub fn number() -> AttrDef {
    AttrDef::new(ValueType::Number)
}

/// `i.boolean()`: a required boolean attribute.
pub fn boolean() -> AttrDef {
    AttrDef::new(ValueType::Boolean)
}

/// `i.date()`: a required date attribute (epoch milliseconds or an ISO-8601 string).
pub fn date() -> AttrDef {
    AttrDef::new(ValueType::Date)
}

/// `i.json()`: a required attribute holding any JSON value.
pub fn json() -> AttrDef {
    AttrDef::new(ValueType::Json)
}

/// `i.any()`: identical to [`json`], as upstream (the wire JSON cannot tell them apart).
pub fn any() -> AttrDef {
    AttrDef::new(ValueType::Json)
}

/// `i.entity({...})`: an entity with these attributes, in this order.
pub fn entity<'a>(attrs: impl IntoIterator<Item = (&'a str, AttrDef)>) -> EntityDef {
    EntityDef {
        attrs: attrs
            .into_iter()
            .map(|(label, def)| (label.to_owned(), def))
            .collect(),
    }
}

/// `i.schema({})`: an empty schema, to fill with [`SchemaDef::entities`], [`SchemaDef::links`]
/// and [`SchemaDef::rooms`].
pub fn schema() -> SchemaDef {
    SchemaDef::default()
}

/// A link definition `{forward, reverse}`.
pub fn link(forward: LinkForward, reverse: LinkReverse) -> LinkDef {
    LinkDef { forward, reverse }
}

/// The forward side `{on, has, label}` of a link; add `.required()` or `.on_delete(..)`.
pub fn forward(on: &str, has: Has, label: &str) -> LinkForward {
    LinkForward {
        on: on.to_owned(),
        has,
        label: label.to_owned(),
        required: None,
        on_delete: None,
    }
}

/// The reverse side `{on, has, label}` of a link; add `.on_delete(..)` if needed.
pub fn reverse(on: &str, has: Has, label: &str) -> LinkReverse {
    LinkReverse {
        on: on.to_owned(),
        has,
        label: label.to_owned(),
        on_delete: None,
    }
}

/// A room `{presence}`; add topics with [`RoomDef::topics`].
pub fn room(presence: EntityDef) -> RoomDef {
    RoomDef {
        presence,
        topics: None,
    }
}

impl AttrDef {
    /// `.optional()`: the attribute may be missing or null.
    #[must_use]
    pub fn optional(mut self) -> AttrDef {
        self.required = false;
        self
    }

    /// `.clientRequired()` (deprecated upstream): at runtime the same as [`AttrDef::optional`].
    #[must_use]
    pub fn client_required(self) -> AttrDef {
        self.optional()
    }

    /// `.unique()`: no two entities may share a value.
    #[must_use]
    pub fn unique(mut self) -> AttrDef {
        self.unique = true;
        self
    }

    /// `.indexed()`: the attribute gets an index (needed for ordering and comparisons).
    #[must_use]
    pub fn indexed(mut self) -> AttrDef {
        self.indexed = true;
        self
    }
}

impl SchemaDef {
    /// Adds entities, in order (a repeated name replaces the earlier definition in its place).
    #[must_use]
    pub fn entities<'a>(
        mut self,
        entities: impl IntoIterator<Item = (&'a str, EntityDef)>,
    ) -> Self {
        extend(&mut self.entities, entities);
        self
    }

    /// Adds links, in order. The name is for humans and code generation; the server keys links
    /// by their two ends.
    #[must_use]
    pub fn links<'a>(mut self, links: impl IntoIterator<Item = (&'a str, LinkDef)>) -> Self {
        extend(&mut self.links, links);
        self
    }

    /// Adds rooms, in order. Rooms never reach the server.
    #[must_use]
    pub fn rooms<'a>(mut self, rooms: impl IntoIterator<Item = (&'a str, RoomDef)>) -> Self {
        extend(&mut self.rooms, rooms);
        self
    }
}

impl LinkForward {
    /// `required: true`: every `on` entity must have a target.
    #[must_use]
    pub fn required(mut self) -> LinkForward {
        self.required = Some(true);
        self
    }

    /// `onDelete`: deleting the target deletes this entity. Upstream allows it only on a
    /// `has: one` side.
    #[must_use]
    pub fn on_delete(mut self, on_delete: OnDelete) -> LinkForward {
        self.on_delete = Some(on_delete);
        self
    }
}

impl LinkReverse {
    /// `onDelete`: deleting the source deletes this entity.
    #[must_use]
    pub fn on_delete(mut self, on_delete: OnDelete) -> LinkReverse {
        self.on_delete = Some(on_delete);
        self
    }
}

impl RoomDef {
    /// Adds topics, in order (creating the `topics` map if the room had none).
    #[must_use]
    pub fn topics<'a>(mut self, topics: impl IntoIterator<Item = (&'a str, EntityDef)>) -> Self {
        extend(self.topics.get_or_insert_with(IndexMap::new), topics);
        self
    }
}

fn extend<'a, V>(map: &mut IndexMap<String, V>, entries: impl IntoIterator<Item = (&'a str, V)>) {
    map.extend(
        entries
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i;

    #[test]
    fn modifiers_commute() {
        let all = [
            i::string().unique().indexed().optional(),
            i::string().optional().indexed().unique(),
            i::string().indexed().optional().unique(),
        ];
        assert!(all.iter().all(|def| def == &all[0]));
        assert!(all[0].unique && all[0].indexed && !all[0].required);
        assert_eq!(i::string().client_required(), i::string().optional());
    }

    #[test]
    fn any_and_json_build_the_same_def() {
        assert_eq!(i::any(), i::json());
        assert_eq!(i::date().value_type, ValueType::Date);
        assert!(i::number().required && !i::boolean().indexed);
    }

    #[test]
    fn builder_matches_upstream_wire_json() {
        // `JSON.stringify(i.schema({...}))` of the same schema in @instantdb/core 1.0.67.
        let expected = r#"{"entities":{"posts":{"attrs":{"title":{"valueType":"string","required":true,"isIndexed":true,"config":{"indexed":true,"unique":false},"metadata":{}}},"links":{"author":{"entityName":"users","cardinality":"one"}}},"users":{"attrs":{},"links":{"posts":{"entityName":"posts","cardinality":"many"}}}},"links":{"postsAuthor":{"forward":{"on":"posts","has":"one","label":"author","required":true},"reverse":{"on":"users","has":"many","label":"posts"}}},"rooms":{"chat":{"presence":{"attrs":{},"links":{}},"topics":{"emoji":{"attrs":{"e":{"valueType":"string","required":true,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}}},"links":{}}}}}}"#;
        let schema = i::schema()
            .entities([
                ("posts", i::entity([("title", i::string().indexed())])),
                ("users", i::entity([])),
            ])
            .links([(
                "postsAuthor",
                i::link(
                    i::forward("posts", Has::One, "author").required(),
                    i::reverse("users", Has::Many, "posts"),
                ),
            )])
            .rooms([(
                "chat",
                i::room(i::entity([])).topics([("emoji", i::entity([("e", i::string())]))]),
            )]);
        assert_eq!(schema.to_wire_json(), expected);
    }
}
