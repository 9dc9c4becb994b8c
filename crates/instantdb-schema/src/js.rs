//! The JavaScript semantics that byte-identical output depends on, shared by the sibling crates:
//! this crate prints wire JSON with it, `instantdb-admin` builds request bodies and checks
//! queries with it, `instantdb-typescript` writes and reads `instant.*.ts` files with it.
//!
//! - **Key order.** A JS object enumerates the keys that are array indices (`"0"`, `"10"`, ...
//!   up to 2³² − 2, canonical decimal) first, in ascending order, then the other keys in
//!   insertion order. `JSON.stringify`, `Object.keys` and `Object.entries` all see that order:
//!   [`array_index`], [`sort_keys`], [`ordered`].
//! - **Numbers.** JS has one number type, an `f64`, and `Number.prototype.toString` spells it
//!   (`2`, never `2.0`; `0` for `-0`; `1e+21`; `1e-7`; integers beyond 2⁵³ rounded):
//!   [`number_to_string`].
//! - **`JSON.stringify`** with both rules: [`stringify()`], [`stringify_pretty`] (`null, 2`),
//!   [`quote`] for one string, the `Serialize` wrappers [`Json`] and [`Object`] for use inside
//!   other serializers, and [`normalize`] for `JSON.parse(JSON.stringify(value))`.
//! - **Operators** on JSON values: [`truthy`], [`type_of`], `String(value)` as [`to_string`].
//! - **`uuid.validate`** of the npm `uuid` package: [`is_uuid`].
//!
//! Strings need no rule of their own: a Rust `str` is valid UTF-8, so it never holds the lone
//! surrogates that `JSON.stringify` escapes, and every other character is escaped the same way
//! by `JSON.stringify` and `serde_json`.

use indexmap::IndexMap;
use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

/// The numeric value of `key` if a JS object treats it as an array index: canonical decimal
/// (`"0"` or no leading zero, digits only) below 2³² − 1.
// Inlined across crates: the generators call it for every key they print.
#[inline]
pub fn array_index(key: &str) -> Option<u32> {
    let canonical = match key.as_bytes() {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.len() < 10 && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !canonical {
        return None;
    }
    // 4294967295 (2³² − 1) fits a u32 but is not an array index.
    key.parse::<u32>().ok().filter(|&n| n != u32::MAX)
}

/// Sorts `items` into JS enumeration order by the key `key` gives each one: array indices
/// first (ascending), the rest in their present order (the sort is stable).
pub fn sort_keys<T>(items: &mut [T], key: impl Fn(&T) -> &str) {
    // Most objects have no index keys: nothing to move.
    if items.iter().any(|item| array_index(key(item)).is_some()) {
        items.sort_by_key(|item| array_index(key(item)).map_or((1, 0), |n| (0, n)));
    }
}

/// `entries` (in insertion order) in the order `Object.entries` lists them.
pub fn ordered<K: AsRef<str>, V>(entries: impl IntoIterator<Item = (K, V)>) -> Vec<(K, V)> {
    let mut entries: Vec<(K, V)> = entries.into_iter().collect();
    sort_keys(&mut entries, |(key, _)| key.as_ref());
    entries
}

/// `String(x)`: `Number.prototype.toString()` (radix 10), `NaN` and `Infinity` included.
pub fn number_to_string(x: f64) -> String {
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
    // Rust prints the shortest digits that round-trip, as JS does (ECMA-262 Number::toString
    // steps 5-12 with k digits and exponent n); only the layout differs.
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

/// 2⁵³: integers up to this magnitude are exact JS numbers, spelled the same by `serde_json`.
const MAX_SAFE: u64 = 1 << 53;

/// How `JSON.stringify` writes a JSON number.
enum JsonNumber {
    /// An integer `serde_json` writes with JS's spelling (the common case, no allocation).
    Int(i64),
    /// Anything else, spelled here: fractions and large numbers (whose layout `serde_json`
    /// spells its own way, and whose spelling a `serde_json` upgrade may change), and `null`
    /// for numbers that are not finite.
    Text(String),
}

fn json_number(number: &Number) -> JsonNumber {
    match number.as_i64() {
        Some(int) if int.unsigned_abs() <= MAX_SAFE => JsonNumber::Int(int),
        // Only `arbitrary_precision` numbers such as `1e400` have no `f64`: not finite.
        _ => json_float(number.as_f64().unwrap_or(f64::NAN)),
    }
}

fn json_float(x: f64) -> JsonNumber {
    if x.fract() == 0.0 && x.abs() <= MAX_SAFE as f64 {
        // Integral and safe, `-0` included (it prints as `0`).
        #[allow(clippy::cast_possible_truncation)]
        return JsonNumber::Int(x as i64);
    }
    JsonNumber::Text(if x.is_finite() {
        number_to_string(x)
    } else {
        "null".to_owned()
    })
}

/// A JSON value or object that serializes as `JSON.stringify` prints it: object keys in JS
/// order at every depth, numbers as JS spells them.
///
/// Meant for `serde_json`'s serializers (to text or to a `Value`): numbers `serde_json` would
/// spell differently are passed to it as a [`RawValue`], which other serializers do not know.
#[derive(Debug, Clone, Copy)]
pub struct Json<T>(pub T);

impl Serialize for Json<&Value> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => Json(map).serialize(serializer),
            Value::Array(items) => serializer.collect_seq(items.iter().map(Json)),
            Value::Number(number) => match json_number(number) {
                JsonNumber::Int(int) => serializer.serialize_i64(int),
                JsonNumber::Text(text) => RawValue::from_string(text)
                    .map_err(S::Error::custom)?
                    .serialize(serializer),
            },
            Value::Null | Value::Bool(_) | Value::String(_) => self.0.serialize(serializer),
        }
    }
}

impl Serialize for Json<&Map<String, Value>> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.iter().map(|(key, value)| (key, Json(value)));
        if self.0.keys().any(|key| array_index(key).is_some()) {
            serializer.collect_map(ordered(entries))
        } else {
            serializer.collect_map(entries)
        }
    }
}

/// A map that serializes as the JS object with these entries: keys in JS order, each value
/// through its own `Serialize`.
#[derive(Debug)]
pub struct Object<'a, V>(pub &'a IndexMap<String, V>);

impl<V: Serialize> Serialize for Object<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(ordered(self.0))
    }
}

/// `JSON.stringify(value)`.
pub fn stringify(value: &Value) -> String {
    // Cannot fail: keys are strings and every raw number is valid JSON.
    serde_json::to_string(&Json(value)).unwrap_or_default()
}

/// `JSON.stringify(value, null, 2)`.
pub fn stringify_pretty(value: &Value) -> String {
    // serde_json's pretty layout is `JSON.stringify`'s with a two-space gap: `"key": value`,
    // one entry a line, `{}` and `[]` for empty containers.
    serde_json::to_string_pretty(&Json(value)).unwrap_or_default()
}

/// `JSON.stringify(s)` (a double-quoted JSON string), appended to `out`.
// Inlined across crates: the generators call it for every name they print.
#[inline]
pub fn quote(s: &str, out: &mut String) {
    if !s.bytes().any(|b| ESCAPED[usize::from(b)]) {
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
const ESCAPED: [bool; 256] = {
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

/// Rewrites `value` as `JSON.parse(JSON.stringify(value))` gives it back: keys in JS order,
/// each number the one its JS spelling reads back as (`-0` → `0`, `2.0` → `2`, integers beyond
/// 2⁵³ rounded as JS rounds them). [`Json`] prints the result exactly as it prints `value`.
pub fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(normalize);
            if map.keys().any(|key| array_index(key).is_some()) {
                let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
                sort_keys(&mut entries, |(key, _)| key.as_str());
                *map = entries.into_iter().collect();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Number(number) => match json_number(number) {
            JsonNumber::Int(int) => *number = int.into(),
            // JS's spelling read back by serde_json: the same f64, or an integer it holds.
            JsonNumber::Text(text) => *value = serde_json::from_str(&text).unwrap_or(Value::Null),
        },
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// Whether a JSON value is truthy in JS (`null`, `false`, `0`, `""` are not).
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0 && !x.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `typeof value` (`null`, arrays and objects are all `"object"`).
pub fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null | Value::Array(_) | Value::Object(_) => "object",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
    }
}

/// `String(value)`, which is also how a template literal (`${value}`) prints it: strings bare,
/// arrays joined with commas (`null` elements as nothing), objects as `[object Object]`.
pub fn to_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n
            .as_f64()
            .map_or_else(|| "NaN".to_owned(), number_to_string),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => to_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// `validate` of the npm `uuid` package (which `@instantdb/core` uses): the RFC 9562 layout with
/// version 1–8 and variant `10xx`, or the nil or max UUID, in any letter case.
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    let layout = bytes.len() == 36
        && bytes.iter().enumerate().all(|(at, b)| match at {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if !layout {
        return false;
    }
    let nil_or_max = text.eq_ignore_ascii_case("00000000-0000-0000-0000-000000000000")
        || text.eq_ignore_ascii_case("ffffffff-ffff-ffff-ffff-ffffffffffff");
    let version = (b'1'..=b'8').contains(&bytes[14]);
    let variant = matches!(bytes[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b');
    nil_or_max || (version && variant)
}

#[cfg(test)]
mod tests {
    //! One table: each row states what JavaScript (Node 22) does, as evaluated there.
    use super::*;

    enum Case {
        /// A key, and whether (and as what) it is an array index.
        Key(&'static str, Option<u32>),
        /// Keys in insertion order, and as `Object.keys` lists them.
        Order(&'static [&'static str], &'static [&'static str]),
        /// A number, `String(x)`, and `JSON.stringify(x)`.
        Num(f64, &'static str, &'static str),
        /// JSON text (read by serde_json), `JSON.stringify(JSON.parse(text))` and
        /// `JSON.stringify(JSON.parse(text), null, 2)`.
        Stringify(&'static str, &'static str, &'static str),
        /// A string and `JSON.stringify(s)`.
        Quote(&'static str, &'static str),
        /// JSON text, then `!!v`, `typeof v` and `String(v)`.
        Operators(&'static str, bool, &'static str, &'static str),
        /// `uuid.validate(s)`.
        Uuid(&'static str, bool),
    }
    use Case::*;

    const TABLE: &[Case] = &[
        // Array indices: canonical decimal below 2^32 - 1.
        Key("0", Some(0)),
        Key("9", Some(9)),
        Key("10", Some(10)),
        Key("4294967294", Some(4_294_967_294)),
        Key("4294967295", None),
        Key("4294967296", None),
        Key("99999999999", None),
        Key("", None),
        Key("00", None),
        Key("01", None),
        Key("-0", None),
        Key("-1", None),
        Key("+1", None),
        Key("1.0", None),
        Key("1e3", None),
        Key("1a", None),
        Key(" 1", None),
        Key("1 ", None),
        Key("١", None),
        // Object key order: indices first, ascending; the rest as inserted.
        Order(
            &["b", "10", "a", "9", "01", "0"],
            &["0", "9", "10", "b", "a", "01"],
        ),
        Order(
            &["4294967295", "4294967294", "x"],
            &["4294967294", "4294967295", "x"],
        ),
        Order(&["z", "y", "x"], &["z", "y", "x"]),
        Order(&[], &[]),
        // Numbers (ECMA-262 Number::toString); JSON.stringify writes null where not finite.
        Num(0.0, "0", "0"),
        Num(-0.0, "0", "0"),
        Num(1.0, "1", "1"),
        Num(-1.5, "-1.5", "-1.5"),
        Num(0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"),
        Num(123_456_789.0, "123456789", "123456789"),
        Num(
            9_007_199_254_740_993.0,
            "9007199254740992",
            "9007199254740992",
        ),
        Num(
            1_152_921_504_606_846_976.0,
            "1152921504606847000",
            "1152921504606847000",
        ),
        Num(
            12_345_678_901_234_567_890.0,
            "12345678901234567000",
            "12345678901234567000",
        ),
        Num(1e16, "10000000000000000", "10000000000000000"),
        Num(1e20, "100000000000000000000", "100000000000000000000"),
        Num(1e21, "1e+21", "1e+21"),
        Num(1.5e21, "1.5e+21", "1.5e+21"),
        Num(-1e21, "-1e+21", "-1e+21"),
        Num(0.00001, "0.00001", "0.00001"),
        Num(0.000001, "0.000001", "0.000001"),
        Num(0.0000015, "0.0000015", "0.0000015"),
        Num(1e-7, "1e-7", "1e-7"),
        Num(1.2345e-7, "1.2345e-7", "1.2345e-7"),
        Num(5e-324, "5e-324", "5e-324"),
        Num(
            f64::MAX,
            "1.7976931348623157e+308",
            "1.7976931348623157e+308",
        ),
        Num(f64::NAN, "NaN", "null"),
        Num(f64::INFINITY, "Infinity", "null"),
        Num(f64::NEG_INFINITY, "-Infinity", "null"),
        // JSON.stringify: key order at every depth, JS numbers, escapes, two-space layout.
        Stringify("null", "null", "null"),
        Stringify("{}", "{}", "{}"),
        Stringify("[]", "[]", "[]"),
        Stringify(
            r#"{"a":{},"b":[]}"#,
            r#"{"a":{},"b":[]}"#,
            "{\n  \"a\": {},\n  \"b\": []\n}",
        ),
        Stringify(
            r#"{"b":[1.0,{"z":"\u0001\n\"\\é"}],"10":{},"2":[],"a":null}"#,
            r#"{"2":[],"10":{},"b":[1,{"z":"\u0001\n\"\\é"}],"a":null}"#,
            "{\n  \"2\": [],\n  \"10\": {},\n  \"b\": [\n    1,\n    {\n      \"z\": \"\\u0001\\n\\\"\\\\é\"\n    }\n  ],\n  \"a\": null\n}",
        ),
        Stringify(
            r#"{"b":1.0,"2":[1.5,{"z":1,"1":2}],"a":-0.0}"#,
            r#"{"2":[1.5,{"1":2,"z":1}],"b":1,"a":0}"#,
            "{\n  \"2\": [\n    1.5,\n    {\n      \"1\": 2,\n      \"z\": 1\n    }\n  ],\n  \"b\": 1,\n  \"a\": 0\n}",
        ),
        Stringify(
            r#"{"b":1,"10":2,"a":{"2":0,"x":0,"1":0},"9":3,"01":4}"#,
            r#"{"9":3,"10":2,"b":1,"a":{"1":0,"2":0,"x":0},"01":4}"#,
            "{\n  \"9\": 3,\n  \"10\": 2,\n  \"b\": 1,\n  \"a\": {\n    \"1\": 0,\n    \"2\": 0,\n    \"x\": 0\n  },\n  \"01\": 4\n}",
        ),
        Stringify(
            r#"{"4294967295":1,"4294967294":2}"#,
            r#"{"4294967294":2,"4294967295":1}"#,
            "{\n  \"4294967294\": 2,\n  \"4294967295\": 1\n}",
        ),
        Stringify(
            "[2.0,-0.0,-0,1.5,-3.0,1e19,1e20,1e21,0.000001,1e-7,true]",
            "[2,0,0,1.5,-3,10000000000000000000,100000000000000000000,1e+21,0.000001,1e-7,true]",
            "[\n  2,\n  0,\n  0,\n  1.5,\n  -3,\n  10000000000000000000,\n  100000000000000000000,\n  1e+21,\n  0.000001,\n  1e-7,\n  true\n]",
        ),
        Stringify(
            "[9007199254740992,9007199254740993,-9007199254740993,18446744073709551615]",
            "[9007199254740992,9007199254740992,-9007199254740992,18446744073709552000]",
            "[\n  9007199254740992,\n  9007199254740992,\n  -9007199254740992,\n  18446744073709552000\n]",
        ),
        // Quoting: only `"`, `\` and C0 controls are escaped; DEL, U+2028/9, astral characters
        // (surrogate pairs in JS) are written as they are.
        Quote("", r#""""#),
        Quote("plain", r#""plain""#),
        Quote("a\"b\\c/", r#""a\"b\\c/""#),
        Quote("\u{8}\u{c}\n\r\t", r#""\b\f\n\r\t""#),
        Quote("\u{0}\u{1}\u{b}\u{1f}", r#""\u0000\u0001\u000b\u001f""#),
        Quote(
            "\u{7f}\u{80}\u{2028}\u{2029}\u{d7ff}\u{e000}\u{ffff}\u{10000}😀",
            "\"\u{7f}\u{80}\u{2028}\u{2029}\u{d7ff}\u{e000}\u{ffff}\u{10000}😀\"",
        ),
        // Truthiness, typeof, String().
        Operators("null", false, "object", "null"),
        Operators("false", false, "boolean", "false"),
        Operators("true", true, "boolean", "true"),
        Operators("0", false, "number", "0"),
        Operators("-0.0", false, "number", "0"),
        Operators("2.0", true, "number", "2"),
        Operators("1e21", true, "number", "1e+21"),
        Operators("0.000001", true, "number", "0.000001"),
        Operators(r#""""#, false, "string", ""),
        Operators(r#""0""#, true, "string", "0"),
        Operators("[]", true, "object", ""),
        Operators(
            r#"[1,null,"a",[2,3],2.0,{"x":1}]"#,
            true,
            "object",
            "1,,a,2,3,2,[object Object]",
        ),
        Operators("{}", true, "object", "[object Object]"),
        // uuid.validate.
        Uuid("11111111-1111-4111-8111-111111111111", true),
        Uuid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", true),
        Uuid("00000000-0000-0000-0000-000000000000", true),
        Uuid("FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF", true),
        Uuid("00000000-0000-0000-0000-0000000000aa", false),
        Uuid("11111111-1111-9111-8111-111111111111", false),
        Uuid("11111111-1111-4111-7111-111111111111", false),
        Uuid("11111111-1111-4111-c111-111111111111", false),
        Uuid("11111111111141118111111111111111", false),
        Uuid("{11111111-1111-4111-8111-111111111111}", false),
        Uuid("11111111-1111-4111-8111-11111111111g", false),
        Uuid("not-a-uuid", false),
        Uuid("", false),
    ];

    fn parse(json: &str) -> Value {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    /// `JSON.stringify` of `value` along every path that writes it.
    fn check_stringify(value: &Value, compact: &str, pretty: &str) {
        assert_eq!(stringify(value), compact);
        assert_eq!(stringify_pretty(value), pretty);
        // Through serde_json's `Value` serializer (the raw numbers are read back).
        let through_value = serde_json::to_value(Json(value)).unwrap();
        assert_eq!(stringify(&through_value), compact);
        let mut normalized = value.clone();
        normalize(&mut normalized);
        assert_eq!(stringify(&normalized), compact, "normalized");
        assert_eq!(normalized, through_value, "normalize = to_value(Json)");
    }

    #[test]
    fn table() {
        for case in TABLE {
            match *case {
                Key(key, index) => assert_eq!(array_index(key), index, "{key:?}"),
                Order(keys, expected) => {
                    let mut sorted = keys.to_vec();
                    sort_keys(&mut sorted, |key| *key);
                    assert_eq!(sorted, expected);
                    let entries = ordered(keys.iter().map(|key| (*key, ())));
                    assert!(entries.iter().map(|(key, ())| key).eq(expected));
                    let map: Map<String, Value> = keys
                        .iter()
                        .map(|key| (key.to_string(), Value::Null))
                        .collect();
                    let mut expected_json = String::from("{");
                    for (at, key) in expected.iter().enumerate() {
                        expected_json.push_str(if at == 0 { "" } else { "," });
                        quote(key, &mut expected_json);
                        expected_json.push_str(":null");
                    }
                    expected_json.push('}');
                    assert_eq!(serde_json::to_string(&Json(&map)).unwrap(), expected_json);
                    let index_map: IndexMap<String, ()> =
                        keys.iter().map(|key| (key.to_string(), ())).collect();
                    let objects = serde_json::to_string(&Object(&index_map)).unwrap();
                    assert_eq!(objects, expected_json);
                }
                Num(x, string, json) => {
                    assert_eq!(number_to_string(x), string, "{x:e}");
                    let spelled = match json_float(x) {
                        JsonNumber::Int(int) => int.to_string(),
                        JsonNumber::Text(text) => text,
                    };
                    assert_eq!(spelled, json, "{x:e}");
                    // serde_json holds finite numbers only.
                    if let Some(n) = serde_json::Number::from_f64(x) {
                        let value = Value::Number(n);
                        check_stringify(&value, json, json);
                        assert_eq!(to_string(&value), string);
                    }
                }
                Stringify(text, compact, pretty) => check_stringify(&parse(text), compact, pretty),
                Quote(s, expected) => {
                    let mut out = String::from("x");
                    quote(s, &mut out);
                    assert_eq!(out, format!("x{expected}"), "{s:?}");
                    check_stringify(&Value::String(s.to_owned()), expected, expected);
                }
                Operators(text, is_truthy, type_name, string) => {
                    let value = parse(text);
                    assert_eq!(truthy(&value), is_truthy, "{text}");
                    assert_eq!(type_of(&value), type_name, "{text}");
                    assert_eq!(to_string(&value), string, "{text}");
                }
                Uuid(text, valid) => assert_eq!(is_uuid(text), valid, "{text}"),
            }
        }
    }
}
