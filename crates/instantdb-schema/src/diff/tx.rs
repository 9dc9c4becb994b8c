//! `MigrationTx`: the identifier-based steps `diffSchemas` produces.

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::api::{AttrValueType, CheckedDataType};
use crate::model::{Has, OnDelete};

/// An attribute named by entity and label (`{namespace, attrName}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    /// The entity.
    pub namespace: String,
    /// The attribute label.
    #[serde(rename = "attrName")]
    pub attr_name: String,
}

impl Identifier {
    /// `namespace.attrName`.
    pub fn new(namespace: impl Into<String>, attr_name: impl Into<String>) -> Identifier {
        Identifier {
            namespace: namespace.into(),
            attr_name: attr_name.into(),
        }
    }
}

/// One migration step in terms of names (upstream `MigrationTx`). The `identifier` is always the
/// attribute's **old** name; [`convert_tx_steps`](super::convert_tx_steps) resolves it to an id.
///
/// Serializes as upstream's object (`{"type": "add-attr", "identifier": {...}, ...}`), with
/// `type` and `identifier` first. Upstream's key order varies with the code path that built
/// the object; these objects never leave the process, so that order is not reproduced (the plan
/// steps, which are sent, are exact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationTx {
    /// `add-attr`: create an attribute (a data attribute, an entity's `id`, or a link).
    AddAttr(AddAttrTx),
    /// `delete-attr`.
    DeleteAttr(Identifier),
    /// `update-attr`: rename, or change a link's cardinality or cascade.
    UpdateAttr {
        /// The attribute's current name.
        identifier: Identifier,
        /// What changes.
        partial_attr: PartialAttr,
    },
    /// `index`.
    Index(Identifier),
    /// `remove-index`.
    RemoveIndex(Identifier),
    /// `unique`.
    Unique(Identifier),
    /// `remove-unique`.
    RemoveUnique(Identifier),
    /// `required`.
    Required(Identifier),
    /// `remove-required`.
    RemoveRequired(Identifier),
    /// `check-data-type`: start enforcing a type.
    CheckDataType {
        /// The attribute.
        identifier: Identifier,
        /// The type to enforce.
        checked_data_type: CheckedDataType,
    },
    /// `remove-data-type`: stop enforcing a type.
    RemoveDataType(Identifier),
}

/// The payload of an `add-attr` migration step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddAttrTx {
    /// The new attribute's name (the same as `forward_identity`).
    pub identifier: Identifier,
    /// The owning side.
    pub forward_identity: Identifier,
    /// The other side, for links.
    pub reverse_identity: Option<Identifier>,
    /// `blob` or `ref`.
    pub value_type: AttrValueType,
    /// `one` or `many`.
    pub cardinality: Has,
    /// `unique?`: applied by a separate `unique` plan step.
    pub unique: bool,
    /// `index?`: applied by a separate `index` plan step.
    pub index: bool,
    /// `required?`: applied by a separate `required` plan step.
    pub required: bool,
    /// `on-delete` (links).
    pub on_delete: Option<OnDelete>,
    /// `on-delete-reverse` (links).
    pub on_delete_reverse: Option<OnDelete>,
    /// `checked-data-type` exactly as upstream writes it: `None` when the key is absent (an
    /// entity's `id`), `Some(None)` for `null` (untyped attributes and links).
    pub checked_data_type: Option<Option<CheckedDataType>>,
}

/// The changes of an `update-attr` migration step (`partialAttr`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PartialAttr {
    /// `value-type` of the attribute (unchanged; upstream always sends it).
    #[serde(rename = "value-type")]
    pub value_type: AttrValueType,
    /// New cardinality, if given.
    #[serde(default)]
    pub cardinality: Option<Has>,
    /// New name of the owning side (renames).
    #[serde(rename = "forward-identity", default)]
    pub forward_identity: Option<Identifier>,
    /// New name of the other side (link renames).
    #[serde(rename = "reverse-identity", default)]
    pub reverse_identity: Option<Identifier>,
    /// New `on-delete` (absent means none).
    #[serde(rename = "on-delete", default)]
    pub on_delete: Option<OnDelete>,
    /// New `on-delete-reverse` (absent means none).
    #[serde(rename = "on-delete-reverse", default)]
    pub on_delete_reverse: Option<OnDelete>,
}

impl MigrationTx {
    /// The `type` string, e.g. `"add-attr"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            MigrationTx::AddAttr(_) => "add-attr",
            MigrationTx::DeleteAttr(_) => "delete-attr",
            MigrationTx::UpdateAttr { .. } => "update-attr",
            MigrationTx::Index(_) => "index",
            MigrationTx::RemoveIndex(_) => "remove-index",
            MigrationTx::Unique(_) => "unique",
            MigrationTx::RemoveUnique(_) => "remove-unique",
            MigrationTx::Required(_) => "required",
            MigrationTx::RemoveRequired(_) => "remove-required",
            MigrationTx::CheckDataType { .. } => "check-data-type",
            MigrationTx::RemoveDataType(_) => "remove-data-type",
        }
    }

    /// The (old) name of the attribute the step is about.
    pub fn identifier(&self) -> &Identifier {
        match self {
            MigrationTx::AddAttr(add) => &add.identifier,
            MigrationTx::UpdateAttr { identifier, .. }
            | MigrationTx::CheckDataType { identifier, .. }
            | MigrationTx::DeleteAttr(identifier)
            | MigrationTx::Index(identifier)
            | MigrationTx::RemoveIndex(identifier)
            | MigrationTx::Unique(identifier)
            | MigrationTx::RemoveUnique(identifier)
            | MigrationTx::Required(identifier)
            | MigrationTx::RemoveRequired(identifier)
            | MigrationTx::RemoveDataType(identifier) => identifier,
        }
    }

    fn simple(type_name: &str, identifier: Identifier) -> Option<MigrationTx> {
        Some(match type_name {
            "delete-attr" => MigrationTx::DeleteAttr(identifier),
            "index" => MigrationTx::Index(identifier),
            "remove-index" => MigrationTx::RemoveIndex(identifier),
            "unique" => MigrationTx::Unique(identifier),
            "remove-unique" => MigrationTx::RemoveUnique(identifier),
            "required" => MigrationTx::Required(identifier),
            "remove-required" => MigrationTx::RemoveRequired(identifier),
            "remove-data-type" => MigrationTx::RemoveDataType(identifier),
            _ => return None,
        })
    }
}

impl Serialize for MigrationTx {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.type_name())?;
        map.serialize_entry("identifier", self.identifier())?;
        match self {
            MigrationTx::AddAttr(add) => {
                map.serialize_entry("forward-identity", &add.forward_identity)?;
                if let Some(reverse) = &add.reverse_identity {
                    map.serialize_entry("reverse-identity", reverse)?;
                }
                map.serialize_entry("value-type", &add.value_type)?;
                map.serialize_entry("cardinality", &add.cardinality)?;
                map.serialize_entry("unique?", &add.unique)?;
                map.serialize_entry("index?", &add.index)?;
                map.serialize_entry("required?", &add.required)?;
                if let Some(on_delete) = &add.on_delete {
                    map.serialize_entry("on-delete", on_delete)?;
                }
                if let Some(on_delete) = &add.on_delete_reverse {
                    map.serialize_entry("on-delete-reverse", on_delete)?;
                }
                if let Some(checked) = &add.checked_data_type {
                    map.serialize_entry("checked-data-type", checked)?;
                }
            }
            MigrationTx::UpdateAttr { partial_attr, .. } => {
                map.serialize_entry("partialAttr", partial_attr)?;
            }
            MigrationTx::CheckDataType {
                checked_data_type, ..
            } => map.serialize_entry("checked-data-type", checked_data_type)?,
            _ => {}
        }
        map.end()
    }
}

impl Serialize for PartialAttr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("value-type", &self.value_type)?;
        if let Some(cardinality) = &self.cardinality {
            map.serialize_entry("cardinality", cardinality)?;
        }
        if let Some(forward) = &self.forward_identity {
            map.serialize_entry("forward-identity", forward)?;
        }
        if let Some(reverse) = &self.reverse_identity {
            map.serialize_entry("reverse-identity", reverse)?;
        }
        if let Some(on_delete) = &self.on_delete {
            map.serialize_entry("on-delete", on_delete)?;
        }
        if let Some(on_delete) = &self.on_delete_reverse {
            map.serialize_entry("on-delete-reverse", on_delete)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for MigrationTx {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(rename = "type")]
            type_name: String,
            identifier: Identifier,
            #[serde(rename = "forward-identity", default)]
            forward_identity: Option<Identifier>,
            #[serde(rename = "reverse-identity", default)]
            reverse_identity: Option<Identifier>,
            #[serde(rename = "value-type", default)]
            value_type: Option<AttrValueType>,
            #[serde(default)]
            cardinality: Option<Has>,
            #[serde(rename = "unique?", default)]
            unique: bool,
            #[serde(rename = "index?", default)]
            index: bool,
            #[serde(rename = "required?", default)]
            required: bool,
            #[serde(rename = "on-delete", default)]
            on_delete: Option<OnDelete>,
            #[serde(rename = "on-delete-reverse", default)]
            on_delete_reverse: Option<OnDelete>,
            #[serde(
                rename = "checked-data-type",
                default,
                deserialize_with = "super::present"
            )]
            checked_data_type: Option<Option<CheckedDataType>>,
            #[serde(rename = "partialAttr", default)]
            partial_attr: Option<PartialAttr>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let missing = |field: &'static str| de::Error::missing_field(field);
        match raw.type_name.as_str() {
            "add-attr" => Ok(MigrationTx::AddAttr(AddAttrTx {
                forward_identity: raw
                    .forward_identity
                    .ok_or_else(|| missing("forward-identity"))?,
                identifier: raw.identifier,
                reverse_identity: raw.reverse_identity,
                value_type: raw.value_type.ok_or_else(|| missing("value-type"))?,
                cardinality: raw.cardinality.ok_or_else(|| missing("cardinality"))?,
                unique: raw.unique,
                index: raw.index,
                required: raw.required,
                on_delete: raw.on_delete,
                on_delete_reverse: raw.on_delete_reverse,
                checked_data_type: raw.checked_data_type,
            })),
            "update-attr" => Ok(MigrationTx::UpdateAttr {
                identifier: raw.identifier,
                partial_attr: raw.partial_attr.ok_or_else(|| missing("partialAttr"))?,
            }),
            "check-data-type" => Ok(MigrationTx::CheckDataType {
                identifier: raw.identifier,
                checked_data_type: raw
                    .checked_data_type
                    .flatten()
                    .ok_or_else(|| missing("checked-data-type"))?,
            }),
            other => MigrationTx::simple(other, raw.identifier).ok_or_else(|| {
                de::Error::unknown_variant(
                    other,
                    &[
                        "add-attr",
                        "delete-attr",
                        "update-attr",
                        "index",
                        "remove-index",
                        "unique",
                        "remove-unique",
                        "required",
                        "remove-required",
                        "check-data-type",
                        "remove-data-type",
                    ],
                )
            }),
        }
    }
}
