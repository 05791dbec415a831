//! The `tracestate` header of W3C Trace Context Level 2
//! (<https://www.w3.org/TR/trace-context-2/#tracestate-header>).
//!
//! obs adds no member of its own: it forwards what it received, in order. Written here because
//! OpenTelemetry's `TraceState` parser accepts what the grammar forbids (empty values), refuses
//! what Level 2 allows (several `@` in a key), does not trim white space around members, reads
//! one header only, and silently truncates to 32 members.
//!
//! Where the Recommendation leaves a choice, obs takes the strict one: a list that breaks the
//! grammar (a bad key or value, a key given twice, more than 32 members) is discarded whole
//! (§4.3 allows discarding the header or the bad entries); a `tracestate` without a valid
//! `traceparent` is ignored; an empty list is not sent (§3.3.2: vendors SHOULD avoid it).

use opentelemetry::trace::TraceState;

/// At most this many list members (§3.3.1.1: `list-member 0*31( OWS "," OWS list-member )`).
pub const MAX_MEMBERS: usize = 32;
/// A key is at most 256 characters.
const MAX_KEY: usize = 256;
/// A value is at most 256 characters.
const MAX_VALUE: usize = 256;

/// Parses the `tracestate` header values of one request: several headers are one list,
/// combined in order (§3.3.1.4). A list that breaks the grammar anywhere is discarded whole
/// (an empty `TraceState`): a vendor's member cannot be told apart from the garbage around it.
///
/// ```
/// use obs_runtime::propagation::tracestate::parse;
/// let state = parse(&["congo=t61rcWkgMzE", " rojo=00f067aa0ba902b7 ,,"]);
/// assert_eq!(state.header(), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
/// assert_eq!(parse(&["congo=", "rojo=1"]).header(), ""); // an empty value breaks the grammar
/// ```
pub fn parse(values: &[&str]) -> TraceState {
    parse_members(values)
        .and_then(|members| TraceState::from_key_value(members).ok())
        .unwrap_or_default()
}

/// The members of the combined list, or `None` if it breaks the grammar.
fn parse_members<'a>(values: &[&'a str]) -> Option<Vec<(&'a str, &'a str)>> {
    let mut members: Vec<(&str, &str)> = Vec::new();
    for member in values.iter().flat_map(|value| value.split(',')) {
        // OWS around members, and empty members, are allowed (§3.3.1.2): they appear when
        // intermediaries combine headers.
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        if !valid_key(key) || !valid_value(value) {
            return None;
        }
        // A key appears at most once in the list (§3.3.1.3.1).
        if members.iter().any(|(k, _)| *k == key) {
            return None;
        }
        members.push((key, value));
        if members.len() > MAX_MEMBERS {
            return None;
        }
    }
    Some(members)
}

/// Level 2's key grammar (§3.3.2.2.1): `key = ( lcalpha / DIGIT ) 0*255( keychar )` with
/// `keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"`. (Level 1 split a key into
/// `tenant@system` with lengths of its own; every Level 1 key is a Level 2 key.)
pub(crate) fn valid_key(key: &str) -> bool {
    let keychar = |b: u8| {
        b.is_ascii_lowercase()
            || b.is_ascii_digit()
            || matches!(b, b'_' | b'-' | b'*' | b'/' | b'@')
    };
    match key.as_bytes().split_first() {
        Some((&first, rest)) => {
            key.len() <= MAX_KEY
                && (first.is_ascii_lowercase() || first.is_ascii_digit())
                && rest.iter().all(|&b| keychar(b))
        }
        None => false,
    }
}

/// `value = 0*255(chr) nblk-chr`: printable ASCII without `,` and `=`, spaces allowed inside
/// but not at the end; at least one character.
pub(crate) fn valid_value(value: &str) -> bool {
    let nblk = |b: u8| (0x21..=0x7e).contains(&b) && b != b',' && b != b'=';
    let bytes = value.as_bytes();
    match bytes.split_last() {
        Some((&last, rest)) => {
            bytes.len() <= MAX_VALUE && nblk(last) && rest.iter().all(|&b| b == b' ' || nblk(b))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    //! One test per rule of §3.3 of Trace Context Level 2.
    use super::*;

    fn header(values: &[&str]) -> String {
        parse(values).header()
    }

    #[test]
    fn members_are_kept_in_order() {
        assert_eq!(
            header(&["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"]),
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
        );
    }

    #[test]
    fn several_headers_are_one_list_in_order() {
        assert_eq!(header(&["rojo=1", "congo=2,blue=3"]), "rojo=1,congo=2,blue=3");
    }

    #[test]
    fn white_space_around_members_and_empty_members_are_ignored() {
        assert_eq!(header(&[" rojo=1 ,\t, congo=2\t", "", ","]), "rojo=1,congo=2");
        assert_eq!(header(&[""]), "");
    }

    #[test]
    fn keys_follow_the_grammar() {
        // Level 2: a lower-case letter or a digit first, then `a-z0-9_-*/@`, up to 256 in all.
        for key in [
            "a",
            "0",
            "a0_-*/",
            "tenant@system",
            "0tenant@sys",
            "a@",
            "a@b@c",
            &"k".repeat(256),
            &format!("{}@{}", "t".repeat(241), "s".repeat(14)),
        ] {
            assert!(valid_key(key), "{key}");
        }
        for key in ["", "A", "_a", "*a", "a b", "a.b", "@b", "a@B", "aé", &"k".repeat(257)] {
            assert!(!valid_key(key), "{key}");
        }
    }

    #[test]
    fn values_follow_the_grammar() {
        for value in ["x", "a b", "!~", &"v".repeat(256)] {
            assert!(valid_value(value), "{value}");
        }
        for value in ["", "a ", "a,b", "a=b", "\u{7f}", "é", &"v".repeat(257)] {
            assert!(!valid_value(value), "{value}");
        }
    }

    #[test]
    fn a_list_that_breaks_the_grammar_is_discarded_whole() {
        assert_eq!(header(&["rojo=1,Bad=2"]), "");
        assert_eq!(header(&["rojo=1", "novalue"]), "");
        assert_eq!(header(&["rojo=1,congo="]), "");
    }

    #[test]
    fn a_key_appears_once() {
        assert_eq!(header(&["rojo=1,rojo=2"]), "");
    }

    #[test]
    fn at_most_32_members() {
        let members = |n: usize| (0..n).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(",");
        assert_eq!(parse(&[&members(32)]).header(), members(32));
        assert_eq!(header(&[&members(33)]), "");
        // Empty members do not count.
        assert_eq!(parse(&[&format!("{},,,", members(32))]).header(), members(32));
    }
}
