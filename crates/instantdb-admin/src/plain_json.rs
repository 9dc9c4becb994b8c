//! The transaction fast path: a `Serialize` argument whose `serde_json` text is already what
//! `JSON.stringify` would send is sent as that text, without building a `Value`.
//!
//! The JavaScript rules themselves (key order, number spelling) are `instantdb_schema::js`; this
//! module only recognises text they would leave unchanged.

/// Whether `json`, the compact text `serde_json` wrote for some value `x`, is exactly what
/// `JSON.stringify` prints for it (`js::stringify(&serde_json::to_value(x))`), so that it can be
/// sent as it is.
///
/// Conservative: it accepts only text in `serde_json`'s canonical compact form (no whitespace,
/// its string escapes) whose numbers are integers of at most 15 digits (exact as JS numbers, so
/// there is no float formatting to differ), whose object
/// keys do not start with a digit (no array-index keys to reorder) and are unique within their
/// object (`to_value` would merge duplicates). Anything else is rejected and goes through
/// `to_value` as before.
pub(crate) fn is_plain_json(json: &str) -> bool {
    /// Open objects and the keys seen in them, in fixed space (deeper or wider text is
    /// rejected rather than allocated for).
    const MAX_DEPTH: usize = 16;
    const MAX_KEYS: usize = 32;
    const ARRAY: u8 = u8::MAX;
    let bytes = json.as_bytes();
    if bytes.len() > u32::MAX as usize {
        return false;
    }
    // Key `start..end` byte ranges.
    let mut keys = [(0u32, 0u32); MAX_KEYS];
    let mut key_count = 0;
    // For each open container: the index of its first key for an object, `ARRAY` for an array.
    let mut open = [ARRAY; MAX_DEPTH];
    let mut depth = 0;
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        // Punctuation and strings first: most of the text.
        if b == b',' || b == b':' {
            at += 1;
            continue;
        }
        match b {
            b'{' | b'[' => {
                if depth == MAX_DEPTH {
                    return false;
                }
                open[depth] = if b == b'{' { key_count as u8 } else { ARRAY };
                depth += 1;
                at += 1;
            }
            b'}' | b']' => {
                let Some(index) = depth.checked_sub(1) else {
                    return false;
                };
                depth = index;
                if open[depth] != ARRAY {
                    key_count = usize::from(open[depth]);
                }
                at += 1;
            }
            b'"' => {
                let Some(end) = canonical_string_end(bytes, at) else {
                    return false;
                };
                let is_key = bytes.get(end) == Some(&b':');
                if is_key {
                    let first = match depth.checked_sub(1).map(|index| open[index]) {
                        Some(first) if first != ARRAY => usize::from(first),
                        _ => return false,
                    };
                    let key = &bytes[at + 1..end - 1];
                    let starts_with_digit = key.first().is_some_and(u8::is_ascii_digit);
                    let seen = keys[first..key_count]
                        .iter()
                        .any(|&(start, stop)| &bytes[start as usize..stop as usize] == key);
                    if starts_with_digit || seen || key_count == MAX_KEYS {
                        return false;
                    }
                    keys[key_count] = ((at + 1) as u32, (end - 1) as u32);
                    key_count += 1;
                }
                at = end;
            }
            b'-' | b'0'..=b'9' => {
                let digits_from = at + usize::from(b == b'-');
                let digits = bytes[digits_from..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                let end = digits_from + digits;
                let first = bytes.get(digits_from);
                let canonical = digits > 0
                    && digits <= 15
                    && (first != Some(&b'0') || (digits == 1 && b != b'-'));
                if !canonical || matches!(bytes.get(end), Some(b'.' | b'e' | b'E')) {
                    return false;
                }
                at = end;
            }
            b't' if bytes[at..].starts_with(b"true") => at += 4,
            b'f' if bytes[at..].starts_with(b"false") => at += 5,
            b'n' if bytes[at..].starts_with(b"null") => at += 4,
            _ => return false,
        }
    }
    depth == 0
}

/// The index after the closing quote of the string starting at `start`, if its escapes are the
/// ones `serde_json` writes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00xx` in lower-case
/// hex for the other control characters).
fn canonical_string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        at += plain_text_len(bytes.get(at..)?);
        match *bytes.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => {
                at += match *bytes.get(at + 1)? {
                    b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                    b'u' => {
                        let hex = bytes.get(at + 2..at + 6)?;
                        let lower_hex = |d: &u8| matches!(d, b'0'..=b'9' | b'a'..=b'f');
                        let code = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                        let short = matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d);
                        if !hex.iter().all(lower_hex) || code >= 0x20 || short {
                            return None;
                        }
                        6
                    }
                    _ => return None,
                };
            }
            _ => return None,
        }
    }
}

/// The length of the leading run of `text` without a quote, a backslash or a control
/// character, eight bytes at a time (strings are most of a request's text).
fn plain_text_len(text: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // High bit set in each byte of `word` that is below `n` (exact for the first such byte).
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH;
    let mut at = 0;
    for chunk in text.chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let special = below(word, 0x20)
            | below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1);
        if special != 0 {
            return at + (special.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + text[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(text.len() - at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    /// Random JSON (a fixed xorshift seed) with the keys and numbers JavaScript reorders or
    /// spells differently.
    fn random_value(state: &mut u64, depth: u32) -> Value {
        fn next(state: &mut u64) -> u64 {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *state
        }
        const KEYS: [&str; 16] = [
            "b",
            "10",
            "a",
            "9",
            "01",
            "0",
            "4294967295",
            "4294967294",
            "-1",
            "x",
            "2",
            "1.5",
            "title",
            "a\"b\\",
            "é\u{1}\n\u{7f}",
            "",
        ];
        const NUMBERS: [f64; 10] = [2.0, -0.0, 1.5, 1e21, -3.0, 1e19, 1e20, 0.1, 7.0, -1e300];
        match next(state) % if depth == 0 { 5 } else { 7 } {
            0 => Value::Null,
            1 => Value::Bool(next(state).is_multiple_of(2)),
            2 => json!(NUMBERS[(next(state) % 10) as usize]),
            3 if next(state).is_multiple_of(2) => json!(next(state) >> (next(state) % 64)),
            3 if next(state).is_multiple_of(2) => json!(next(state) as i64 >> (next(state) % 64)),
            3 => json!((next(state) % 2000) as i64 - 1000),
            4 => Value::String(KEYS[(next(state) % 16) as usize].to_owned()),
            5 => (0..next(state) % 4)
                .map(|_| random_value(state, depth - 1))
                .collect(),
            _ => {
                let len = next(state) % 6;
                (0..len)
                    .map(|_| {
                        let key = KEYS[(next(state) % 16) as usize].to_owned();
                        (key, random_value(state, depth - 1))
                    })
                    .collect::<Map<String, Value>>()
                    .into()
            }
        }
    }

    /// A `tx` argument passed by reference (written as text when plain) and by value (a
    /// `Value`, normalized when sent) give the same chunk, steps and bytes. Returns whether
    /// the reference took the text path.
    fn assert_same_args<T: serde::Serialize + ?Sized>(by_ref: &T, by_value: Value) -> bool {
        let goal = "11111111-1111-4111-8111-111111111111";
        let text = crate::tx("goals", goal).update(by_ref);
        let value = crate::tx("goals", goal).update(by_value);
        assert_eq!(text, value);
        assert_eq!(format!("{text:?}"), format!("{value:?}"));
        assert_eq!(text.steps().unwrap(), value.steps().unwrap());
        assert_eq!(
            serde_json::to_string(&text).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
        serde_json::value::to_raw_value(by_ref).is_ok_and(|json| is_plain_json(json.get()))
    }

    #[test]
    fn arguments_written_as_text_match_the_value_path() {
        let mut state = 0x2545_f491_4f6c_dd1d;
        let mut plain = 0;
        for _ in 0..20_000 {
            let value = random_value(&mut state, 3);
            plain += usize::from(assert_same_args(&value, value.clone()));
        }
        // Both paths are exercised.
        assert!((2_000..18_000).contains(&plain), "{plain} of 20000 plain");
    }

    #[test]
    fn typed_arguments_match_the_value_path() {
        use serde::Serialize;
        use serde_json::value::RawValue;
        use std::collections::{BTreeMap, HashMap};

        #[derive(Serialize)]
        enum Kind {
            Unit,
            New(i32),
            Tuple(u8, char),
            Struct { a: Option<bool> },
        }
        #[derive(Serialize)]
        struct Typed<'a> {
            title: &'a str,
            small: f32,
            whole: f64,
            big: u64,
            none: Option<u8>,
            kinds: Vec<Kind>,
            bytes: &'a [u8],
            #[serde(flatten)]
            extra: BTreeMap<&'a str, i8>,
            #[serde(rename = "2")]
            two: u8,
            unit: (),
        }
        let typed = Typed {
            title: "a\u{0}\u{1f}\"\\/é",
            small: 0.1,
            whole: 2.0,
            big: u64::MAX - 1,
            none: None,
            kinds: vec![
                Kind::Unit,
                Kind::New(-3),
                Kind::Tuple(7, 'x'),
                Kind::Struct { a: Some(true) },
            ],
            bytes: b"ab",
            // `title` again: `to_value` keeps one, the text has both.
            extra: BTreeMap::from([("title", 1), ("z", -1)]),
            two: 2,
            unit: (),
        };
        assert!(!assert_same_args(
            &typed,
            serde_json::to_value(&typed).unwrap()
        ));

        #[derive(Serialize)]
        struct Plain<'a> {
            title: &'a str,
            n: i64,
            tags: [&'a str; 2],
            kind: Kind,
            map: HashMap<u8, bool>,
            chars: BTreeMap<char, ()>,
            flags: BTreeMap<bool, Option<u8>>,
        }
        let mut plain = Plain {
            title: "tab\there",
            n: -999_999_999_999_999,
            tags: ["a", "b"],
            kind: Kind::Struct { a: None },
            map: HashMap::new(),
            chars: BTreeMap::from([('é', ()), ('"', ())]),
            flags: BTreeMap::from([(false, Some(1)), (true, None)]),
        };
        assert!(assert_same_args(
            &plain,
            serde_json::to_value(&plain).unwrap()
        ));
        plain.n = 1_000_000_000_000_000;
        plain.map = HashMap::from([(1, true), (0, false)]);
        assert!(!assert_same_args(
            &plain,
            serde_json::to_value(&plain).unwrap()
        ));

        // Embedded raw JSON that `to_value` would re-read and print differently.
        for raw in [
            r#"{ "a": 1 }"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":1,"a":2}"#,
            "[1.0]",
            r#"{"a":"\u001F"}"#,
        ] {
            let raw = RawValue::from_string(raw.to_owned()).unwrap();
            let value: Value = serde_json::from_str(raw.get()).unwrap();
            assert!(!assert_same_args(&*raw, value), "{raw}");
        }

        // Arguments `to_value` refuses are refused whichever way they are given.
        let wide = crate::tx("goals", "g").update(&(1i128 << 70)).steps();
        let refused = serde_json::to_value(1i128 << 70).unwrap_err().to_string();
        assert!(wide.unwrap_err().to_string().contains(&refused));
    }

    #[test]
    fn plain_text_runs_stop_at_quotes_backslashes_and_control_characters() {
        let text = "abcdefghijklmnopqrstuvwxyzé€0123456789";
        for stop in ["\"", "\\", "\u{0}", "\u{1f}", "\n"] {
            for at in 0..text.len() {
                if !text.is_char_boundary(at) {
                    continue;
                }
                let probe = format!("{}{stop}{}", &text[..at], &text[at..]);
                assert_eq!(plain_text_len(probe.as_bytes()), at, "{probe:?}");
            }
        }
        assert_eq!(plain_text_len(text.as_bytes()), text.len());
        assert_eq!(plain_text_len(b"\x7f\x80\xff !#[]"), 8);
    }

    #[test]
    fn plain_json_is_canonical_compact_text() {
        for text in [
            r#"{"a":[1,-2,0,"x\n\u0001"],"b":{"a":null,"c":true},"":false}"#,
            "false",
            r#""""#,
            "[]",
            "-999999999999999",
        ] {
            assert!(is_plain_json(text), "{text}");
        }
        for text in [
            r#"{"a":1.5}"#,
            "1e3",
            "-0",
            "01",
            "1000000000000000",
            r#"{"1":1}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a": 1}"#,
            r#""\/""#,
            r#""\u000a""#,
            r#""\u001F""#,
            r#""\u0041""#,
        ] {
            assert!(!is_plain_json(text), "{text}");
        }
    }
}
