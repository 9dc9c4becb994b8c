//! `PlanStep`: the id-based schema steps the server applies.
//!
//! The same tuples flow three ways: [`convert_tx_steps`](super::convert_tx_steps) builds them
//! for an overwrite push (`POST /dash/apps/:id/schema/steps/apply` with `{steps}`), the server's
//! additive plan returns them (`/superadmin/apps/:id/schema/push/plan`), and the apply responses
//! echo them with a `job-id` on the background ones. On the wire each is a two-element array
//! `[type, payload]`:
//!
//! | type | payload |
//! |---|---|
//! | `add-attr` | the new attribute ([`NewAttr`]) |
//! | `update-attr` | `{id, forward-identity?, reverse-identity?, cardinality?, on-delete?, on-delete-reverse?}` ([`AttrUpdate`]) |
//! | `delete-attr` | the attribute id, a bare string |
//! | `index`, `remove-index`, `unique`, `remove-unique`, `required`, `remove-required`, `remove-data-type` | `{attr-id, forward-identity}` ([`AttrRef`]) |
//! | `check-data-type` | `{attr-id, checked-data-type, forward-identity}` ([`CheckDataType`]) |
//!
//! `add-attr`, `update-attr` and `delete-attr` are applied in the transaction; the eight others
//! become background indexing jobs. Serialization reproduces upstream's key order byte for byte.

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::{ApiAttr, AttrValueType, Catalog, CheckedDataType, Ident};
use crate::model::{Has, OnDelete};

/// One schema step, as sent to and returned by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanStep {
    /// `["add-attr", attr]`: create an attribute.
    AddAttr(NewAttr),
    /// `["update-attr", {id, ...}]`: rename an attribute or change a link.
    UpdateAttr(AttrUpdate),
    /// `["delete-attr", id]`: delete an attribute and its data.
    DeleteAttr(String),
    /// `["index", ...]`: build an index (background job).
    Index(AttrRef),
    /// `["remove-index", ...]` (background job).
    RemoveIndex(AttrRef),
    /// `["unique", ...]`: check and enforce uniqueness (background job).
    Unique(AttrRef),
    /// `["remove-unique", ...]` (background job).
    RemoveUnique(AttrRef),
    /// `["required", ...]`: check and enforce presence (background job).
    Required(AttrRef),
    /// `["remove-required", ...]` (background job).
    RemoveRequired(AttrRef),
    /// `["check-data-type", ...]`: check and enforce a type (background job).
    CheckDataType(CheckDataType),
    /// `["remove-data-type", ...]` (background job).
    RemoveDataType(AttrRef),
}

/// The attribute of an `add-attr` step.
///
/// Key order on the wire: `forward-identity, reverse-identity, inferred-types, value-type, id,
/// cardinality, index?, required?, unique?, catalog, on-delete?, on-delete-reverse?,
/// checked-data-type?`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewAttr {
    /// The attribute id.
    pub id: String,
    /// `[identId, etype, label]`; the client diff uses the attribute id as the ident id.
    #[serde(rename = "forward-identity")]
    pub forward_identity: Ident,
    /// The other side, for links; written as `null` for data attributes.
    #[serde(rename = "reverse-identity", default)]
    pub reverse_identity: Option<Ident>,
    /// `inferred-types`; written as `null` when `None`.
    #[serde(rename = "inferred-types", default)]
    pub inferred_types: Option<Vec<String>>,
    /// `blob` or `ref`.
    #[serde(rename = "value-type")]
    pub value_type: AttrValueType,
    /// `one` or `many`.
    pub cardinality: Has,
    /// `index?` (always `false` from the client diff, which indexes in a later step).
    #[serde(rename = "index?", default)]
    pub index: bool,
    /// `required?` (likewise `false` from the client diff).
    #[serde(rename = "required?", default)]
    pub required: bool,
    /// `unique?` (likewise `false` from the client diff).
    #[serde(rename = "unique?", default)]
    pub unique: bool,
    /// `catalog`.
    #[serde(default)]
    pub catalog: Catalog,
    /// `on-delete`, omitted when `None`.
    #[serde(rename = "on-delete", default)]
    pub on_delete: Option<OnDelete>,
    /// `on-delete-reverse`, omitted when `None`.
    #[serde(rename = "on-delete-reverse", default)]
    pub on_delete_reverse: Option<OnDelete>,
    /// `checked-data-type`: `None` omits the key (an entity's `id`), `Some(None)` writes `null`.
    #[serde(
        rename = "checked-data-type",
        default,
        deserialize_with = "super::present"
    )]
    pub checked_data_type: Option<Option<CheckedDataType>>,
}

/// The payload of an `update-attr` step: the attribute id and what changes.
///
/// Server caveat: applying it always writes `on-delete` and `on-delete-reverse`, clearing them
/// when absent, so a rename of a cascading link drops the cascade unless it is re-sent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AttrUpdate {
    /// The attribute id.
    pub id: String,
    /// New owning identity (the client diff reuses the attribute id as ident id).
    #[serde(rename = "forward-identity", default)]
    pub forward_identity: Option<Ident>,
    /// New reverse identity.
    #[serde(rename = "reverse-identity", default)]
    pub reverse_identity: Option<Ident>,
    /// New cardinality.
    #[serde(default)]
    pub cardinality: Option<Has>,
    /// New `on-delete`.
    #[serde(rename = "on-delete", default)]
    pub on_delete: Option<OnDelete>,
    /// New `on-delete-reverse`.
    #[serde(rename = "on-delete-reverse", default)]
    pub on_delete_reverse: Option<OnDelete>,
    /// `unique?`, which the server's additive plan may send (the client diff never does).
    #[serde(rename = "unique?", default)]
    pub unique: Option<bool>,
}

/// The payload of the background steps: `{attr-id, forward-identity}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrRef {
    /// The attribute id.
    pub attr_id: String,
    /// The attribute's forward identity (for display).
    pub forward_identity: Ident,
    /// `job-id`, added by the server in apply responses.
    pub job_id: Option<String>,
}

/// The payload of `check-data-type`: `{attr-id, checked-data-type, forward-identity}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDataType {
    /// The attribute id.
    pub attr_id: String,
    /// The type to enforce.
    pub checked_data_type: CheckedDataType,
    /// The attribute's forward identity (for display).
    pub forward_identity: Ident,
    /// `job-id`, added by the server in apply responses.
    pub job_id: Option<String>,
}

impl PlanStep {
    /// The step's type string, e.g. `"add-attr"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            PlanStep::AddAttr(_) => "add-attr",
            PlanStep::UpdateAttr(_) => "update-attr",
            PlanStep::DeleteAttr(_) => "delete-attr",
            PlanStep::Index(_) => "index",
            PlanStep::RemoveIndex(_) => "remove-index",
            PlanStep::Unique(_) => "unique",
            PlanStep::RemoveUnique(_) => "remove-unique",
            PlanStep::Required(_) => "required",
            PlanStep::RemoveRequired(_) => "remove-required",
            PlanStep::CheckDataType(_) => "check-data-type",
            PlanStep::RemoveDataType(_) => "remove-data-type",
        }
    }

    /// Whether the server runs the step as a background indexing job (all but `add-attr`,
    /// `update-attr` and `delete-attr`).
    pub fn is_background(&self) -> bool {
        !matches!(
            self,
            PlanStep::AddAttr(_) | PlanStep::UpdateAttr(_) | PlanStep::DeleteAttr(_)
        )
    }

    /// The background job the server started for the step (`job-id`, present in apply
    /// responses for [background](PlanStep::is_background) steps only).
    pub fn job_id(&self) -> Option<&str> {
        match self {
            PlanStep::CheckDataType(check) => check.job_id.as_deref(),
            PlanStep::Index(r)
            | PlanStep::RemoveIndex(r)
            | PlanStep::Unique(r)
            | PlanStep::RemoveUnique(r)
            | PlanStep::Required(r)
            | PlanStep::RemoveRequired(r)
            | PlanStep::RemoveDataType(r) => r.job_id.as_deref(),
            PlanStep::AddAttr(_) | PlanStep::UpdateAttr(_) | PlanStep::DeleteAttr(_) => None,
        }
    }

    /// The id of the attribute the step is about.
    pub fn attr_id(&self) -> &str {
        match self {
            PlanStep::AddAttr(attr) => &attr.id,
            PlanStep::UpdateAttr(update) => &update.id,
            PlanStep::DeleteAttr(id) => id,
            PlanStep::CheckDataType(check) => &check.attr_id,
            PlanStep::Index(r)
            | PlanStep::RemoveIndex(r)
            | PlanStep::Unique(r)
            | PlanStep::RemoveUnique(r)
            | PlanStep::Required(r)
            | PlanStep::RemoveRequired(r)
            | PlanStep::RemoveDataType(r) => &r.attr_id,
        }
    }

    /// Upstream's `friendlyDescription` of the step (`translatePlanSteps`), e.g.
    /// `Add attribute posts.title.`; `current_attrs` names deleted attributes.
    ///
    /// Kept as upstream prints it, including its quirk: an `update-attr` without a
    /// `forward-identity` (a cascade or cardinality change) reads `Update attribute
    /// undefined.undefined.`, and a link without reverse identity `Link a.b to undefined.`.
    pub fn friendly_description(&self, current_attrs: &[ApiAttr]) -> String {
        let name = |ident: &Ident| ident.name();
        match self {
            PlanStep::AddAttr(attr) => {
                let fwd = name(&attr.forward_identity);
                match attr.value_type {
                    AttrValueType::Blob if attr.forward_identity.label == "id" => {
                        format!("Create new entity {fwd}.")
                    }
                    AttrValueType::Blob => format!("Add attribute {fwd}."),
                    AttrValueType::Ref => format!(
                        "Link {fwd} to {}.",
                        attr.reverse_identity
                            .as_ref()
                            .map_or_else(|| "undefined".to_owned(), name)
                    ),
                }
            }
            PlanStep::UpdateAttr(update) => format!(
                "Update attribute {}.",
                update
                    .forward_identity
                    .as_ref()
                    .map_or_else(|| "undefined.undefined".to_owned(), name)
            ),
            PlanStep::DeleteAttr(id) => format!(
                "Delete attribute {}.",
                current_attrs
                    .iter()
                    .find(|attr| &attr.id == id)
                    .map_or_else(|| id.clone(), |attr| attr.forward_name())
            ),
            PlanStep::Index(r) => format!("Add index to {}.", name(&r.forward_identity)),
            PlanStep::RemoveIndex(r) => format!("Remove index from {}.", name(&r.forward_identity)),
            PlanStep::Unique(r) => format!("Ensure that {} is unique.", name(&r.forward_identity)),
            PlanStep::RemoveUnique(r) => format!(
                "Remove uniqueness constraint from {}.",
                name(&r.forward_identity)
            ),
            PlanStep::Required(r) => {
                format!("Make {} a required attribute.", name(&r.forward_identity))
            }
            PlanStep::RemoveRequired(r) => {
                format!("Allow {} to be missing or null.", name(&r.forward_identity))
            }
            PlanStep::CheckDataType(check) => format!(
                "Enforce data type of {} as type {}.",
                name(&check.forward_identity),
                check.checked_data_type.as_str()
            ),
            PlanStep::RemoveDataType(r) => {
                format!("Stop enforcing data type of {}.", name(&r.forward_identity))
            }
        }
    }

    /// The step as upstream's `translatePlanSteps` returns it (`PlanStep` objects of
    /// `planSchemaPush`): `{type, friendlyDescription, attr}` for `add-attr`/`update-attr`,
    /// `{type, attrId, friendlyDescription}` for `delete-attr`, and `{type, friendlyDescription,
    /// attrId, forwardIdentity, checkedDataType?}` for the background steps.
    pub fn to_translated_json(&self, current_attrs: &[ApiAttr]) -> Value {
        let description = Value::from(self.friendly_description(current_attrs));
        let mut map = Map::new();
        map.insert("type".to_owned(), Value::from(self.type_name()));
        match self {
            PlanStep::AddAttr(_) | PlanStep::UpdateAttr(_) => {
                map.insert("friendlyDescription".to_owned(), description);
                map.insert("attr".to_owned(), self.payload_json());
            }
            PlanStep::DeleteAttr(id) => {
                map.insert("attrId".to_owned(), Value::from(id.as_str()));
                map.insert("friendlyDescription".to_owned(), description);
            }
            PlanStep::CheckDataType(check) => {
                map.insert("friendlyDescription".to_owned(), description);
                map.insert("attrId".to_owned(), Value::from(check.attr_id.as_str()));
                map.insert(
                    "forwardIdentity".to_owned(),
                    ident_json(&check.forward_identity),
                );
                map.insert(
                    "checkedDataType".to_owned(),
                    Value::from(check.checked_data_type.as_str()),
                );
            }
            PlanStep::Index(r)
            | PlanStep::RemoveIndex(r)
            | PlanStep::Unique(r)
            | PlanStep::RemoveUnique(r)
            | PlanStep::Required(r)
            | PlanStep::RemoveRequired(r)
            | PlanStep::RemoveDataType(r) => {
                map.insert("friendlyDescription".to_owned(), description);
                map.insert("attrId".to_owned(), Value::from(r.attr_id.as_str()));
                map.insert(
                    "forwardIdentity".to_owned(),
                    ident_json(&r.forward_identity),
                );
            }
        }
        Value::Object(map)
    }

    fn payload_json(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Array(mut items)) if items.len() == 2 => items.swap_remove(1),
            _ => Value::Null,
        }
    }
}

/// The attribute an `add-attr` step creates, as the server then reports it (what an emulator
/// stores when it applies the step).
impl From<NewAttr> for ApiAttr {
    fn from(attr: NewAttr) -> ApiAttr {
        ApiAttr {
            id: attr.id,
            value_type: attr.value_type,
            cardinality: attr.cardinality,
            forward_identity: attr.forward_identity,
            reverse_identity: attr.reverse_identity,
            unique: attr.unique,
            index: attr.index,
            required: attr.required,
            inferred_types: attr.inferred_types,
            catalog: attr.catalog,
            on_delete: attr.on_delete,
            on_delete_reverse: attr.on_delete_reverse,
            checked_data_type: attr.checked_data_type.flatten(),
            indexing: None,
            checking_data_type: None,
            setting_unique: None,
            deletion_marked_at: None,
            metadata: None,
        }
    }
}

fn ident_json(ident: &Ident) -> Value {
    serde_json::to_value(ident).unwrap_or(Value::Null)
}

impl Serialize for PlanStep {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(2)?;
        tuple.serialize_element(self.type_name())?;
        match self {
            PlanStep::AddAttr(attr) => tuple.serialize_element(attr)?,
            PlanStep::UpdateAttr(update) => tuple.serialize_element(update)?,
            PlanStep::DeleteAttr(id) => tuple.serialize_element(id)?,
            PlanStep::CheckDataType(check) => tuple.serialize_element(check)?,
            PlanStep::Index(r)
            | PlanStep::RemoveIndex(r)
            | PlanStep::Unique(r)
            | PlanStep::RemoveUnique(r)
            | PlanStep::Required(r)
            | PlanStep::RemoveRequired(r)
            | PlanStep::RemoveDataType(r) => tuple.serialize_element(r)?,
        }
        tuple.end()
    }
}

impl Serialize for NewAttr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("forward-identity", &self.forward_identity)?;
        map.serialize_entry("reverse-identity", &self.reverse_identity)?;
        map.serialize_entry("inferred-types", &self.inferred_types)?;
        map.serialize_entry("value-type", &self.value_type)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("cardinality", &self.cardinality)?;
        map.serialize_entry("index?", &self.index)?;
        map.serialize_entry("required?", &self.required)?;
        map.serialize_entry("unique?", &self.unique)?;
        map.serialize_entry("catalog", &self.catalog)?;
        if let Some(on_delete) = &self.on_delete {
            map.serialize_entry("on-delete", on_delete)?;
        }
        if let Some(on_delete) = &self.on_delete_reverse {
            map.serialize_entry("on-delete-reverse", on_delete)?;
        }
        if let Some(checked) = &self.checked_data_type {
            map.serialize_entry("checked-data-type", checked)?;
        }
        map.end()
    }
}

impl Serialize for AttrUpdate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        if let Some(forward) = &self.forward_identity {
            map.serialize_entry("forward-identity", forward)?;
        }
        if let Some(reverse) = &self.reverse_identity {
            map.serialize_entry("reverse-identity", reverse)?;
        }
        if let Some(cardinality) = &self.cardinality {
            map.serialize_entry("cardinality", cardinality)?;
        }
        if let Some(on_delete) = &self.on_delete {
            map.serialize_entry("on-delete", on_delete)?;
        }
        if let Some(on_delete) = &self.on_delete_reverse {
            map.serialize_entry("on-delete-reverse", on_delete)?;
        }
        if let Some(unique) = &self.unique {
            map.serialize_entry("unique?", unique)?;
        }
        map.end()
    }
}

impl Serialize for AttrRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("attr-id", &self.attr_id)?;
        map.serialize_entry("forward-identity", &self.forward_identity)?;
        if let Some(job_id) = &self.job_id {
            map.serialize_entry("job-id", job_id)?;
        }
        map.end()
    }
}

impl Serialize for CheckDataType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("attr-id", &self.attr_id)?;
        map.serialize_entry("checked-data-type", &self.checked_data_type)?;
        map.serialize_entry("forward-identity", &self.forward_identity)?;
        if let Some(job_id) = &self.job_id {
            map.serialize_entry("job-id", job_id)?;
        }
        map.end()
    }
}

#[derive(Deserialize)]
struct RawRef {
    #[serde(rename = "attr-id")]
    attr_id: String,
    #[serde(rename = "forward-identity")]
    forward_identity: Ident,
    #[serde(rename = "checked-data-type", default)]
    checked_data_type: Option<CheckedDataType>,
    #[serde(rename = "job-id", default)]
    job_id: Option<String>,
}

impl<'de> Deserialize<'de> for PlanStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (type_name, payload): (String, Value) = Deserialize::deserialize(deserializer)?;
        let parse = |payload: Value| -> Result<RawRef, D::Error> {
            serde_json::from_value(payload).map_err(de::Error::custom)
        };
        let attr_ref = |payload: Value| -> Result<AttrRef, D::Error> {
            let raw = parse(payload)?;
            Ok(AttrRef {
                attr_id: raw.attr_id,
                forward_identity: raw.forward_identity,
                job_id: raw.job_id,
            })
        };
        Ok(match type_name.as_str() {
            "add-attr" => {
                PlanStep::AddAttr(serde_json::from_value(payload).map_err(de::Error::custom)?)
            }
            "update-attr" => {
                PlanStep::UpdateAttr(serde_json::from_value(payload).map_err(de::Error::custom)?)
            }
            "delete-attr" => {
                PlanStep::DeleteAttr(serde_json::from_value(payload).map_err(de::Error::custom)?)
            }
            "index" => PlanStep::Index(attr_ref(payload)?),
            "remove-index" => PlanStep::RemoveIndex(attr_ref(payload)?),
            "unique" => PlanStep::Unique(attr_ref(payload)?),
            "remove-unique" => PlanStep::RemoveUnique(attr_ref(payload)?),
            "required" => PlanStep::Required(attr_ref(payload)?),
            "remove-required" => PlanStep::RemoveRequired(attr_ref(payload)?),
            "remove-data-type" => PlanStep::RemoveDataType(attr_ref(payload)?),
            "check-data-type" => {
                let raw = parse(payload)?;
                PlanStep::CheckDataType(CheckDataType {
                    attr_id: raw.attr_id,
                    checked_data_type: raw
                        .checked_data_type
                        .ok_or_else(|| de::Error::missing_field("checked-data-type"))?,
                    forward_identity: raw.forward_identity,
                    job_id: raw.job_id,
                })
            }
            // Upstream's translatePlanSteps throws the same message.
            other => {
                return Err(de::Error::custom(format_args!(
                    "Unknown schema operation {other}."
                )));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_come_from_background_steps_of_apply_responses() {
        let ident = serde_json::json!(["ident-1", "todos", "title"]);
        let steps: Vec<PlanStep> = serde_json::from_value(serde_json::json!([
            ["index", {"attr-id": "a", "forward-identity": ident, "job-id": "job-1"}],
            ["unique", {"attr-id": "a", "forward-identity": ident}],
            ["check-data-type", {"attr-id": "a", "checked-data-type": "string",
                                 "forward-identity": ident, "job-id": "job-2"}],
            ["delete-attr", "a"],
        ]))
        .unwrap();
        let ids: Vec<Option<&str>> = steps.iter().map(PlanStep::job_id).collect();
        assert_eq!(ids, [Some("job-1"), None, Some("job-2"), None]);
    }
}
