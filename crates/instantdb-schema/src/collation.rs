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

use std::cmp::Ordering;
use std::sync::OnceLock;

use icu_collator::options::CollatorOptions;
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
    match collator() {
        Some(collator) => collator.compare(a, b),
        // Unreachable with compiled data; code-point order keeps the result deterministic.
        None => a.cmp(b),
    }
}

fn collator() -> Option<&'static CollatorBorrowed<'static>> {
    static COLLATOR: OnceLock<Option<CollatorBorrowed<'static>>> = OnceLock::new();
    COLLATOR
        .get_or_init(|| Collator::try_new(Default::default(), CollatorOptions::default()).ok())
        .as_ref()
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

    #[test]
    fn strings_equal_under_collation_compare_equal() {
        // Node: "a\u0001".localeCompare("a") === 0, so a stable sort keeps their input order.
        assert_eq!(locale_compare("a\u{1}", "a"), Ordering::Equal);
        assert_eq!(locale_compare("ss", "ß"), Ordering::Less);
        assert_eq!(locale_compare("a", "A"), Ordering::Less);
    }
}
