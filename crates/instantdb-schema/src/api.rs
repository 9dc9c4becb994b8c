//! The API schema: the attribute-level schema the server returns (`GET
//! /superadmin/apps/:id/schema`, the plan responses, `/dash/apps/:id/schema/pull`), and its
//! conversion to a [`SchemaDef`].
//!
//! Shape (`InstantAPIPlatformSchema`): `{"blobs": {etype: {label: attr}}, "refs": {refKey: attr}}`
//! with kebab-case attributes (`value-type`, `unique?`, `forward-identity`). `refKey` is the
//! Clojure `str` of `[fwdEtype fwdLabel revEtype revLabel]`, e.g. `["a" "b" "c" "d"]`; treat it
//! as opaque (upstream only sorts on it). Unknown attribute keys are ignored when reading.

use indexmap::IndexMap;
use serde::de::Deserializer;
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, from_json_with_path, from_value_with_path};
use crate::js;
use crate::model::{
    AttrDef, EntityDef, Has, LinkDef, LinkForward, LinkReverse, OnDelete, SchemaDef, ValueType,
};

const DOCUMENT: &str = "API schema JSON";

/// The server's schema: data attributes by entity, and link attributes by ref key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiSchema {
    /// Entity → label → attribute. Includes every entity's `id` attribute, which is how
    /// entities without other attributes show up.
    #[serde(default)]
    pub blobs: IndexMap<String, IndexMap<String, ApiAttr>>,
    /// Ref key (`["fwdEtype" "fwdLabel" "revEtype" "revLabel"]`) → link attribute.
    #[serde(default)]
    pub refs: IndexMap<String, ApiAttr>,
}

/// One attribute as the server describes it (`InstantDBAttr`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiAttr {
    /// The attribute's id (a UUID on a real server; opaque here).
    pub id: String,
    /// `value-type`: `blob` for data, `ref` for links.
    #[serde(rename = "value-type")]
    pub value_type: AttrValueType,
    /// `one` or `many`; for a link, the forward side's `has`.
    pub cardinality: Has,
    /// `[identId, etype, label]` of the owning side.
    #[serde(rename = "forward-identity")]
    pub forward_identity: Ident,
    /// `[identId, etype, label]` of the other side; links only.
    #[serde(
        rename = "reverse-identity",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reverse_identity: Option<Ident>,
    /// `unique?`; for a link, whether the reverse side `has: one`.
    #[serde(rename = "unique?", default)]
    pub unique: bool,
    /// `index?`.
    #[serde(rename = "index?", default)]
    pub index: bool,
    /// `required?`.
    #[serde(rename = "required?", default)]
    pub required: bool,
    /// `inferred-types`: the JSON types seen in the data (`number`, `string`, `boolean`,
    /// `json`). Upstream ignores them when building a schema.
    #[serde(rename = "inferred-types", default)]
    pub inferred_types: Option<Vec<String>>,
    /// `system` for attributes Instant manages (`$users`, `$files`, ...), else `user`.
    #[serde(default)]
    pub catalog: Catalog,
    /// `on-delete: "cascade"`: deleting the target deletes the owner.
    #[serde(rename = "on-delete", default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<OnDelete>,
    /// `on-delete-reverse: "cascade"`: deleting the owner deletes the target.
    #[serde(
        rename = "on-delete-reverse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub on_delete_reverse: Option<OnDelete>,
    /// `checked-data-type`: the type the server enforces, if any.
    #[serde(
        rename = "checked-data-type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checked_data_type: Option<CheckedDataType>,
    /// `indexing?`: an index job is running.
    #[serde(rename = "indexing?", default, skip_serializing_if = "Option::is_none")]
    pub indexing: Option<bool>,
    /// `checking-data-type?`: a type-check job is running.
    #[serde(
        rename = "checking-data-type?",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checking_data_type: Option<bool>,
    /// `setting-unique?`: a uniqueness job is running.
    #[serde(
        rename = "setting-unique?",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub setting_unique: Option<bool>,
    /// `deletion-marked-at`: when the attribute was soft-deleted (ISO-8601).
    #[serde(
        rename = "deletion-marked-at",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deletion_marked_at: Option<String>,
    /// Free-form `metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// An identity triple `[identId, etype, label]`, as the JSON array it is on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The ident's id. Idents created by the client diff reuse the attribute id here.
    pub id: String,
    /// The entity (namespace).
    pub etype: String,
    /// The attribute label.
    pub label: String,
}

/// `value-type` of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrValueType {
    /// `"blob"`: a data attribute.
    Blob,
    /// `"ref"`: a link.
    Ref,
}

/// `catalog` of an attribute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Catalog {
    /// `"system"`: managed by Instant (`$users`, `$files`, `$streams`, ...).
    System,
    /// `"user"`: defined by the app.
    #[default]
    User,
}

/// `checked-data-type`: a value type the server can enforce (`json` is the absence of a check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckedDataType {
    /// `"string"`.
    String,
    /// `"number"`.
    Number,
    /// `"boolean"`.
    Boolean,
    /// `"date"`.
    Date,
}

impl AttrValueType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrValueType::Blob => "blob",
            AttrValueType::Ref => "ref",
        }
    }
}

impl Catalog {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Catalog::System => "system",
            Catalog::User => "user",
        }
    }
}

impl CheckedDataType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        self.value_type().as_str()
    }

    /// The corresponding schema value type.
    pub fn value_type(self) -> ValueType {
        match self {
            CheckedDataType::String => ValueType::String,
            CheckedDataType::Number => ValueType::Number,
            CheckedDataType::Boolean => ValueType::Boolean,
            CheckedDataType::Date => ValueType::Date,
        }
    }

    /// The type the server checks for `value_type`; `None` for `json`, which is unchecked.
    pub fn from_value_type(value_type: ValueType) -> Option<CheckedDataType> {
        match value_type {
            ValueType::String => Some(CheckedDataType::String),
            ValueType::Number => Some(CheckedDataType::Number),
            ValueType::Boolean => Some(CheckedDataType::Boolean),
            ValueType::Date => Some(CheckedDataType::Date),
            ValueType::Json => None,
        }
    }
}

crate::wire::string_enum!(
    AttrValueType,
    "\"blob\" or \"ref\"",
    [AttrValueType::Blob, AttrValueType::Ref]
);
crate::wire::string_enum!(
    Catalog,
    "\"system\" or \"user\"",
    [Catalog::System, Catalog::User]
);
crate::wire::string_enum!(
    CheckedDataType,
    "one of \"string\", \"number\", \"boolean\", \"date\"",
    [
        CheckedDataType::String,
        CheckedDataType::Number,
        CheckedDataType::Boolean,
        CheckedDataType::Date,
    ]
);

impl Ident {
    /// An identity triple.
    pub fn new(id: impl Into<String>, etype: impl Into<String>, label: impl Into<String>) -> Ident {
        Ident {
            id: id.into(),
            etype: etype.into(),
            label: label.into(),
        }
    }

    /// `etype.label`, as upstream's `identName` prints it.
    pub fn name(&self) -> String {
        format!("{}.{}", self.etype, self.label)
    }
}

impl Serialize for Ident {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(3))?;
        seq.serialize_element(&self.id)?;
        seq.serialize_element(&self.etype)?;
        seq.serialize_element(&self.label)?;
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Ident {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (id, etype, label) = <(String, String, String)>::deserialize(deserializer)?;
        Ok(Ident { id, etype, label })
    }
}

impl ApiSchema {
    /// Reads an API schema; errors name the offending value, e.g.
    /// `blobs.todos.title.value-type`.
    pub fn from_json(json: &str) -> Result<ApiSchema, Error> {
        from_json_with_path(DOCUMENT, json)
    }

    /// Like [`ApiSchema::from_json`], from an already parsed JSON value.
    pub fn from_value(value: &Value) -> Result<ApiSchema, Error> {
        from_value_with_path(DOCUMENT, value)
    }
}

impl ApiAttr {
    /// `forward-identity` as `etype.label`.
    pub fn forward_name(&self) -> String {
        self.forward_identity.name()
    }
}

/// Upstream's `sortedEntries`: JS object order, then a stable sort by `localeCompare`.
fn sorted_entries<V>(map: &IndexMap<String, V>) -> Vec<(&String, &V)> {
    let mut entries = js::ordered(map);
    entries.sort_by(|(a, _), (b, _)| crate::locale_compare(a, b));
    entries
}

/// Converts the server's schema into a [`SchemaDef`], exactly as upstream's
/// `apiSchemaToInstantSchemaDef` does.
///
/// - Entities and their attributes are ordered with [`locale_compare`](crate::locale_compare);
///   each entity's `id` attribute is left out.
/// - An attribute's type is its `checked-data-type`, or `json` (`i.any()`) when unchecked;
///   `inferred-types` are ignored. `metadata.derivedType` records `{type, origin}` with origin
///   `checked` or `unknown`, which code generation uses to print `i.any()`.
/// - Links are ordered by ref key and named `fwdEtype + upperFirst(fwdLabel)`; when two refs get
///   the same name, the later one (by ref key) wins but keeps the first one's position.
/// - The result has no rooms: the server never sees them.
///
/// Fails only for a ref attribute without `reverse-identity`, which the server never sends.
pub fn api_schema_to_schema_def(api: &ApiSchema) -> Result<SchemaDef, Error> {
    let mut schema = SchemaDef::default();
    for (etype, attrs) in sorted_entries(&api.blobs) {
        let mut entity = EntityDef::default();
        for (label, attr) in sorted_entries(attrs) {
            if label != "id" {
                entity.attrs.insert(label.to_owned(), attr_def(attr));
            }
        }
        schema.entities.insert(etype.to_owned(), entity);
    }
    for (key, attr) in sorted_entries(&api.refs) {
        let Some(reverse) = &attr.reverse_identity else {
            return Err(Error::Json {
                document: DOCUMENT,
                path: format!("refs.{key}"),
                message: "a ref attribute needs a `reverse-identity`".to_owned(),
            });
        };
        let (forward_has, reverse_has) = link_sides(attr.cardinality, attr.unique);
        let link = LinkDef {
            forward: LinkForward {
                on: attr.forward_identity.etype.clone(),
                has: forward_has,
                label: attr.forward_identity.label.clone(),
                required: attr.required.then_some(true),
                on_delete: attr.on_delete,
            },
            reverse: LinkReverse {
                on: reverse.etype.clone(),
                has: reverse_has,
                label: reverse.label.clone(),
                on_delete: attr.on_delete_reverse,
            },
        };
        let name = format!(
            "{}{}",
            attr.forward_identity.etype,
            upper_first(&attr.forward_identity.label)
        );
        schema.links.insert(name, link);
    }
    Ok(schema)
}

/// Upstream's `apiSchemaToAttrs`: every attribute, blobs first (entities ordered with
/// [`locale_compare`](crate::locale_compare), each entity's attributes in object order), then
/// refs ordered by ref key. This is the `existingAttrs` list the diff and
/// [`collect_system_catalog_ident_names`](crate::collect_system_catalog_ident_names) work on.
pub fn api_schema_to_attrs(api: &ApiSchema) -> Vec<ApiAttr> {
    let mut attrs = Vec::new();
    for (_, entity) in sorted_entries(&api.blobs) {
        attrs.extend(
            js::ordered(entity)
                .into_iter()
                .map(|(_, attr)| attr.clone()),
        );
    }
    attrs.extend(
        sorted_entries(&api.refs)
            .into_iter()
            .map(|(_, attr)| attr.clone()),
    );
    attrs
}

fn attr_def(attr: &ApiAttr) -> AttrDef {
    let (value_type, type_name, origin) = match attr.checked_data_type {
        Some(checked) => (checked.value_type(), checked.as_str(), "checked"),
        None => (ValueType::Json, "any", "unknown"),
    };
    let mut derived = Map::new();
    derived.insert("type".to_owned(), Value::from(type_name));
    derived.insert("origin".to_owned(), Value::from(origin));
    let mut metadata = Map::new();
    metadata.insert("derivedType".to_owned(), Value::Object(derived));
    AttrDef {
        value_type,
        required: attr.required,
        indexed: attr.index,
        unique: attr.unique,
        metadata,
    }
}

/// The `has` of both link sides for an attribute's cardinality and uniqueness (upstream's
/// `rels`): cardinality is the forward `has`, and `unique?` means the reverse side has one.
pub fn link_sides(cardinality: Has, unique: bool) -> (Has, Has) {
    (cardinality, if unique { Has::One } else { Has::Many })
}

/// `cardinality` and `unique?` of the attribute behind a link (upstream's
/// `relationshipConstraints`): the inverse of [`link_sides`].
pub fn link_constraints(forward: Has, reverse: Has) -> (Has, bool) {
    (forward, reverse == Has::One)
}

/// JS `s.charAt(0).toUpperCase() + s.slice(1)`. `charAt` takes one UTF-16 unit, so a first
/// character outside the BMP (half of a surrogate pair) is never changed.
fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) if u32::from(first) <= 0xFFFF => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            out
        }
        _ => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_first_is_js_char_at_to_upper_case() {
        assert_eq!(upper_first("author"), "Author");
        assert_eq!(upper_first(""), "");
        assert_eq!(upper_first("ßx"), "SSx");
        assert_eq!(upper_first("$users"), "$users");
        // Deseret small letter: outside the BMP, so charAt(0) is half a surrogate pair.
        assert_eq!(upper_first("\u{10428}a"), "\u{10428}a");
    }

    #[test]
    fn errors_name_the_json_path() {
        let err = ApiSchema::from_json(
            r#"{"blobs":{"todos":{"title":{"id":"1","value-type":"blb","cardinality":"one","forward-identity":["i","todos","title"]}}},"refs":{}}"#,
        )
        .unwrap_err();
        let Error::Json { path, message, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(path, "blobs.todos.title.value-type");
        assert!(message.contains("blb"), "{message}");

        let err = ApiSchema::from_json(
            r#"{"blobs":{},"refs":{"k":{"id":"1","value-type":"ref","cardinality":"one","forward-identity":["i","a"]}}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Json { path, .. } if path == "refs.k.forward-identity"),
            "{err:?}"
        );
    }

    #[test]
    fn ref_without_reverse_identity_is_an_error() {
        let api = ApiSchema::from_json(
            r#"{"blobs":{},"refs":{"k":{"id":"1","value-type":"ref","cardinality":"one","forward-identity":["i","a","b"]}}}"#,
        )
        .unwrap();
        assert!(matches!(
            api_schema_to_schema_def(&api),
            Err(Error::Json { path, .. }) if path == "refs.k"
        ));
    }

    #[test]
    fn link_tables_are_inverse() {
        for forward in [Has::One, Has::Many] {
            for reverse in [Has::One, Has::Many] {
                let (cardinality, unique) = link_constraints(forward, reverse);
                assert_eq!(link_sides(cardinality, unique), (forward, reverse));
            }
        }
        assert_eq!(link_constraints(Has::Many, Has::One), (Has::Many, true));
    }
}
