//! Permission rules: the `InstantRules` object of `instant.perms.ts`.
//!
//! ```json
//! {"$default": {"allow": {"$default": "false"}},
//!  "attrs": {"allow": {"create": "false"}},
//!  "posts": {"bind": ["isOwner", "auth.id == data.ownerId"],
//!            "allow": {"view": "true", "update": "isOwner", "link": {"author": "isOwner"}},
//!            "fields": {"email": "isOwner"}},
//!  "$rateLimits": {"signups": {"limits": [{"capacity": 5}]}}}
//! ```
//!
//! Rules are data the user wrote, so the model is lossless: reading and writing them back gives
//! the same JSON, key order included (code generation prints them with `JSON.stringify`, so
//! order is visible in `instant.perms.ts`). Known keys with the expected type are typed; every
//! other value is kept verbatim in the block's `extra` map: `null` rules (allowed by
//! `InstantRules`, meaning "no rule"), keys the model does not know, and values of another type
//! than `InstantRules` declares (upstream's perms-file parser accepts e.g. `create: true`, and the
//! server, not the client, validates rules). Only a document that is not a JSON object is an
//! error. `$rateLimits` is kept verbatim in [`Rules::rate_limits`].
//!
//! Editing keeps the recorded order for keys that already existed; new keys go after them, in
//! the model's field order. Equality ignores key order, like JSON object equality.

use indexmap::IndexMap;
use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;

const DOCUMENT: &str = "rules JSON";

/// A whole rules object (`InstantRules`).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// `$default`, `attrs` and entity names → their rules, in document order.
    pub namespaces: IndexMap<String, NamespaceRules>,
    /// `$rateLimits` (`{name: {limits: [{capacity, refill?}]}}`), kept verbatim.
    pub rate_limits: Option<Value>,
    /// Top-level keys whose value is not an object, verbatim.
    pub extra: IndexMap<String, Value>,
    order: Vec<String>,
}

/// The rules of one namespace (or of `$default` / `attrs`): `{allow, bind?, fields?}`.
#[derive(Debug, Clone, Default)]
pub struct NamespaceRules {
    /// `allow`: the rule for each action.
    pub allow: Option<Allow>,
    /// `bind`: named sub-expressions usable in the rules.
    pub bind: Option<Bind>,
    /// `fields`: attribute → rule restricting who sees it.
    pub fields: Option<IndexMap<String, String>>,
    /// Keys this model does not type, and values of typed keys that have another type, verbatim.
    pub extra: IndexMap<String, Value>,
    order: Vec<String>,
}

/// `allow`: a CEL expression per action.
#[derive(Debug, Clone, Default)]
pub struct Allow {
    /// `view`.
    pub view: Option<String>,
    /// `create`.
    pub create: Option<String>,
    /// `update`.
    pub update: Option<String>,
    /// `delete`.
    pub delete: Option<String>,
    /// `$default`: the rule for actions without their own.
    pub default: Option<String>,
    /// `link`: link label → rule for linking through it.
    pub link: Option<IndexMap<String, String>>,
    /// `unlink`: link label → rule for unlinking through it.
    pub unlink: Option<IndexMap<String, String>>,
    /// Keys this model does not type, and values of typed keys that have another type, verbatim.
    pub extra: IndexMap<String, Value>,
    order: Vec<String>,
}

/// `bind`: either a flat `[name, expr, name, expr, ...]` list or a `{name: expr}` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    /// `["name", "expr", ...]`, as written.
    List(Vec<String>),
    /// `{"name": "expr"}`.
    Map(IndexMap<String, String>),
}

impl Rules {
    /// An empty rules object.
    pub fn new() -> Rules {
        Rules::default()
    }

    /// Reads rules JSON; errors name the offending value, e.g. `posts.allow.view`.
    pub fn from_json(json: &str) -> Result<Rules, Error> {
        let value: Value = crate::error::from_json_with_path(DOCUMENT, json)?;
        Rules::from_value(&value)
    }

    /// Reads rules from a parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Rules, Error> {
        let object = value.as_object().ok_or_else(|| Error::Json {
            document: DOCUMENT,
            path: ".".to_owned(),
            message: "rules must be a JSON object".to_owned(),
        })?;
        let mut rules = Rules {
            order: object.keys().cloned().collect(),
            ..Rules::default()
        };
        for (key, value) in object {
            if key == "$rateLimits" {
                rules.rate_limits = Some(value.clone());
            } else if let Some(block) = NamespaceRules::from_value(value) {
                rules.namespaces.insert(key.clone(), block);
            } else {
                rules.extra.insert(key.clone(), value.clone());
            }
        }
        Ok(rules)
    }

    /// The rules as JSON, keys in their recorded order.
    pub fn to_value(&self) -> Value {
        let mut present: Vec<(&str, Value)> = self
            .namespaces
            .iter()
            .map(|(name, block)| (name.as_str(), block.to_value()))
            .collect();
        if let Some(limits) = &self.rate_limits {
            present.push(("$rateLimits", limits.clone()));
        }
        push_extra(&mut present, &self.extra);
        ordered(&self.order, present)
    }

    /// Compact JSON, keys in their recorded order.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// JSON indented by two spaces, as `JSON.stringify(rules, null, 2)` prints it.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.to_value())
            .expect("a JSON value with string keys always serializes")
    }

    /// Whether there are no rules at all (upstream then generates the placeholder file).
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty() && self.rate_limits.is_none() && self.extra.is_empty()
    }

    /// The rules of `namespace` (an entity name, `$default` or `attrs`).
    pub fn get(&self, namespace: &str) -> Option<&NamespaceRules> {
        self.namespaces.get(namespace)
    }

    /// `$default`: rules for namespaces without their own.
    pub fn default_rules(&self) -> Option<&NamespaceRules> {
        self.get("$default")
    }

    /// `attrs`: rules for creating attributes.
    pub fn attrs(&self) -> Option<&NamespaceRules> {
        self.get("attrs")
    }
}

impl NamespaceRules {
    /// Rules with just an `allow` block.
    pub fn allow(allow: Allow) -> NamespaceRules {
        NamespaceRules {
            allow: Some(allow),
            ..NamespaceRules::default()
        }
    }

    /// The typed view of `value`, or `None` if it is not an object.
    fn from_value(value: &Value) -> Option<NamespaceRules> {
        let object = value.as_object()?;
        let mut block = NamespaceRules {
            order: object.keys().cloned().collect(),
            ..NamespaceRules::default()
        };
        for (key, value) in object {
            let typed = match key.as_str() {
                "allow" => Allow::from_value(value).map(|allow| block.allow = Some(allow)),
                "bind" => bind(value).map(|bind| block.bind = Some(bind)),
                "fields" => string_map(value).map(|fields| block.fields = Some(fields)),
                _ => None,
            };
            if typed.is_none() {
                block.extra.insert(key.clone(), value.clone());
            }
        }
        Some(block)
    }

    /// The block as JSON, keys in their recorded order.
    pub fn to_value(&self) -> Value {
        let mut present: Vec<(&str, Value)> = Vec::new();
        if let Some(allow) = &self.allow {
            present.push(("allow", allow.to_value()));
        }
        match &self.bind {
            Some(Bind::List(list)) => present.push(("bind", Value::from(list.clone()))),
            Some(Bind::Map(map)) => present.push(("bind", string_map_value(map))),
            None => {}
        }
        if let Some(fields) = &self.fields {
            present.push(("fields", string_map_value(fields)));
        }
        push_extra(&mut present, &self.extra);
        ordered(&self.order, present)
    }
}

impl Allow {
    /// The typed view of `value`, or `None` if it is not an object.
    fn from_value(value: &Value) -> Option<Allow> {
        let object = value.as_object()?;
        let mut allow = Allow {
            order: object.keys().cloned().collect(),
            ..Allow::default()
        };
        for (key, value) in object {
            let rule = || value.as_str().map(str::to_owned);
            let typed = match key.as_str() {
                "view" => rule().map(|r| allow.view = Some(r)),
                "create" => rule().map(|r| allow.create = Some(r)),
                "update" => rule().map(|r| allow.update = Some(r)),
                "delete" => rule().map(|r| allow.delete = Some(r)),
                "$default" => rule().map(|r| allow.default = Some(r)),
                "link" => string_map(value).map(|m| allow.link = Some(m)),
                "unlink" => string_map(value).map(|m| allow.unlink = Some(m)),
                _ => None,
            };
            if typed.is_none() {
                allow.extra.insert(key.clone(), value.clone());
            }
        }
        Some(allow)
    }

    /// The block as JSON, keys in their recorded order.
    pub fn to_value(&self) -> Value {
        let mut present: Vec<(&str, Value)> = Vec::new();
        let rules = [
            ("view", &self.view),
            ("create", &self.create),
            ("update", &self.update),
            ("delete", &self.delete),
            ("$default", &self.default),
        ];
        for (key, rule) in rules {
            if let Some(rule) = rule {
                present.push((key, Value::from(rule.as_str())));
            }
        }
        if let Some(link) = &self.link {
            present.push(("link", string_map_value(link)));
        }
        if let Some(unlink) = &self.unlink {
            present.push(("unlink", string_map_value(unlink)));
        }
        push_extra(&mut present, &self.extra);
        ordered(&self.order, present)
    }
}

/// Emits `present` (in model order) with the keys of `order` first, in that order.
fn ordered(order: &[String], mut present: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for key in order {
        if let Some(i) = present.iter().position(|(k, _)| k == key) {
            let (k, v) = present.remove(i);
            map.insert(k.to_owned(), v);
        }
    }
    for (k, v) in present {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}

fn push_extra<'a>(present: &mut Vec<(&'a str, Value)>, extra: &'a IndexMap<String, Value>) {
    for (key, value) in extra {
        if !present.iter().any(|(k, _)| k == key) {
            present.push((key.as_str(), value.clone()));
        }
    }
}

fn string_map_value(map: &IndexMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// `value` as an object of strings, if it is one.
fn string_map(value: &Value) -> Option<IndexMap<String, String>> {
    value
        .as_object()?
        .iter()
        .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect()
}

/// `value` as a `bind` list or object, if it is one.
fn bind(value: &Value) -> Option<Bind> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .map(Bind::List),
        other => string_map(other).map(Bind::Map),
    }
}

macro_rules! json_via_value {
    ($ty:ty) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.to_value() == other.to_value()
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.to_value().serialize(serializer)
            }
        }
    };
}

json_via_value!(Rules);
json_via_value!(NamespaceRules);
json_via_value!(Allow);

impl<'de> Deserialize<'de> for Rules {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Rules::from_value(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn round_trip(json: &str) {
        let rules = Rules::from_json(json).unwrap();
        assert_eq!(rules.to_json(), json);
        let again: Rules = serde_json::from_str(&serde_json::to_string(&rules).unwrap()).unwrap();
        assert_eq!(again, rules);
    }

    #[test]
    fn round_trips_losslessly_with_key_order() {
        round_trip("{}");
        round_trip(
            r#"{"posts":{"bind":["isOwner","auth.id == data.ownerId"],"allow":{"update":"isOwner","view":"true","unlink":{"b":"false","a":"true"},"link":{"author":"isOwner"}},"fields":{"email":"isOwner"}},"$default":{"allow":{"$default":"false"}}}"#,
        );
        round_trip(
            r#"{"$rateLimits":{"signups":{"limits":[{"capacity":5,"refill":{"amount":1.0,"period":"1 hour","type":"interval"}}]}},"attrs":{"allow":{"create":"false"}},"users":{"allow":{"view":null,"$default":"true","future":{"x":1}},"bind":{"a":"1","b":"2"},"comment":"kept"}}"#,
        );
    }

    #[test]
    fn typed_access() {
        let rules = Rules::from_json(
            r#"{"posts":{"allow":{"view":"true","link":{"author":"isOwner"},"create":null},"bind":{"isOwner":"x"}}}"#,
        )
        .unwrap();
        let posts = rules.get("posts").unwrap();
        let allow = posts.allow.as_ref().unwrap();
        assert_eq!(allow.view.as_deref(), Some("true"));
        assert_eq!(allow.create, None);
        assert_eq!(allow.extra["create"], Value::Null);
        assert_eq!(allow.link.as_ref().unwrap()["author"], "isOwner");
        assert!(matches!(&posts.bind, Some(Bind::Map(m)) if m["isOwner"] == "x"));
        assert!(rules.default_rules().is_none() && rules.attrs().is_none());
    }

    #[test]
    fn edits_keep_existing_order_and_append_new_keys() {
        let mut rules =
            Rules::from_json(r#"{"b":{"allow":{"view":"1"}},"a":{"allow":{}}}"#).unwrap();
        rules.namespaces["a"].allow.as_mut().unwrap().delete = Some("false".into());
        rules.namespaces.insert(
            "$default".into(),
            NamespaceRules::allow(Allow {
                view: Some("true".into()),
                ..Allow::default()
            }),
        );
        rules.namespaces.shift_remove("b");
        assert_eq!(
            rules.to_json(),
            r#"{"a":{"allow":{"delete":"false"}},"$default":{"allow":{"view":"true"}}}"#
        );
    }

    #[test]
    fn pretty_output_matches_json_stringify_with_two_spaces() {
        let rules = Rules::from_json(r#"{"$files":{"allow":{"view":"true"},"bind":[]}}"#).unwrap();
        assert_eq!(
            rules.to_json_pretty(),
            "{\n  \"$files\": {\n    \"allow\": {\n      \"view\": \"true\"\n    },\n    \"bind\": []\n  }\n}"
        );
    }

    #[test]
    fn values_of_other_types_are_kept_verbatim() {
        // Upstream's perms-file parser returns this for `{ 1: { allow: { view: null, create: true } } }`.
        round_trip(r#"{"1":{"allow":{"view":null,"create":true}}}"#);
        round_trip(
            r#"{"posts":{"allow":{"link":{"a":1},"view":"x"},"bind":["a",2],"fields":5},"n":5}"#,
        );
        let rules = Rules::from_json(r#"{"posts":{"bind":["a",2]},"n":5}"#).unwrap();
        assert_eq!(rules.namespaces["posts"].bind, None);
        assert_eq!(
            rules.namespaces["posts"].extra["bind"],
            serde_json::json!(["a", 2])
        );
        assert_eq!(rules.extra["n"], 5);
    }

    #[test]
    fn only_a_non_object_document_is_an_error() {
        for json in ["[]", "5", r#"{"posts":{"allow":{"view":"x"}}"#] {
            assert!(
                matches!(Rules::from_json(json), Err(Error::Json { ref path, .. }) if path == "."),
                "{json}"
            );
        }
    }
}
