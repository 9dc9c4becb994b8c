//! `localeCompare`: the order upstream sorts entity and attribute names in.
//!
//! Upstream calls `a.localeCompare(b)` with no locale, which under Node 20 means ICU with the
//! `en-US` default locale: the CLDR root collation (English adds no tailoring) at tertiary
//! strength, punctuation not ignored, no numeric ordering. ICU4X's collator with default
//! preferences and options is exactly that configuration, so the order agrees with Node's, e.g.
//! `_x < $files < 10 < 9 < a < A < a_b < a-b < ab < aB` (checked against Node in the tests and
//! in `cargo xtask conformance schema`).
//!
//! Different strings can compare equal (for instance when they differ only by characters the
//! collation ignores, such as control characters). This function then returns `Equal` and adds
//! no tie-break of its own: upstream sorts with the stable `Array.prototype.sort`, so ties keep
//! their input order, and callers reproduce that with the stable `sort_by`.
//!
//! Names are nearly always printable ASCII, and for those a comparison is three table lookups
//! per character instead of a walk through ICU's collation elements (V8 has the same fast path
//! for `localeCompare`). In this collation each printable ASCII character is one collation
//! element with a non-zero primary weight (no contractions, expansions or ignorables), so the
//! UCA comparison reduces to: primary weights character by character, the shorter string first
//! when one is a prefix of the other, then secondary weights, then tertiary weights. The weight
//! tables are not typed in: they are the ranks ICU4X itself gives the 95 characters at primary,
//! secondary and tertiary strength, derived on first use. Any other string goes to ICU4X. The
//! tests compare both paths on every pair of one- and two-character strings and on random
//! strings.

use std::cmp::Ordering;
use std::sync::OnceLock;

use icu_collator::options::{AlternateHandling, CaseLevel, CollatorOptions, Strength};
use icu_collator::preferences::{CollationCaseFirst, CollationNumericOrdering};
use icu_collator::{Collator, CollatorBorrowed};

/// Compares `a` and `b` as JavaScript's `a.localeCompare(b)` does under Node 20 (ICU, `en-US`).
///
/// Use it with a stable sort (`sort_by`) to reproduce upstream's `sortedEntries`:
///
/// ```
/// let mut names = vec!["b", "B", "$users", "_x", "10", "9", "a-b", "a_b", "é", "f"];
/// names.sort_by(|a, b| instantdb_schema::locale_compare(a, b));
/// assert_eq!(names, ["_x", "$users", "10", "9", "a_b", "a-b", "b", "B", "é", "f"]);
/// ```
pub fn locale_compare(a: &str, b: &str) -> Ordering {
    let Some(collation) = collation() else {
        // Unreachable with compiled data; code-point order keeps the result deterministic.
        return a.cmp(b);
    };
    let ascii = collation.ascii.as_ref();
    match ascii.and_then(|ascii| ascii.compare(a.as_bytes(), b.as_bytes())) {
        Some(order) => order,
        None => collation.collator.compare(a, b),
    }
}

/// The ICU4X collator, and the printable-ASCII tables derived from it.
struct Collation {
    collator: CollatorBorrowed<'static>,
    ascii: Option<AsciiWeights>,
}

fn collation() -> Option<&'static Collation> {
    static COLLATION: OnceLock<Option<Collation>> = OnceLock::new();
    COLLATION
        .get_or_init(|| {
            let collator =
                Collator::try_new(Default::default(), CollatorOptions::default()).ok()?;
            let ascii = AsciiWeights::derive(&collator);
            Some(Collation { collator, ascii })
        })
        .as_ref()
}

/// The first and last printable ASCII characters (space and `~`).
const PRINTABLE: std::ops::RangeInclusive<u8> = b' '..=b'~';

/// Per-level ranks of the printable ASCII characters (index: the byte; 0 marks every other
/// byte): `levels[0]` orders by primary weight, `levels[1]` by primary then secondary,
/// `levels[2]` by primary, secondary and tertiary weight. Equal weights give equal ranks.
#[derive(Debug, PartialEq)]
struct AsciiWeights {
    levels: [[u8; 128]; 3],
}

impl AsciiWeights {
    /// Ranks the printable ASCII characters with `collator` itself and with copies of it at
    /// primary and secondary strength. `None` (no fast path) when the collator is not the
    /// configuration the fast path assumes, or a character has no primary weight.
    fn derive(collator: &CollatorBorrowed<'static>) -> Option<AsciiWeights> {
        let resolved = collator.resolved_options();
        let expected = resolved.strength == Strength::Tertiary
            && resolved.alternate_handling == AlternateHandling::NonIgnorable
            && resolved.case_level == CaseLevel::Off
            && matches!(resolved.case_first, CollationCaseFirst::False)
            && matches!(resolved.numeric, CollationNumericOrdering::False);
        if !expected {
            return None;
        }
        let at_strength = |strength| {
            let mut options = CollatorOptions::default();
            options.strength = Some(strength);
            Collator::try_new(Default::default(), options).ok()
        };
        let primary = at_strength(Strength::Primary)?;
        let secondary = at_strength(Strength::Secondary)?;
        // The prefix rule below needs every character to carry a primary weight.
        if PRINTABLE
            .clone()
            .any(|c| primary.compare(one(&c), "") != Ordering::Greater)
        {
            return None;
        }
        Some(AsciiWeights {
            levels: [ranks(&primary), ranks(&secondary), ranks(collator)],
        })
    }

    /// The UCA comparison of two printable-ASCII strings, or `None` if either has another byte.
    fn compare(&self, a: &[u8], b: &[u8]) -> Option<Ordering> {
        // Identical characters have identical weights at every level, so the common prefix is
        // skipped (after checking it, in `a`).
        let common = common_prefix(a, b);
        let b = &b[common..];
        if !printable(a) || !printable(b) {
            return None;
        }
        let a = &a[common..];
        for (level, weights) in self.levels.iter().enumerate() {
            for (&x, &y) in a.iter().zip(b) {
                let (x, y) = (weights[usize::from(x)], weights[usize::from(y)]);
                if x != y {
                    return Some(x.cmp(&y));
                }
            }
            // Equal primaries over the shorter length: the shorter string's primary weights are
            // a prefix of the other's, and it sorts first. Past this the lengths are equal.
            if level == 0 && a.len() != b.len() {
                return Some(a.len().cmp(&b.len()));
            }
        }
        Some(Ordering::Equal)
    }
}

/// Whether every byte of `s` is printable ASCII. Names are short: no early exit, so the loop
/// vectorizes.
fn printable(s: &[u8]) -> bool {
    s.iter()
        .fold(true, |all, &c| all & (c.wrapping_sub(b' ') <= b'~' - b' '))
}

/// The length of the longest common prefix of `a` and `b`, eight bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let mut at = 0;
    for (x, y) in a[..len].chunks_exact(8).zip(b[..len].chunks_exact(8)) {
        let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
        let diff = word(x) ^ word(y);
        if diff != 0 {
            return at + (diff.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..len]
        .iter()
        .zip(&b[at..len])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The one-character string of a printable ASCII byte.
fn one(c: &u8) -> &str {
    std::str::from_utf8(std::slice::from_ref(c)).unwrap_or_default()
}

/// Dense ranks (from 1) of the printable ASCII characters in `collator`'s order.
fn ranks(collator: &CollatorBorrowed<'_>) -> [u8; 128] {
    let mut chars: Vec<u8> = PRINTABLE.collect();
    chars.sort_by(|x, y| collator.compare(one(x), one(y)));
    let mut table = [0; 128];
    let mut rank = 0;
    let mut previous: Option<u8> = None;
    for c in chars {
        if previous.is_none_or(|p| collator.compare(one(&p), one(&c)) != Ordering::Equal) {
            rank += 1;
        }
        table[usize::from(c)] = rank;
        previous = Some(c);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorted by Node 20.20.2 (ICU 78.2, CLDR 48, locale en-US) with
    /// `names.sort((a, b) => a.localeCompare(b))` from the same shuffled input as below.
    const NODE_ORDER: &[&str] = &[
        "_", "_x", "-", "-a", "#x", "~", "$", "$files", "$users", "0", "00", "10", "1a", "9", "a",
        "a\u{1}", "a", "A", "ä", "a 1", "a_b", "a-b", "a1", "ab", "aB", "b", "B", "e", "é", "f",
        "ff", "\u{fb00}", "n", "ñ", "o", "ø", "ss", "ß", "x.y", "z", "Z", "Ω", "\u{ff71}", "中",
    ];

    #[test]
    fn sorts_like_node_locale_compare() {
        let input = [
            "b", "B", "$users", "_x", "10", "9", "a-b", "a_b", "ab", "aB", "a", "A", "$files", "é",
            "e", "f", "Z", "z", "ä", "a1", "a 1", "-a", "#x", "~", "a\u{1}", "a", "ß", "ss", "x.y",
            "$", "_", "-", "0", "00", "1a", "ñ", "n", "o", "ø", "Ω", "中", "\u{ff71}", "\u{fb00}",
            "ff",
        ];
        let mut sorted = input.to_vec();
        sorted.sort_by(|a, b| locale_compare(a, b));
        assert_eq!(sorted, NODE_ORDER);
    }

    fn tables() -> (&'static AsciiWeights, &'static CollatorBorrowed<'static>) {
        let collation = collation().expect("compiled collation data");
        let ascii = collation.ascii.as_ref().expect("the ASCII fast path is on");
        (ascii, &collation.collator)
    }

    /// The fast path and ICU4X agree on `a` vs `b` (both ways round).
    fn assert_agree(ascii: &AsciiWeights, collator: &CollatorBorrowed<'_>, a: &str, b: &str) {
        let fast = ascii.compare(a.as_bytes(), b.as_bytes());
        assert_eq!(fast, Some(collator.compare(a, b)), "{a:?} vs {b:?}");
        assert_eq!(
            fast.map(Ordering::reverse),
            ascii.compare(b.as_bytes(), a.as_bytes())
        );
    }

    #[test]
    fn ascii_tables_are_icus_weights() {
        let (ascii, _) = tables();
        let [primary, secondary, tertiary] = &ascii.levels;
        let at = |table: &[u8; 128], c: u8| table[usize::from(c)];
        assert_eq!(at(primary, b'a'), at(primary, b'A'));
        assert!(at(tertiary, b'a') < at(tertiary, b'A'));
        assert!(at(primary, b'_') < at(primary, b'-'));
        assert!(at(primary, b'9') < at(primary, b'a'));
        for c in PRINTABLE {
            assert!(at(primary, c) > 0 && at(secondary, c) > 0 && at(tertiary, c) > 0);
        }
        for c in (0..b' ').chain([0x7f]) {
            assert_eq!(at(tertiary, c), 0);
        }
        // Strings with any other character go to ICU4X.
        for other in ["é", "a\u{1}", "a\tb", "\u{7f}", "中"] {
            assert_eq!(ascii.compare(other.as_bytes(), b"a"), None);
            assert_eq!(ascii.compare(b"a", other.as_bytes()), None);
        }
    }

    #[test]
    fn ascii_fast_path_agrees_with_icu_on_all_short_strings() {
        let (ascii, collator) = tables();
        let singles: Vec<String> = PRINTABLE.map(|c| char::from(c).to_string()).collect();
        let mut short = vec![String::new()];
        short.extend(singles.iter().cloned());
        for a in PRINTABLE {
            for b in PRINTABLE {
                short.push(format!("{}{}", char::from(a), char::from(b)));
            }
        }
        // Every string of at most two characters against every one of at most one: the prefix
        // rule, and any contraction or expansion among two printable characters, would show.
        for a in &short {
            for b in short.iter().take(1 + singles.len()) {
                assert_agree(ascii, collator, a, b);
            }
        }
    }

    /// xorshift64: a fixed, seeded sequence.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn word(&mut self, alphabet: &[u8], len: usize) -> Vec<u8> {
            (0..len)
                .map(|_| alphabet[self.below(alphabet.len())])
                .collect()
        }
    }

    #[test]
    fn ascii_fast_path_agrees_with_icu_on_random_strings() {
        let (ascii, collator) = tables();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let all: Vec<u8> = PRINTABLE.collect();
        // Few characters, many equal primaries: case variants, digits, `$`, `_`, `-`, space.
        let close = b"aAbBzZ09$_- ";
        for round in 0..60_000 {
            let alphabet = [&all[..], &close[..]][round % 2];
            // Mostly short names, some past the eight-byte steps of `common_prefix`.
            let len = rng.below([9, 9, 24][round % 3]);
            let a = rng.word(alphabet, len);
            let b = match round % 4 {
                // Unrelated.
                0 => {
                    let len = rng.below(9);
                    rng.word(alphabet, len)
                }
                // `a` with a suffix, or a prefix of `a`.
                1 => {
                    let mut b = a.clone();
                    let len = rng.below(3);
                    b.extend(rng.word(alphabet, len));
                    b.truncate(rng.below(b.len() + 2));
                    b
                }
                // `a` with random case flips: equal primaries, differing tertiaries.
                2 => a
                    .iter()
                    .map(|&c| {
                        let flips = [u8::to_ascii_uppercase, u8::to_ascii_lowercase];
                        flips[rng.below(2)](&c)
                    })
                    .collect(),
                // `a` with one character replaced.
                _ => {
                    let mut b = a.clone();
                    if !b.is_empty() {
                        let at = rng.below(b.len());
                        b[at] = rng.word(alphabet, 1)[0];
                    }
                    b
                }
            };
            let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).expect("ASCII");
            assert_agree(ascii, collator, &text(&a), &text(&b));
        }
    }

    #[test]
    fn common_prefix_counts_equal_leading_bytes() {
        let text = b"entity00Attr00-entity00Attr00";
        for a in 0..=text.len() {
            for b in 0..=text.len() {
                let (x, y) = (&text[..a], &text[..b]);
                assert_eq!(common_prefix(x, y), a.min(b));
                let mut z = y.to_vec();
                if let Some(at) = b.checked_sub(1) {
                    z[at] = b'!';
                    assert_eq!(common_prefix(x, &z), a.min(at), "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn strings_equal_under_collation_compare_equal() {
        // Node: "a\u0001".localeCompare("a") === 0, so a stable sort keeps their input order.
        assert_eq!(locale_compare("a\u{1}", "a"), Ordering::Equal);
        assert_eq!(locale_compare("ss", "ß"), Ordering::Less);
        assert_eq!(locale_compare("a", "A"), Ordering::Less);
    }
}
