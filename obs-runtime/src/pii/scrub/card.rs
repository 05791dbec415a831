//! The card rule on ASCII text, matched by hand: after the prefilter, the card pattern's search
//! was the scrubber's largest cost on lines with personal data (a forward and a reverse DFA scan
//! per search, and one more search past the last match). The pattern stays the specification,
//! `\b(?:\d[ \-]?){12,18}\d\b`, and a test checks that this matcher finds what `regex` finds for
//! it on ASCII text, match for match. Other text keeps the pattern: there its `\d` and `\b` are
//! Unicode's.

use std::ops::Range;

/// The pattern this module matches.
#[cfg(test)]
pub(super) const PATTERN: &str = r"\b(?:\d[ \-]?){12,18}\d\b";

/// The first match in ASCII `text` that starts at `from` or later, as the pattern's
/// leftmost-first search finds it (the byte before `from` counts for the first `\b`, as it
/// does for `regex`'s `find_at`).
///
/// A match starts at a digit with no word byte before it and holds 13 to 19 digits with single
/// spaces or dashes between them; the greedy repetition makes it end at the last of its digits
/// (the 19th at most) that no word byte follows.
pub(super) fn find_at(text: &str, from: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        let digit = at + bytes.get(at..)?.iter().position(u8::is_ascii_digit)?;
        if (digit == 0 || !is_word(bytes[digit - 1]))
            && let Some(end) = end_from(bytes, digit)
        {
            return Some(digit..end);
        }
        at = digit + 1;
    }
}

/// Where the match that starts at the digit at `start` ends, if one does.
fn end_from(bytes: &[u8], start: usize) -> Option<usize> {
    let (mut digit, mut digits, mut end) = (start, 0, None);
    loop {
        digits += 1;
        let after = digit + 1;
        if digits >= 13 && bytes.get(after).is_none_or(|&next| !is_word(next)) {
            end = Some(after);
        }
        if digits == 19 {
            return end;
        }
        digit = match bytes.get(after) {
            Some(next) if next.is_ascii_digit() => after,
            Some(b' ' | b'-') if bytes.get(after + 1).is_some_and(u8::is_ascii_digit) => after + 1,
            _ => return end,
        };
    }
}

/// `\w` on ASCII.
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

#[cfg(test)]
mod tests {
    use super::super::hand_matched::{holds_to_pattern, matches};
    use super::*;

    #[test]
    fn finds_what_the_pattern_finds() {
        const PIECES: &[&str] = &[
            "4",
            "2",
            "0",
            "9",
            "4242",
            "42424",
            "1234567",
            " ",
            "-",
            "  ",
            "--",
            " -",
            "a",
            "Z",
            "_",
            ".",
            ",",
            "x1",
            "4242 4242 4242 4242",
            "4111-1111-1111-1111",
            "378282246310005",
            "12345678901234567890",
            "(",
            "+",
        ];
        let matched = holds_to_pattern(find_at, PATTERN, PIECES, 23, 100_000, 16);
        // The generator is worth something only if it makes card-shaped numbers, often.
        assert!(matched > 10_000, "{matched}");
    }

    #[test]
    fn examples() {
        let text = "pay 4242 4242 4242 4242, x4242424242424242 or 1234-5678-9012-3456-7890-1";
        let found: Vec<&str> = matches(find_at, text).into_iter().map(|m| &text[m]).collect();
        // Not the one after `x` (no boundary); the last one up to its 16th digit, the last of
        // its first 19 that a dash follows.
        assert_eq!(found, ["4242 4242 4242 4242", "1234-5678-9012-3456"]);
    }
}
