//! What the tests of the rules matched by hand (`email`, `card`) share: the matches a search
//! function finds as the scrubber iterates, and the check that they are the pattern's.

use regex::Regex;
use std::ops::Range;

/// A rule's search from a position on, as the scrubber's `replace` takes it.
pub(super) type FindAt = fn(&str, usize) -> Option<Range<usize>>;

/// Every match of `text`, from the start, as the scrubber iterates.
pub(super) fn matches(find_at: FindAt, text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(m) = find_at(text, at) {
        at = m.end;
        found.push(m);
    }
    found
}

/// `find_at` finds what `pattern` finds, on `texts` texts of up to `pieces_per_text` random
/// `pieces`: every match from the start, and the first from a random position (where the
/// byte before it counts, as it does for `regex`'s `find_at`). Returns how many texts held a
/// match, for the caller to check that its generator is worth something.
pub(super) fn holds_to_pattern(
    find_at: FindAt,
    pattern: &str,
    pieces: &[&str],
    seed: u64,
    texts: usize,
    pieces_per_text: usize,
) -> usize {
    let pattern = Regex::new(pattern).expect("the pattern compiles");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut matched = 0;
    for _ in 0..texts {
        let text: String =
            (0..rng.usize(1..pieces_per_text)).map(|_| pieces[rng.usize(..pieces.len())]).collect();
        let expected: Vec<_> = pattern.find_iter(&text).map(|m| m.range()).collect();
        assert_eq!(matches(find_at, &text), expected, "on {text:?}");
        matched += usize::from(!expected.is_empty());
        let from = rng.usize(..=text.len());
        if text.is_char_boundary(from) {
            let expected = pattern.find_at(&text, from).map(|m| m.range());
            assert_eq!(find_at(&text, from), expected, "from {from} on {text:?}");
        }
    }
    matched
}
