//! JavaScript object semantics that upstream's output depends on.
//!
//! A JS object does not keep plain insertion order: keys that are array indices (`"0"`, `"9"`,
//! `"10"`, ... up to 2³² − 2, written canonically) come first, in ascending numeric order, and
//! only then the other keys in insertion order. `JSON.stringify`, `Object.keys` and
//! `Object.entries` all see that order, so an entity named `"10"` is printed before one named
//! `"b"` whatever the order they were declared in. The model keeps plain insertion order in its
//! [`IndexMap`]s; everything that must match upstream byte for byte (wire JSON, the diff's walk
//! over entities and attrs) reads the maps through this module.

use indexmap::IndexMap;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// The numeric value of `key` if JS treats it as an array index.
pub(crate) fn array_index(key: &str) -> Option<u32> {
    let bytes = key.as_bytes();
    let canonical = match bytes {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !canonical || bytes.len() > 10 {
        return None;
    }
    // 4294967295 (2^32 - 1) is the largest u32 but not an array index.
    key.parse::<u32>().ok().filter(|&n| n != u32::MAX)
}

/// Orders `keys` (given in insertion order) as a JS object would enumerate them.
pub(crate) fn order<'a, T>(entries: impl Iterator<Item = (&'a str, T)>) -> Vec<(&'a str, T)> {
    let mut entries: Vec<(&str, T)> = entries.collect();
    if entries.iter().any(|(key, _)| array_index(key).is_some()) {
        // A stable sort that moves indices first (ascending) and keeps the rest in place.
        entries.sort_by_key(|(key, _)| match array_index(key) {
            Some(n) => (0, n),
            None => (1, 0),
        });
    }
    entries
}

/// The entries of `map` in JS enumeration order.
pub(crate) fn entries<V>(map: &IndexMap<String, V>) -> Vec<(&str, &V)> {
    order(map.iter().map(|(key, value)| (key.as_str(), value)))
}

/// Serializes a map as `JSON.stringify` would print the equivalent JS object.
pub(crate) struct JsMap<'a, V>(pub(crate) &'a IndexMap<String, V>);

impl<V: Serialize> Serialize for JsMap<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = entries(self.0);
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Serializes a JSON object as `JSON.stringify` prints it after `JSON.parse`: keys in JS order
/// at every depth, and integral floats (`1.0`) as integers (`1`).
pub(crate) struct JsObject<'a>(pub(crate) &'a Map<String, Value>);

impl Serialize for JsObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = order(self.0.iter().map(|(key, value)| (key.as_str(), value)));
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            map.serialize_entry(key, &JsValue(value))?;
        }
        map.end()
    }
}

/// A JSON value printed the way [`JsObject`] prints objects.
pub(crate) struct JsValue<'a>(pub(crate) &'a Value);

impl Serialize for JsValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => JsObject(map).serialize(serializer),
            Value::Array(items) => serializer.collect_seq(items.iter().map(JsValue)),
            Value::Number(number) => match number.as_f64() {
                // JS has one number type: 1.0 prints as 1. Below 1e21 JS prints integers in
                // full, and i128 holds them exactly. (Non-integral floats keep serde_json's
                // shortest round-trip form, which is JS's except for exponents beyond ±21.)
                Some(float)
                    if !number.is_i64()
                        && !number.is_u64()
                        && float.fract() == 0.0
                        && float.abs() < 1e21 =>
                {
                    #[allow(clippy::cast_possible_truncation)]
                    serializer.serialize_i128(float as i128)
                }
                _ => number.serialize(serializer),
            },
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indices_are_canonical_u32_below_max() {
        for key in ["0", "9", "10", "4294967294"] {
            assert!(array_index(key).is_some(), "{key}");
        }
        for key in [
            "",
            "01",
            "-1",
            "+1",
            "1.0",
            "4294967295",
            "99999999999",
            "1a",
            " 1",
        ] {
            assert_eq!(array_index(key), None, "{key}");
        }
    }

    #[test]
    fn order_puts_indices_first_then_insertion_order() {
        let keys = ["b", "10", "a", "9", "01", "0"];
        let ordered: Vec<&str> = order(keys.iter().map(|k| (*k, ())))
            .into_iter()
            .map(|(k, ())| k)
            .collect();
        assert_eq!(ordered, ["0", "9", "10", "b", "a", "01"]);
    }

    #[test]
    fn js_value_prints_like_json_stringify() {
        let value: Value =
            serde_json::from_str(r#"{"b":1.0,"2":[1.5,{"z":1,"1":2}],"a":-0.0}"#).unwrap();
        let printed = serde_json::to_string(&JsValue(&value)).unwrap();
        // JS prints -0 as 0 too.
        assert_eq!(printed, r#"{"2":[1.5,{"1":2,"z":1}],"b":1,"a":0}"#);
    }
}
