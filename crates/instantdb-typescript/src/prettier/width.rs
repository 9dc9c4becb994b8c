//! Character data prettier's layout depends on.

use super::tables::{ES5_PART, ES5_START, WIDTHS};

/// prettier's `getStringWidth`: ASCII text counts its length; otherwise each character counts
/// its East Asian width (2 for wide and fullwidth, 0 for control characters and non-spacing
/// marks, 1 otherwise). Multi-character emoji sequences, which prettier counts as one wide
/// character, are counted per character here.
pub(super) fn string_width(text: &str) -> usize {
    if text.bytes().all(|b| (0x20..=0x7f).contains(&b)) {
        return text.len();
    }
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let cp = c as u32;
    match WIDTHS.binary_search_by(|&(lo, hi, _)| {
        if hi < cp {
            std::cmp::Ordering::Less
        } else if lo > cp {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(index) => usize::from(WIDTHS[index].2),
        Err(_) => 1,
    }
}

fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let cp = c as u32;
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// prettier's `isEs5IdentifierName` (reserved words included: they are valid property names).
pub(super) fn is_es5_identifier_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| in_ranges(ES5_START, first))
        && chars.all(|c| in_ranges(ES5_PART, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_prettier() {
        assert_eq!(string_width("abc"), 3);
        assert_eq!(string_width("é"), 1);
        assert_eq!(string_width("e\u{301}"), 1);
        assert_eq!(string_width("日本"), 4);
        assert_eq!(string_width("a\tb"), 2);
        assert_eq!(string_width("\u{7f}"), 1);
        assert_eq!(string_width("é\u{7f}"), 1);
    }

    #[test]
    fn es5_identifiers() {
        for name in ["a", "$users", "_x", "éclair", "class", "a1", "日本"] {
            assert!(is_es5_identifier_name(name), "{name}");
        }
        for name in ["", "1a", "a-b", "a b", "a\u{1F600}"] {
            assert!(!is_es5_identifier_name(name), "{name}");
        }
    }
}
