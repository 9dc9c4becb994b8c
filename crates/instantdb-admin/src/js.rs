//! The JavaScript semantics the official SDK's requests depend on: what `JSON.stringify` makes
//! of a value, `typeof`, and `uuid.validate`.
//!
//! The TypeScript SDK builds every body with `JSON.stringify`, so two JS rules show in the bytes
//! it sends: object keys that are array indices (`"0"`, `"10"`) come first, in ascending order,
//! and numbers have one spelling (`2`, never `2.0`; `0`, never `-0`). [`normalize`] applies both
//! to a `serde_json::Value`, so the same logical object gives the same bytes as upstream.

use serde_json::{Map, Number, Value};

/// Rewrites `value` as `JSON.parse(JSON.stringify(value))` would give it back in Node: array
/// index keys first (ascending), then the other keys in insertion order; integral numbers below
/// 10²¹ written as integers, `-0` as `0`.
pub(crate) fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                normalize(child);
            }
            if map.keys().any(|key| array_index(key).is_some()) {
                let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
                // Stable: index keys move to the front in numeric order, the rest keep theirs.
                entries.sort_by_key(|(key, _)| array_index(key).map_or((1, 0), |n| (0, n)));
                *map = entries.into_iter().collect::<Map<String, Value>>();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Number(number) => {
            if let Some(integral) = number.as_f64().and_then(integral_number) {
                *number = integral;
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// `Some(n)` when the float `x` is integral and JS prints it without a fraction or exponent.
fn integral_number(x: f64) -> Option<Number> {
    // JS prints integral numbers below 1e21 as digits; beyond that it uses an exponent, which
    // parses back to the same float anyway.
    if x.fract() != 0.0 || x.abs() >= 1e21 {
        return None;
    }
    if x >= 0.0 {
        // Exact: integral floats below 2^64 are representable as u64 without rounding.
        (x < 18_446_744_073_709_551_616.0).then(|| Number::from(x as u64))
    } else {
        (x >= -9_223_372_036_854_775_808.0).then(|| Number::from(x as i64))
    }
}

/// The numeric value of `key` if JS treats it as an array index (canonical decimal below
/// 2³² − 1).
fn array_index(key: &str) -> Option<u32> {
    let canonical = key == "0"
        || (key.len() <= 10
            && key
                .bytes()
                .next()
                .is_some_and(|b| (b'1'..=b'9').contains(&b))
            && key.bytes().all(|b| b.is_ascii_digit()));
    if !canonical {
        return None;
    }
    key.parse::<u32>().ok().filter(|&n| n != u32::MAX)
}

/// `keys` in the order `Object.keys` would list them for a JS object built in this order.
pub(crate) fn ordered_keys<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut keys: Vec<&str> = keys.collect();
    keys.sort_by_key(|key| array_index(key).map_or((1, 0), |n| (0, n)));
    keys
}

/// JavaScript truthiness of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JavaScript's `typeof` of a JSON value (`null`, arrays and objects are all `"object"`).
pub(crate) fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null | Value::Array(_) | Value::Object(_) => "object",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
    }
}

/// How a template literal prints a JSON value (`${value}`): strings bare, arrays joined with
/// commas, objects as `[object Object]`. Upstream's error messages interpolate values this way.
pub(crate) fn template(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(_) => {
            let mut copy = value.clone();
            normalize(&mut copy);
            copy.to_string()
        }
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => template(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// `uuid.validate` of the `uuid` npm package that `@instantdb/core` uses: the RFC 9562 layout
/// with version 1–8 and variant `10xx`, or the nil and max UUIDs, any letter case.
pub(crate) fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return false;
    }
    for (idx, &b) in bytes.iter().enumerate() {
        let ok = match idx {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        };
        if !ok {
            return false;
        }
    }
    let lower = text.to_ascii_lowercase();
    if lower == "00000000-0000-0000-0000-000000000000"
        || lower == "ffffffff-ffff-ffff-ffff-ffffffffffff"
    {
        return true;
    }
    let version_ok = (b'1'..=b'8').contains(&bytes[14]);
    let variant_ok = matches!(bytes[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b');
    version_ok && variant_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn normalized(mut value: Value) -> String {
        normalize(&mut value);
        value.to_string()
    }

    #[test]
    fn key_order_follows_js_objects() {
        assert_eq!(
            normalized(json!({"b": 1, "10": 2, "a": {"2": 0, "x": 0, "1": 0}, "9": 3, "01": 4})),
            r#"{"9":3,"10":2,"b":1,"a":{"1":0,"2":0,"x":0},"01":4}"#
        );
        assert_eq!(
            normalized(json!({"4294967295": 1, "4294967294": 2})),
            r#"{"4294967294":2,"4294967295":1}"#
        );
    }

    #[test]
    fn numbers_take_their_js_spelling() {
        // Between 2^64 and 10^21 JS prints digits where serde_json prints an exponent: the
        // same number, the only spelling difference left.
        assert_eq!(
            normalized(json!([2.0, -0.0, 1.5, 1e21, -3.0, 1e19, 1e20])),
            "[2,0,1.5,1e+21,-3,10000000000000000000,1e+20]"
        );
    }

    #[test]
    fn typeof_template_and_uuid() {
        assert_eq!(type_of(&json!(null)), "object");
        assert_eq!(type_of(&json!(1)), "number");
        assert_eq!(
            template(&json!(["a", null, 2.0, {"x": 1}])),
            "a,,2,[object Object]"
        );
        assert!(is_uuid("11111111-1111-4111-8111-111111111111"));
        assert!(is_uuid("00000000-0000-0000-0000-000000000000"));
        assert!(
            !is_uuid("00000000-0000-0000-0000-0000000000aa"),
            "version 0 is not valid"
        );
        assert!(
            !is_uuid("11111111-1111-4111-7111-111111111111"),
            "variant 0xxx is not valid"
        );
        assert!(!is_uuid("not-a-uuid"));
    }
}
