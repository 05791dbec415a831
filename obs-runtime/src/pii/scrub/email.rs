//! The email rule, matched by hand: the scrubber's most frequent find, where the `regex`
//! crate's search (a forward and a reverse DFA scan from the line's start, per match) cost more
//! than everything else on a line. The pattern stays the specification:
//! `[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`, and a test checks
//! that this matcher finds what `regex` finds for it, match for match.

use std::ops::Range;

/// The pattern this module matches.
#[cfg(test)]
pub(super) const PATTERN: &str =
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}";

/// The first match in `text` that starts at `from` or later, as the pattern's leftmost-first
/// search finds it.
///
/// Every match holds one `@`. Its local part is the run of local bytes right before it (the
/// earliest start wins, and a local part cannot cross an `@`); its domain is the labels after
/// it, up to the letters that start the last label with two letters or more at their start
/// (the repetition is greedy and gives labels back until `\.[A-Za-z]{2,}` fits).
pub(super) fn find_at(text: &str, from: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        let sign = at + memchr::memchr(b'@', bytes.get(at..)?)?;
        let local = bytes[from..sign].iter().rev().take_while(|&&b| is_local(b)).count();
        if local > 0
            && let Some(end) = domain_end(bytes, sign + 1)
        {
            return Some(sign - local..end);
        }
        at = sign + 1;
    }
}

/// `[A-Za-z0-9._%+\-]`
fn is_local(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// `[A-Za-z0-9\-]`
fn is_domain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-'
}

/// Where a domain that starts at `start` ends, if one does.
fn domain_end(bytes: &[u8], start: usize) -> Option<usize> {
    let run = |from: usize, class: fn(&u8) -> bool| {
        bytes.get(from..).map_or(0, |rest| rest.iter().take_while(|b| class(b)).count())
    };
    let first = run(start, |&b| is_domain(b));
    if first == 0 {
        return None;
    }
    let (mut label_end, mut end) = (start + first, None);
    while bytes.get(label_end) == Some(&b'.') {
        let letters = run(label_end + 1, u8::is_ascii_alphabetic);
        if letters >= 2 {
            end = Some(label_end + 1 + letters);
        }
        let label = run(label_end + 1, |&b| is_domain(b));
        if label == 0 {
            break;
        }
        label_end += 1 + label;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::super::hand_matched::{holds_to_pattern, matches};
    use super::*;

    #[test]
    fn finds_what_the_pattern_finds() {
        const PIECES: &[&str] = &[
            "a", "Z", "9", ".", "..", "-", "_", "%", "+", "@", "@@", "com", "io", "x", "b2",
            "co.uk", " ", ",", "é", "\u{a0}", "ab.", ".c", "1a", "-x", "jane.doe", "example",
            "@mail", ".com", ".de", "@b.io", "x@", ".", "@",
        ];
        let matched = holds_to_pattern(find_at, PATTERN, PIECES, 17, 100_000, 20);
        // The generator is worth something only if it makes emails, often.
        assert!(matched > 15_000, "{matched}");
    }

    #[test]
    fn examples() {
        let text = "mail a@b.com, x@y.c5 or jane.doe+shop@mail.example.co.uk@x.";
        let found: Vec<&str> = matches(find_at, text).into_iter().map(|m| &text[m]).collect();
        assert_eq!(found, ["a@b.com", "jane.doe+shop@mail.example.co.uk"]);
    }
}
