//! Attributes: the server's schema unit (`db/model/attr.clj`), the system catalog
//! (`system_catalog.clj`) and their JSON forms.
//!
//! An attribute is either a blob (a value on an entity) or a ref (a link between two entities,
//! with a forward and a reverse identity). The API JSON is kebab-case with `?` suffixes and lives
//! only in [`Attr::to_api_json`] and [`Attr::from_api_json`]; the persisted form is the serde
//! derive below, which is the emulator's own and may change between versions of this crate
//! only with a migration.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// `[ident-id, etype, label]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ident {
    pub(crate) id: Uuid,
    pub(crate) etype: String,
    pub(crate) label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ValueKind {
    Blob,
    Ref,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Cardinality {
    One,
    Many,
}

/// A checked data type (`checked-data-type`). `json`/`any` attributes have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DataType {
    String,
    Number,
    Boolean,
    Date,
}

impl DataType {
    pub(crate) fn parse(text: &str) -> Option<DataType> {
        match text {
            "string" => Some(DataType::String),
            "number" => Some(DataType::Number),
            "boolean" => Some(DataType::Boolean),
            "date" => Some(DataType::Date),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Number => "number",
            DataType::Boolean => "boolean",
            DataType::Date => "date",
        }
    }

    /// Whether `value` may be stored in an attribute of this type. `null` always may: it is how
    /// an optional attribute is cleared.
    pub(crate) fn accepts(self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) => true,
            (DataType::String, Value::String(_)) => true,
            (DataType::Number, Value::Number(_)) => true,
            (DataType::Boolean, Value::Bool(_)) => true,
            (DataType::Date, Value::Number(_)) => true,
            (DataType::Date, Value::String(text)) => crate::clock::parse_date(text).is_some(),
            _ => false,
        }
    }
}

/// Postgres' `jsonb_typeof` of a JSON value, as the server reports it in job samples and
/// error messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One attribute of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Attr {
    pub(crate) id: Uuid,
    pub(crate) forward: Ident,
    pub(crate) reverse: Option<Ident>,
    pub(crate) value_type: ValueKind,
    pub(crate) cardinality: Cardinality,
    pub(crate) unique: bool,
    pub(crate) index: bool,
    pub(crate) required: bool,
    pub(crate) checked_data_type: Option<DataType>,
    /// `on-delete: cascade`: deleting the reverse-side entity deletes the forward-side one.
    pub(crate) on_delete: bool,
    /// `on-delete-reverse: cascade`: deleting the forward-side entity deletes the reverse one.
    pub(crate) on_delete_reverse: bool,
    /// `catalog: system` (built into every app) or `user`.
    pub(crate) system: bool,
    /// A background job is building the index (`indexing?`).
    #[serde(default)]
    pub(crate) indexing: bool,
    /// A background job is checking uniqueness (`setting-unique?`).
    #[serde(default)]
    pub(crate) setting_unique: bool,
    /// A background job is checking the data type (`checking-data-type?`).
    #[serde(default)]
    pub(crate) checking_data_type: bool,
    /// Bit set of the JSON types written so far (`inferred-types`), see [`Attr::infer`].
    #[serde(default)]
    pub(crate) inferred: u8,
}

const INFERRED_NAMES: [&str; 4] = ["number", "string", "boolean", "json"];

impl Attr {
    /// A new untyped blob attribute, as the admin transact path creates them on the fly.
    pub(crate) fn new_blob(etype: &str, label: &str) -> Attr {
        Attr {
            id: Uuid::new_v4(),
            forward: Ident {
                id: Uuid::new_v4(),
                etype: etype.to_owned(),
                label: label.to_owned(),
            },
            reverse: None,
            value_type: ValueKind::Blob,
            cardinality: Cardinality::One,
            unique: false,
            index: false,
            required: false,
            checked_data_type: None,
            on_delete: false,
            on_delete_reverse: false,
            system: false,
            indexing: false,
            setting_unique: false,
            checking_data_type: false,
            inferred: 0,
        }
    }

    /// A new many-to-many ref attribute `etype.label` ↔ `label.etype`, as the admin transact
    /// path creates them for unknown link labels (the reverse namespace is named after the
    /// label).
    pub(crate) fn new_ref(etype: &str, label: &str) -> Attr {
        Attr {
            reverse: Some(Ident {
                id: Uuid::new_v4(),
                etype: label.to_owned(),
                label: etype.to_owned(),
            }),
            value_type: ValueKind::Ref,
            cardinality: Cardinality::Many,
            ..Attr::new_blob(etype, label)
        }
    }

    pub(crate) fn is_ref(&self) -> bool {
        self.value_type == ValueKind::Ref
    }

    /// `etype.label` of the forward identity.
    pub(crate) fn fwd_name(&self) -> String {
        format!("{}.{}", self.forward.etype, self.forward.label)
    }

    /// Records the JSON type of a written value in `inferred-types`.
    pub(crate) fn infer(&mut self, value: &Value) {
        let bit = match value {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Null => return,
            _ => 3,
        };
        self.inferred |= 1 << bit;
    }

    /// The API JSON (`InstantDBAttr`): kebab-case, `?` suffixes, optional keys absent.
    pub(crate) fn to_api_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("forward-identity".into(), ident_json(&self.forward));
        if let Some(reverse) = &self.reverse {
            out.insert("reverse-identity".into(), ident_json(reverse));
        }
        out.insert(
            "value-type".into(),
            json!(if self.is_ref() { "ref" } else { "blob" }),
        );
        out.insert(
            "cardinality".into(),
            json!(match self.cardinality {
                Cardinality::One => "one",
                Cardinality::Many => "many",
            }),
        );
        out.insert("unique?".into(), json!(self.unique));
        out.insert("index?".into(), json!(self.index));
        out.insert("required?".into(), json!(self.required));
        let inferred: Vec<&str> = INFERRED_NAMES
            .iter()
            .enumerate()
            .filter(|(bit, _)| self.inferred & (1 << bit) != 0)
            .map(|(_, name)| *name)
            .collect();
        out.insert(
            "inferred-types".into(),
            if inferred.is_empty() {
                Value::Null
            } else {
                json!(inferred)
            },
        );
        out.insert(
            "catalog".into(),
            json!(if self.system { "system" } else { "user" }),
        );
        if let Some(data_type) = self.checked_data_type {
            out.insert("checked-data-type".into(), json!(data_type.as_str()));
        }
        if self.is_ref() {
            out.insert("on-delete".into(), cascade_json(self.on_delete));
            out.insert(
                "on-delete-reverse".into(),
                cascade_json(self.on_delete_reverse),
            );
        }
        for (flag, key) in [
            (self.indexing, "indexing?"),
            (self.setting_unique, "setting-unique?"),
            (self.checking_data_type, "checking-data-type?"),
        ] {
            if flag {
                out.insert(key.into(), json!(true));
            }
        }
        Value::Object(out)
    }

    /// Reads an `add-attr` payload (kebab-case keys, as the transact and steps/apply endpoints
    /// take them). Returns the list of problems when it is not a valid attribute.
    pub(crate) fn from_api_json(value: &Value) -> Result<Attr, String> {
        let object = value.as_object().ok_or("attr must be an object")?;
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .and_then(|text| Uuid::parse_str(text).ok())
            .ok_or("attr needs a uuid `id`")?;
        let forward = object
            .get("forward-identity")
            .and_then(ident_from_json)
            .ok_or("attr needs `forward-identity` [uuid, etype, label]")?;
        let value_type = match object.get("value-type").and_then(Value::as_str) {
            Some("blob") => ValueKind::Blob,
            Some("ref") => ValueKind::Ref,
            _ => return Err("attr needs `value-type` blob or ref".into()),
        };
        let cardinality = match object.get("cardinality").and_then(Value::as_str) {
            Some("one") => Cardinality::One,
            Some("many") => Cardinality::Many,
            _ => return Err("attr needs `cardinality` one or many".into()),
        };
        let reverse = match object.get("reverse-identity") {
            None | Some(Value::Null) => None,
            Some(other) => Some(
                ident_from_json(other).ok_or("`reverse-identity` must be [uuid, etype, label]")?,
            ),
        };
        if value_type == ValueKind::Ref && reverse.is_none() {
            return Err("ref attrs need a `reverse-identity`".into());
        }
        let flag = |key: &str| object.get(key).and_then(Value::as_bool).unwrap_or(false);
        if !object.get("unique?").is_some_and(Value::is_boolean)
            || !object.get("index?").is_some_and(Value::is_boolean)
        {
            return Err("attr needs boolean `unique?` and `index?`".into());
        }
        let checked_data_type = match object.get("checked-data-type") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(
                DataType::parse(text)
                    .ok_or("`checked-data-type` must be string, number, boolean or date")?,
            ),
            Some(_) => return Err("`checked-data-type` must be a string".into()),
        };
        Ok(Attr {
            id,
            forward,
            reverse,
            value_type,
            cardinality,
            unique: flag("unique?"),
            index: flag("index?"),
            required: flag("required?"),
            checked_data_type,
            on_delete: is_cascade(object.get("on-delete")),
            on_delete_reverse: is_cascade(object.get("on-delete-reverse")),
            system: false,
            indexing: false,
            setting_unique: false,
            checking_data_type: false,
            inferred: 0,
        })
    }
}

fn ident_json(ident: &Ident) -> Value {
    json!([ident.id, ident.etype, ident.label])
}

pub(crate) fn ident_from_json(value: &Value) -> Option<Ident> {
    let items = value.as_array()?;
    match items.as_slice() {
        [id, etype, label] => {
            let etype = etype.as_str()?.trim();
            let label = label.as_str()?.trim();
            if etype.is_empty() || label.is_empty() {
                return None;
            }
            Some(Ident {
                id: Uuid::parse_str(id.as_str()?).ok()?,
                etype: etype.to_owned(),
                label: label.to_owned(),
            })
        }
        _ => None,
    }
}

fn cascade_json(cascade: bool) -> Value {
    if cascade {
        json!("cascade")
    } else {
        Value::Null
    }
}

pub(crate) fn is_cascade(value: Option<&Value>) -> bool {
    value.and_then(Value::as_str) == Some("cascade")
}

/// An app's attributes in creation order, with the lookups the server does by ident name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Attrs {
    pub(crate) by_id: IndexMap<Uuid, Attr>,
}

impl Attrs {
    /// Every app starts with the system catalog's visible attributes.
    pub(crate) fn with_system_catalog() -> Attrs {
        let mut attrs = Attrs::default();
        for attr in system_catalog() {
            attrs.by_id.insert(attr.id, attr);
        }
        attrs
    }

    pub(crate) fn get(&self, id: &Uuid) -> Option<&Attr> {
        self.by_id.get(id)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Attr> {
        self.by_id.values()
    }

    /// The attribute whose forward identity is `etype.label` (`seek-by-fwd-ident-name`).
    pub(crate) fn by_fwd(&self, etype: &str, label: &str) -> Option<&Attr> {
        self.iter()
            .find(|attr| attr.forward.etype == etype && attr.forward.label == label)
    }

    /// The ref attribute whose reverse identity is `etype.label` (`seek-by-rev-ident-name`).
    pub(crate) fn by_rev(&self, etype: &str, label: &str) -> Option<&Attr> {
        self.iter().find(|attr| {
            attr.reverse
                .as_ref()
                .is_some_and(|reverse| reverse.etype == etype && reverse.label == label)
        })
    }

    /// The blob attributes of `etype`, in order (what an entity object shows).
    pub(crate) fn blobs_of<'a>(&'a self, etype: &'a str) -> impl Iterator<Item = &'a Attr> + 'a {
        self.iter()
            .filter(move |attr| !attr.is_ref() && attr.forward.etype == etype)
    }

    pub(crate) fn insert(&mut self, attr: Attr) {
        self.by_id.insert(attr.id, attr);
    }
}

/// A link label seen from one entity type: the attribute and the direction it is walked in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkSide<'a> {
    pub(crate) attr: &'a Attr,
    /// `true` when `etype` is the forward side (the entity holds the ref triples).
    pub(crate) forward: bool,
}

impl<'a> LinkSide<'a> {
    /// The entity type at the other end.
    pub(crate) fn target_etype(&self) -> &'a str {
        if self.forward {
            self.attr
                .reverse
                .as_ref()
                .map_or("", |reverse| reverse.etype.as_str())
        } else {
            self.attr.forward.etype.as_str()
        }
    }

    /// Whether the other end is a single entity (drives `inference?`): forward with
    /// cardinality one, or reverse of a unique link.
    pub(crate) fn is_singular(&self) -> bool {
        if self.forward {
            self.attr.cardinality == Cardinality::One
        } else {
            self.attr.unique
        }
    }
}

impl Attrs {
    /// Resolves a link label on `etype`, forward first as the server does.
    pub(crate) fn link(&self, etype: &str, label: &str) -> Option<LinkSide<'_>> {
        if let Some(attr) = self.by_fwd(etype, label).filter(|attr| attr.is_ref()) {
            return Some(LinkSide {
                attr,
                forward: true,
            });
        }
        self.by_rev(etype, label).map(|attr| LinkSide {
            attr,
            forward: false,
        })
    }
}

// ---- System catalog -------------------------------------------------------------------------

const NAME_CHARS: &str = "abcdefghijklmnopqrstuvwxzy/";

/// `encode-string->long`: five bits per character from [`NAME_CHARS`], padded with ones.
fn encode_string(input: &str) -> u64 {
    let mut bits: u64 = 0;
    let mut used = 0;
    // At most 12 characters fit; every input here is a fixed short code.
    for ch in input.chars().take(12) {
        let index = NAME_CHARS.find(ch).unwrap_or(31) as u64;
        bits = (bits << 5) | (index & 0x1f);
        used += 5;
    }
    let pad = 64 - used;
    (bits << pad) | ((1u64 << pad) - 1)
}

fn etype_shortcode(etype: &str) -> &'static str {
    match etype {
        "$users" => "us",
        "$files" => "fi",
        "$streams" => "st",
        _ => "xx",
    }
}

fn label_shortcode(label: &str) -> &str {
    match label {
        "$files" => "$files",
        "content-disposition" => "cdisp",
        "content-type" => "ctype",
        "imageURL" => "imageurl",
        "key-version" => "kv",
        "hashedReconnectToken" => "hashretok",
        "linkedGuestUsers" => "lgu",
        "linkedPrimaryUser" => "lpu",
        "location-id" => "lid",
        "machineId" => "machineid",
        "abortReason" => "abrtreasn",
        "clientId" => "clientid",
        "$stream" => "stream",
        "$users" => "us",
        other => other,
    }
}

/// The system catalog's deterministic ids (`encode-system-uuid`), so the emulator's system attrs
/// have the same ids as the real server's.
fn system_uuid(kind: &str, etype: &str, label: &str) -> Uuid {
    let label = if label == "$files" {
        etype_shortcode("$files")
    } else {
        label_shortcode(label)
    };
    let msb = encode_string(&format!("system{kind}"));
    let lsb = encode_string(&format!("{}/{}", etype_shortcode(etype), label));
    Uuid::from_u64_pair(msb, lsb)
}

fn system_ident(etype: &str, label: &str) -> Ident {
    Ident {
        id: system_uuid("id", etype, label),
        etype: etype.to_owned(),
        label: label.to_owned(),
    }
}

struct SystemAttr {
    etype: &'static str,
    label: &'static str,
    unique: bool,
    index: bool,
    required: bool,
    data_type: Option<DataType>,
}

const fn sys(
    etype: &'static str,
    label: &'static str,
    unique: bool,
    index: bool,
    required: bool,
    data_type: Option<DataType>,
) -> SystemAttr {
    SystemAttr {
        etype,
        label,
        unique,
        index,
        required,
        data_type,
    }
}

const SYSTEM_BLOBS: &[SystemAttr] = &[
    sys("$users", "id", true, true, false, None),
    sys("$users", "email", true, true, false, Some(DataType::String)),
    sys(
        "$users",
        "type",
        false,
        false,
        false,
        Some(DataType::String),
    ),
    sys(
        "$users",
        "imageURL",
        false,
        false,
        false,
        Some(DataType::String),
    ),
    sys("$files", "id", true, true, false, None),
    sys("$files", "path", true, true, true, Some(DataType::String)),
    sys("$files", "size", false, true, true, Some(DataType::Number)),
    sys(
        "$files",
        "content-type",
        false,
        true,
        false,
        Some(DataType::String),
    ),
    sys(
        "$files",
        "content-disposition",
        false,
        true,
        false,
        Some(DataType::String),
    ),
    sys(
        "$files",
        "location-id",
        true,
        true,
        true,
        Some(DataType::String),
    ),
    sys(
        "$files",
        "key-version",
        false,
        false,
        false,
        Some(DataType::Number),
    ),
    sys("$files", "url", false, false, false, Some(DataType::String)),
    sys("$streams", "id", true, true, false, None),
    sys(
        "$streams",
        "clientId",
        true,
        true,
        true,
        Some(DataType::String),
    ),
    sys(
        "$streams",
        "machineId",
        false,
        false,
        false,
        Some(DataType::String),
    ),
    sys(
        "$streams",
        "done",
        false,
        false,
        false,
        Some(DataType::Boolean),
    ),
    sys(
        "$streams",
        "size",
        false,
        false,
        false,
        Some(DataType::Number),
    ),
    sys(
        "$streams",
        "hashedReconnectToken",
        false,
        false,
        false,
        Some(DataType::String),
    ),
    sys(
        "$streams",
        "abortReason",
        false,
        false,
        false,
        Some(DataType::String),
    ),
];

/// The system attributes of `$users`, `$files` and `$streams` (the only system namespaces the
/// API shows), with upstream's ids and flags.
pub(crate) fn system_catalog() -> Vec<Attr> {
    let mut attrs: Vec<Attr> = SYSTEM_BLOBS
        .iter()
        .map(|spec| Attr {
            id: system_uuid("at", spec.etype, spec.label),
            forward: system_ident(spec.etype, spec.label),
            reverse: None,
            value_type: ValueKind::Blob,
            cardinality: Cardinality::One,
            unique: spec.unique,
            index: spec.index,
            required: spec.required,
            checked_data_type: spec.data_type,
            on_delete: false,
            on_delete_reverse: false,
            system: true,
            indexing: false,
            setting_unique: false,
            checking_data_type: false,
            inferred: 0,
        })
        .collect();
    let link = |etype: &str, label: &str, rev_etype: &str, rev_label: &str| Attr {
        id: system_uuid("at", etype, label),
        forward: system_ident(etype, label),
        reverse: Some(system_ident(rev_etype, rev_label)),
        value_type: ValueKind::Ref,
        system: true,
        ..Attr::new_blob(etype, label)
    };
    attrs.insert(
        4,
        Attr {
            on_delete: true,
            ..link("$users", "linkedPrimaryUser", "$users", "linkedGuestUsers")
        },
    );
    attrs.push(Attr {
        cardinality: Cardinality::Many,
        unique: true,
        on_delete_reverse: true,
        ..link("$streams", "$files", "$files", "$stream")
    });
    attrs
}

/// Whether `etype.label` is a system identity users may not create or rename.
pub(crate) fn is_reserved_ident(etype: &str, label: &str) -> bool {
    SYSTEM_BLOBS
        .iter()
        .any(|spec| spec.etype == etype && spec.label == label)
        || matches!(
            (etype, label),
            ("$users", "linkedPrimaryUser")
                | ("$users", "linkedGuestUsers")
                | ("$streams", "$files")
                | ("$files", "$stream")
        )
}

/// Attrs the API schema hides (`remove-hidden`): internal `$files` and `$streams` columns.
pub(crate) fn is_hidden(attr: &Attr) -> bool {
    let etype = attr.forward.etype.as_str();
    let label = attr.forward.label.as_str();
    (etype == "$files"
        && matches!(
            label,
            "content-type" | "content-disposition" | "size" | "location-id" | "key-version"
        ))
        || (etype == "$streams" && matches!(label, "machineId" | "hashedReconnectToken"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_ids_match_upstream_encoding() {
        // Checked against `(encode-system-uuid :attr "$users" "email")` semantics: the most
        // significant half encodes "systemat", the least "us/email", five bits per character.
        let id = system_uuid("at", "$users", "email");
        let (msb, lsb) = id.as_u64_pair();
        assert_eq!(msb, encode_string("systemat"));
        assert_eq!(lsb, encode_string("us/email"));
        assert_ne!(system_uuid("id", "$users", "email"), id);
    }

    #[test]
    fn api_json_round_trips() {
        let attr = Attr::new_ref("goals", "todos");
        let back = Attr::from_api_json(&attr.to_api_json()).unwrap();
        assert_eq!(back.forward, attr.forward);
        assert_eq!(back.reverse, attr.reverse);
        assert_eq!(back.cardinality, Cardinality::Many);
        assert!(Attr::from_api_json(&json!({"id": "x"})).is_err());
    }
}
