//! The last line of defence for free text: masks personal data in log messages, log fields,
//! span attributes and events, and error messages, before anything leaves the process.
//!
//! It masks emails, card numbers (an issuer's prefix and length, and a valid Luhn check digit),
//! US social security numbers (`123-45-6789`, with the SSA's validity rules), JWTs, `Bearer`
//! tokens, `password=…`-style pairs, IBANs (valid mod-97 check), and phone numbers in
//! international form (`+44 20 7946 0958`). Text without any of these
//! comes back unchanged and unallocated: one pass finds which rules may match (most text: none),
//! and what a pattern finds must pass its validation (so timestamps, UUIDs and ordinary numbers
//! stay).
//!
//! ```
//! use obs_runtime::scrub::scrub;
//! assert_eq!(scrub("mail jane.doe@example.com now"), "mail [REDACTED:email] now");
//! assert_eq!(scrub("paid with 4242 4242 4242 4242"), "paid with [REDACTED:card]");
//! assert_eq!(scrub("order 4242424242424241 shipped"), "order 4242424242424241 shipped"); // Luhn fails
//! assert!(matches!(scrub("nothing here"), std::borrow::Cow::Borrowed(_)));
//! ```

mod card;
mod email;
#[cfg(test)]
mod hand_matched;
mod prefilter;

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use regex::Regex;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use prefilter::Candidates;

/// A value that went through the scrubber. Sinks take only this (the JSON log writer, the
/// OTLP log emitter, the span exporters, the Prometheus endpoint, outgoing baggage), and only
/// this module makes one: text that leaves the process cannot skip the scrubber by accident.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scrubbed<T>(T);

impl<T> Scrubbed<T> {
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

impl Scrubbed<String> {
    /// `text`, scrubbed.
    pub(crate) fn text(text: &str) -> Self {
        Scrubbed(scrub(text).into_owned())
    }

    /// `text`, scrubbed, without a copy when there was nothing to mask.
    pub(crate) fn owned(text: String) -> Self {
        Scrubbed(scrub_string(text))
    }

    /// `text` if the scrubber finds nothing to mask in it (for ids that appear in every log
    /// line: an id that looks like personal data is refused, not masked).
    pub(crate) fn exact(text: String) -> Option<Self> {
        matches!(scrub(&text), Cow::Borrowed(_)).then_some(Scrubbed(text))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A finished span with every text scrubbed: its name, string attributes, events (name and
/// attributes), links' attributes and status message. Done on export, so that spans that are
/// dropped cost nothing.
pub(crate) fn span(mut span: SpanData) -> Scrubbed<SpanData> {
    if let Cow::Owned(name) = scrub(&span.name) {
        span.name = Cow::Owned(name);
    }
    if let opentelemetry::trace::Status::Error { description } = &mut span.status
        && let Cow::Owned(scrubbed) = scrub(description)
    {
        *description = Cow::Owned(scrubbed);
    }
    scrub_attributes(&mut span.attributes);
    for event in &mut span.events.events {
        if let Cow::Owned(name) = scrub(&event.name) {
            event.name = Cow::Owned(name);
        }
        scrub_attributes(&mut event.attributes);
    }
    for link in &mut span.links.links {
        scrub_attributes(&mut link.attributes);
    }
    Scrubbed(span)
}

/// A metric's key with its label values scrubbed (borrowed when there was nothing to mask).
pub(crate) fn metric_key(key: &metrics::Key) -> Scrubbed<Cow<'_, metrics::Key>> {
    if key.labels().all(|label| matches!(scrub(label.value()), Cow::Borrowed(_))) {
        return Scrubbed(Cow::Borrowed(key));
    }
    let labels: Vec<metrics::Label> = key
        .labels()
        .map(|label| metrics::Label::new(label.key().to_owned(), scrub(label.value()).into_owned()))
        .collect();
    Scrubbed(Cow::Owned(metrics::Key::from_parts(key.name_shared(), labels)))
}

fn scrub_attributes(attributes: &mut [KeyValue]) {
    for kv in attributes {
        match &kv.value {
            Value::String(text) => {
                if let Cow::Owned(scrubbed) = scrub(text.as_str()) {
                    kv.value = Value::from(scrubbed);
                }
            }
            Value::Array(opentelemetry::Array::String(texts)) => {
                let texts = texts.iter().map(|t| scrub(t.as_str()).into_owned().into()).collect();
                kv.value = Value::Array(opentelemetry::Array::String(texts));
            }
            _ => {}
        }
    }
}

/// `text`, scrubbed, reusing its allocation when there was nothing to mask.
fn scrub_string(text: String) -> String {
    match scrub(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(scrubbed) => scrubbed,
    }
}

struct Rules {
    card: Regex,
    ssn: Regex,
    jwt: Regex,
    bearer: Regex,
    pair: Regex,
    iban: Regex,
    phone: Regex,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    card: compile(r"\b(?:\d[ \-]?){12,18}\d\b"),
    ssn: compile(r"\b(\d{3})-(\d{2})-(\d{4})\b"),
    jwt: compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"),
    bearer: compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*"),
    pair: compile(
        r#"(?i)\b((?:password|passwd|pwd|passphrase|secret|client[_\-]?secret|api[_\-]?key|access[_\-]?token|refresh[_\-]?token|auth[_\-]?token|token|session[_\-]?id)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&"'}]+)"#,
    ),
    iban: compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"),
    phone: compile(r"\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}\b"),
});

fn compile(pattern: &str) -> Regex {
    // The patterns are constants checked by the tests; a failure here is a bug in obs.
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("invalid scrub pattern {pattern}: {e}"))
}

/// `text` with personal data masked; borrowed when nothing was found.
pub fn scrub(input: &str) -> Cow<'_, str> {
    let bytes = input.as_bytes();
    let may = Candidates::of_ascii(bytes).unwrap_or_else(|| Candidates::of_text(bytes));
    scrub_with(input, &may)
}

/// `input` with the rules `may` allows run on it.
fn scrub_with<'a>(input: &'a str, may: &Candidates) -> Cow<'a, str> {
    let mut text = Cow::Borrowed(input);
    if !may.any() {
        return text;
    }
    let rules = &*RULES;
    // Matches, not captures: `find` runs the patterns' DFAs, while asking for groups runs a
    // slower engine. The groups the masks keep are found again in the match, by what the
    // patterns say about them.
    if may.jwt {
        replace(&mut text, by(&rules.jwt), |_| Some(whole("[REDACTED:jwt]")));
    }
    if may.bearer {
        replace(&mut text, by(&rules.bearer), |m| {
            Some([bearer_prefix(m), "[REDACTED:token]", "", ""])
        });
    }
    if may.pair {
        replace(&mut text, by(&rules.pair), |m| {
            let (key, value) = pair_parts(m)?;
            let quote = if value.starts_with('"') {
                "\""
            } else if value.starts_with('\'') {
                "'"
            } else {
                ""
            };
            Some([key, quote, "[REDACTED]", quote])
        });
    }
    if may.email {
        replace(&mut text, email::find_at, |_| Some(whole("[REDACTED:email]")));
    }
    if may.card {
        if may.ascii {
            replace(&mut text, card::find_at, card_mask);
        } else {
            replace(&mut text, by(&rules.card), card_mask);
        }
    }
    if may.ssn {
        replace(&mut text, by(&rules.ssn), |m| {
            let (area, group, serial) = ssn_groups(m)?;
            is_ssn(area, group, serial).then(|| whole("[REDACTED:ssn]"))
        });
    }
    if may.iban {
        replace(&mut text, by(&rules.iban), |m| is_iban(m).then(|| whole("[REDACTED:iban]")));
    }
    if may.phone {
        replace(&mut text, by(&rules.phone), |m| is_phone(m).then(|| whole("[REDACTED:phone]")));
    }
    text
}

/// What a match is replaced with, in pieces: the match's own text it keeps (a key, a
/// prefix) and the mask, written into the new text one after the other, with no `String` of
/// their own.
type Pieces<'m> = [&'m str; 4];

/// A match replaced whole by `mask`.
fn whole(mask: &'static str) -> Pieces<'static> {
    [mask, "", "", ""]
}

/// The card rule's replacement: a match that passes the issuer and Luhn checks.
fn card_mask(m: &str) -> Option<Pieces<'_>> {
    is_card(m).then(|| whole("[REDACTED:card]"))
}

/// Replaces every match `with` accepts; allocates only when one is accepted.
fn replace(
    text: &mut Cow<'_, str>,
    find_at: impl Fn(&str, usize) -> Option<Range<usize>>,
    with: impl for<'m> Fn(&'m str) -> Option<Pieces<'m>>,
) {
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut at = 0;
    // No rule matches empty text, so each search starts where the last match ended.
    while let Some(m) = find_at(text, at) {
        at = m.end;
        if let Some(pieces) = with(&text[m.clone()]) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[last..m.start]);
            pieces.iter().for_each(|piece| out.push_str(piece));
            last = m.end;
        }
    }
    if let Some(mut out) = out {
        out.push_str(&text[last..]);
        *text = Cow::Owned(out);
    }
}

/// A pattern's search from a position on, as [`replace`] takes it.
fn by(regex: &Regex) -> impl Fn(&str, usize) -> Option<Range<usize>> + '_ {
    |text, at| regex.find_at(text, at).map(|m| m.range())
}

/// The first group of a `bearer` match, `bearer\s+`: up to the token's first byte, which is
/// never whitespace (`[A-Za-z0-9\-._~+/]`).
fn bearer_prefix(m: &str) -> &str {
    let is_token = |byte: u8| byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte);
    let token = m.bytes().skip(6).position(is_token).map_or(m.len(), |at| at + 6);
    &m[..token]
}

/// The two groups of a `pair` match: the key with what follows it up to the value, and the
/// value. The key holds no `=` or `:`, so the first one is the separator, and the value starts
/// after the whitespace that follows it (a value never starts with whitespace).
fn pair_parts(m: &str) -> Option<(&str, &str)> {
    let separator = m.find([':', '='])?;
    let value = m[separator + 1..].trim_start();
    Some((&m[..m.len() - value.len()], value))
}

/// The three groups of an `ssn` match, `(\d{3})-(\d{2})-(\d{4})`, split at its dashes.
fn ssn_groups(m: &str) -> Option<(&str, &str, &str)> {
    let mut groups = m.split('-');
    Some((groups.next()?, groups.next()?, groups.next()?))
}

/// A card number: an issuer's prefix and length, and a valid Luhn check digit.
pub(crate) fn is_card(candidate: &str) -> bool {
    // A card number has 19 digits at most: on the stack.
    let mut held = [0u8; 19];
    let mut len = 0;
    for digit in candidate.bytes().filter(u8::is_ascii_digit) {
        let Some(slot) = held.get_mut(len) else {
            return false;
        };
        *slot = digit - b'0';
        len += 1;
    }
    let digits = &held[..len];
    let prefix = |n: usize| digits.iter().take(n).fold(0u32, |acc, &d| acc * 10 + u32::from(d));
    let issuer = match digits.first() {
        Some(4) => matches!(len, 13 | 16 | 19), // Visa
        Some(5) => (51..=55).contains(&prefix(2)) && len == 16, // Mastercard
        Some(2) => (2221..=2720).contains(&prefix(4)) && len == 16, // Mastercard
        Some(3) => match prefix(2) {
            34 | 37 => len == 15,                                                 // Amex
            36 | 38 | 39 => (14..=19).contains(&len),                             // Diners
            35 => (3528..=3589).contains(&prefix(4)) && (16..=19).contains(&len), // JCB
            30 => (300..=305).contains(&prefix(3)) && (14..=19).contains(&len),   // Diners
            _ => false,
        },
        Some(6) => {
            (prefix(4) == 6011
                || prefix(2) == 65
                || (644..=649).contains(&prefix(3))
                || prefix(2) == 62)
                && (16..=19).contains(&len) // Discover, UnionPay
        }
        _ => false,
    };
    issuer && luhn(digits)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A US social security number as the SSA issues them: area not 000, 666 or 9xx; group not
/// 00; serial not 0000.
fn is_ssn(area: &str, group: &str, serial: &str) -> bool {
    area != "000" && area != "666" && !area.starts_with('9') && group != "00" && serial != "0000"
}

/// A phone number in international form: `+`, then 8 to 15 digits (E.164's longest), spaced
/// or grouped as people write them. Numbers without the `+` are not recognised: too many
/// ordinary numbers look like them.
fn is_phone(candidate: &str) -> bool {
    (8..=15).contains(&candidate.bytes().filter(u8::is_ascii_digit).count())
}

/// An IBAN: 15 to 34 characters whose mod-97 check (ISO 13616) holds.
pub(crate) fn is_iban(candidate: &str) -> bool {
    let compact: Vec<u8> = candidate.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut remainder = 0u32;
    for &b in tail.iter().chain(head) {
        let value = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::prefilter::Classes;
    use super::*;

    #[track_caller]
    fn masked(input: &str, expected: &str) {
        assert_eq!(scrub(input), expected, "{input}");
    }

    #[track_caller]
    fn untouched(input: &str) {
        assert!(matches!(scrub(input), Cow::Borrowed(_)), "changed: {input} -> {}", scrub(input));
    }

    #[test]
    fn personal_data_is_masked() {
        masked("contact jane.doe+shop@mail.example.co.uk today", "contact [REDACTED:email] today");
        masked("card=4111111111111111", "card=[REDACTED:card]");
        masked("amex 3782 822463 10005 ok", "amex [REDACTED:card] ok");
        masked("mc 5555-5555-5555-4444", "mc [REDACTED:card]");
        masked("ssn 123-45-6789.", "ssn [REDACTED:ssn].");
        masked(
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk end",
            "jwt [REDACTED:jwt] end",
        );
        masked(
            "Authorization: Bearer abcdef0123456789xyz",
            "Authorization: Bearer [REDACTED:token]",
        );
        masked("login password=hunter2 user=7", "login password=[REDACTED] user=7");
        masked(r#"{"password":"p4ss w0rd","id":1}"#, r#"{"password":"[REDACTED]","id":1}"#);
        masked("api_key: sk_live_123, next", "api_key: [REDACTED], next");
        masked("pay to DE89 3704 0044 0532 0130 00 now", "pay to [REDACTED:iban] now");
        masked("GB82WEST12345698765432", "[REDACTED:iban]");
        masked("call +1 (415) 555-2671 today", "call [REDACTED:phone] today");
        masked("tel:+442079460958", "tel:[REDACTED:phone]");
    }

    #[test]
    fn text_without_personal_data_is_returned_as_is() {
        untouched("GET /orders/42 took 12 ms");
        untouched("2026-11-24T12:00:00.123456Z started");
        untouched("request 123e4567-e89b-12d3-a456-426614174000 done");
        untouched("epoch 1732454400123 ns 1732454400123456789");
        untouched("order 4242424242424241 shipped"); // Luhn fails
        untouched("id 1234567890123456"); // no issuer starts with 1
        untouched("ssn-like 000-12-3456 or 666-12-3456 or 912-34-5678");
        untouched("iban-like DE89 3704 0044 0532 0130 01"); // mod-97 fails
        untouched("user@ without domain, a@b");
        untouched("tokens: 5, token_count=3, password_policy=strict");
        untouched("version 1.2.3-beta+build.45 at 10:42");
        untouched("at 2026-11-24T12:00:00+01:00, score +1234567 (7 digits), 1e+10");
        untouched("");
    }

    #[test]
    fn several_kinds_in_one_line() {
        masked(
            "jane@example.com paid 4242424242424242 with password=x",
            "[REDACTED:email] paid [REDACTED:card] with password=[REDACTED]",
        );
    }

    /// The groups the masks keep, found again in a match, are the patterns' capture groups,
    /// on random text dense in keys, separators and whitespace (Unicode's too).
    #[test]
    fn groups_found_in_a_match_are_the_patterns_groups() {
        const PIECES: &[&str] = &[
            "password",
            "Token",
            "api-key",
            "session_id",
            "bearer",
            "Bearer",
            "\"",
            "'",
            "=",
            ":",
            " ",
            "\t",
            "\u{a0}",
            "\u{2003}",
            "\u{3000}",
            "abc",
            "x9",
            "078-05-1120",
            "\u{0661}\u{0662}\u{0663}-\u{0664}\u{0665}-\u{0666}\u{0667}\u{0668}\u{0669}",
            "-",
            "~",
            "/",
            "+",
            "123",
            "45",
            "6789",
            "\u{0663}",
            ",",
            ";",
            "}",
            "é",
        ];
        let rules = &*RULES;
        let mut rng = fastrand::Rng::with_seed(21);
        let (mut pairs, mut bearers, mut ssns) = (0, 0, 0);
        for _ in 0..30_000 {
            let text: String =
                (0..rng.usize(1..16)).map(|_| PIECES[rng.usize(..PIECES.len())]).collect();
            for caps in rules.pair.captures_iter(&text) {
                assert_eq!(pair_parts(&caps[0]), Some((&caps[1], &caps[2])), "{text:?}");
                pairs += 1;
            }
            for caps in rules.bearer.captures_iter(&text) {
                assert_eq!(bearer_prefix(&caps[0]), &caps[1], "{text:?}");
                bearers += 1;
            }
            for caps in rules.ssn.captures_iter(&text) {
                assert_eq!(ssn_groups(&caps[0]), Some((&caps[1], &caps[2], &caps[3])), "{text:?}");
                ssns += 1;
            }
        }
        assert!(pairs > 500 && bearers > 100 && ssns > 100, "{pairs} {bearers} {ssns}");
    }

    /// The prefilter changes no result: on random ASCII text dense in what the patterns look
    /// for, scrubbing with the rules it allows equals scrubbing with every rule.
    #[test]
    fn the_prefilter_never_skips_a_rule_that_would_mask() {
        const PIECES: &[&str] = &[
            "4",
            "2",
            "0",
            "9",
            "5",
            "1",
            " ",
            "-",
            "-",
            " ",
            "+",
            "@",
            "=",
            ":",
            ".",
            "GB",
            "DE",
            "89",
            "eyJ",
            "hbGciOiJIUzI1NiJ9",
            "Bearer ",
            "bearer ",
            "password",
            "PASSWD",
            "pwd",
            "secret",
            "api_key",
            "Api-Key",
            "token",
            "session_id",
            "x",
            "example.com",
            "jane",
            "\"",
            "'",
            "_",
            "(",
            ")",
            "4242",
            "378282246310005",
            "078-05-1120",
            "123-45-6789",
            "+44 20 7946 0958",
            "GB82 WEST 1234 5698 7654 32",
            "a.b@c.io",
            "4111 1111 1111 1111",
            "\t",
            "\n",
            "\r",
            "\x0b",
            "\x0c",
            "  ",
            "sk_live_51HqLyjWDarjtT1zdp7dc",
            "4222222222222",
        ];
        // Every rule, and the patterns where a matcher by hand would run on ASCII text.
        let every = Candidates {
            ascii: false,
            jwt: true,
            bearer: true,
            pair: true,
            email: true,
            card: true,
            ssn: true,
            iban: true,
            phone: true,
        };
        let mut rng = fastrand::Rng::with_seed(18);
        let mut masked = 0;
        for _ in 0..50_000 {
            // Half the texts start at a random offset, so that what the masks look at lands on
            // every position of a block and across blocks' edges.
            let offset = if rng.bool() { rng.usize(..130) } else { 0 };
            let text: String = std::iter::repeat_n(".", offset)
                .chain((0..rng.usize(1..24)).map(|_| PIECES[rng.usize(..PIECES.len())]))
                .collect();
            let full = scrub_with(&text, &every);
            // Both classifiers: the one this processor runs, and SSE2's.
            let chosen = Candidates::of_ascii(text.as_bytes()).expect("ASCII text");
            let sse2 = Candidates::of_windows(text.as_bytes(), Classes::of).expect("ASCII text");
            for may in [chosen, sse2] {
                let fast = scrub_with(&text, &may);
                assert_eq!(fast, full, "the prefilter skipped a rule on {text:?}");
            }
            masked += usize::from(matches!(full, Cow::Owned(_)));
        }
        // The generator is worth something only if it makes text to mask, often.
        assert!(masked > 12_500, "{masked}");
    }

    #[test]
    fn validators() {
        assert!(
            is_card("4242 4242 4242 4242")
                && is_card("6011111111111117")
                && is_card("2223003122003222")
        );
        assert!(!is_card("4242424242424241") && !is_card("9999999999999995"));
        assert!(is_iban("FR1420041010050500013M02606") && !is_iban("FR1420041010050500013M02607"));
        assert!(is_ssn("123", "45", "6789") && !is_ssn("900", "45", "6789"));
    }
}
