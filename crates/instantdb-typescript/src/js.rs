//! The JavaScript semantics that upstream's output depends on: `Number.prototype.toString`,
//! `JSON.stringify` (key order, escapes, indentation) and the enumeration order of object keys.

use serde_json::{Map, Value};

/// The numeric value of `key` if a JS object treats it as an array index (`"0"`, `"7"`,
/// `"10"`, ... up to 2³² − 2, canonical form only). Such keys are enumerated first, in ascending
/// order, before the other keys in insertion order.
pub(crate) fn array_index(key: &str) -> Option<u32> {
    let bytes = key.as_bytes();
    let canonical = match bytes {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.len() < 10 && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !canonical {
        return None;
    }
    key.parse::<u32>().ok().filter(|&n| n != u32::MAX)
}

/// `entries` (in insertion order) in the order `Object.entries` would list them.
pub(crate) fn js_order<'a, T>(entries: impl Iterator<Item = (&'a str, T)>) -> Vec<(&'a str, T)> {
    let mut entries: Vec<(&str, T)> = entries.collect();
    if entries.iter().any(|(key, _)| array_index(key).is_some()) {
        // Stable: indices move to the front in numeric order, the rest keep their order.
        entries.sort_by_key(|(key, _)| array_index(key).map_or((1, 0), |n| (0, n)));
    }
    entries
}

/// `String(x)` for a finite or non-finite `f64`, as JavaScript prints numbers.
pub(crate) fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x < 0.0 {
        return format!("-{}", number_to_string(-x));
    }
    // Rust prints the shortest digits that round-trip, as JS does; only the layout differs.
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i64;
    let n = exponent.parse::<i64>().unwrap_or(0) + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{sign}{}", (n - 1).abs())
    }
}

/// The JS number a JSON number stands for, as `JSON.stringify` prints it (`null` when it is not
/// finite, which only happens for numbers read from source text such as `1e400`).
fn json_number(number: &serde_json::Number) -> String {
    match number.as_f64() {
        Some(x) if x.is_finite() => number_to_string(x),
        _ => "null".to_owned(),
    }
}

/// `JSON.stringify(s)`: a double-quoted JSON string.
pub(crate) fn quote_json_string(s: &str, out: &mut String) {
    if !s.bytes().any(|b| JSON_ESCAPES[usize::from(b)]) {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The bytes `JSON.stringify` escapes in a string: control characters, `"` and `\`.
const JSON_ESCAPES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// `JSON.stringify(value, null, 2)`.
pub(crate) fn stringify_pretty(value: &Value) -> String {
    let mut out = String::new();
    write_pretty(value, 0, &mut out);
    out
}

/// `JSON.stringify(value)`.
pub(crate) fn stringify(value: &Value) -> String {
    let mut out = String::new();
    write_compact(value, &mut out);
    out
}

/// The entries of a JSON object in JS enumeration order.
pub(crate) fn object_entries(map: &Map<String, Value>) -> Vec<(&str, &Value)> {
    js_order(map.iter().map(|(key, value)| (key.as_str(), value)))
}

/// `JSON.stringify(value, null, 2)` into `out`, every line after the first indented by `depth`
/// more levels.
pub(crate) fn write_pretty(value: &Value, depth: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('{');
            for (i, (key, value)) in object_entries(map).into_iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                push_indent(out, depth + 1);
                quote_json_string(key, out);
                out.push_str(": ");
                write_pretty(value, depth + 1, out);
            }
            out.push('\n');
            push_indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                push_indent(out, depth + 1);
                write_pretty(item, depth + 1, out);
            }
            out.push('\n');
            push_indent(out, depth);
            out.push(']');
        }
        other => write_compact(other, out),
    }
}

fn write_compact(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&json_number(n)),
        Value::String(s) => quote_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, value)) in object_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote_json_string(key, out);
                out.push(':');
                write_compact(value, out);
            }
            out.push('}');
        }
    }
}

fn push_indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// `String(value)` for a JSON value (used where upstream interpolates a value into a template).
pub(crate) fn to_js_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(x) => number_to_string(x),
            None => "NaN".to_owned(),
        },
        Value::String(s) => s.clone(),
        // `Array.prototype.join`: null and undefined elements print as nothing.
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => to_js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// Whether a JSON value is truthy in JS.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0 && !x.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (123456789.0, "123456789"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.2345e-7, "1.2345e-7"),
            (0.1 + 0.2, "0.30000000000000004"),
            (12345678901234567890.0, "12345678901234567000"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ];
        for (x, expected) in cases {
            assert_eq!(number_to_string(x), expected, "{x:e}");
        }
    }

    #[test]
    fn stringify_orders_keys_and_escapes_like_javascript() {
        let value = json!({"b": [1.0, {"z": "\u{1}\n\"\\é"}], "10": {}, "2": [], "a": null});
        assert_eq!(
            stringify(&value),
            r#"{"2":[],"10":{},"b":[1,{"z":"\u0001\n\"\\é"}],"a":null}"#
        );
        assert_eq!(
            stringify_pretty(&value),
            "{\n  \"2\": [],\n  \"10\": {},\n  \"b\": [\n    1,\n    {\n      \"z\": \"\\u0001\\n\\\"\\\\é\"\n    }\n  ],\n  \"a\": null\n}"
        );
    }

    #[test]
    fn array_indices() {
        for key in ["0", "9", "10", "4294967294"] {
            assert!(array_index(key).is_some(), "{key}");
        }
        for key in [
            "",
            "01",
            "-1",
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
    fn js_strings_and_truthiness() {
        assert_eq!(to_js_string(&json!([1, null, "a", [2, 3]])), "1,,a,2,3");
        assert_eq!(to_js_string(&json!({"a": 1})), "[object Object]");
        assert!(is_truthy(&json!([])) && !is_truthy(&json!("")) && !is_truthy(&json!(0)));
    }
}
