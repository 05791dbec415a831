//! The last line of defence for free text: masks personal data in log messages, log fields,
//! span attributes and events, and error messages, before anything leaves the process.
//!
//! It masks emails, card numbers (an issuer's prefix and length, and a valid Luhn check digit),
//! US social security numbers (`123-45-6789`, with the SSA's validity rules), JWTs, `Bearer`
//! tokens, `password=…`-style pairs, IBANs (valid mod-97 check), and phone numbers in
//! international form (`+44 20 7946 0958`). Text without any of these
//! comes back unchanged and unallocated: every rule has a cheap pre-check, and what a pattern
//! finds must pass its validation (so timestamps, UUIDs and ordinary numbers stay).
//!
//! ```
//! use obs_runtime::scrub::scrub;
//! assert_eq!(scrub("mail jane.doe@example.com now"), "mail [REDACTED:email] now");
//! assert_eq!(scrub("paid with 4242 4242 4242 4242"), "paid with [REDACTED:card]");
//! assert_eq!(scrub("order 4242424242424241 shipped"), "order 4242424242424241 shipped"); // Luhn fails
//! assert!(matches!(scrub("nothing here"), std::borrow::Cow::Borrowed(_)));
//! ```

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

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
    email: Regex,
    card: Regex,
    ssn: Regex,
    jwt: Regex,
    bearer: Regex,
    pair: Regex,
    iban: Regex,
    phone: Regex,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    email: compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
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
    let rules = &*RULES;
    // Pre-checks on the input decide which patterns can match at all.
    let bytes = input.as_bytes();
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let has = |needle: u8| bytes.contains(&needle);
    let jwt = contains(bytes, b"eyJ");
    let bearer = contains_ignore_case(bytes, b"bearer");
    let pair = has(b'=') || has(b':');
    let email = has(b'@');
    let dash = has(b'-');
    let upper = bytes.iter().any(u8::is_ascii_uppercase);
    let mut text = Cow::Borrowed(input);

    if jwt {
        replace(&mut text, &rules.jwt, |_| Some("[REDACTED:jwt]".into()));
    }
    if bearer {
        replace(&mut text, &rules.bearer, |c| Some(format!("{}[REDACTED:token]", &c[1])));
    }
    if pair {
        replace(&mut text, &rules.pair, |c| {
            let value = &c[2];
            let quote = if value.starts_with('"') {
                "\""
            } else if value.starts_with('\'') {
                "'"
            } else {
                ""
            };
            Some(format!("{}{quote}[REDACTED]{quote}", &c[1]))
        });
    }
    if email {
        replace(&mut text, &rules.email, |_| Some("[REDACTED:email]".into()));
    }
    if digits >= 13 {
        replace(&mut text, &rules.card, |c| is_card(&c[0]).then(|| "[REDACTED:card]".into()));
    }
    if digits >= 9 && dash {
        replace(&mut text, &rules.ssn, |c| {
            is_ssn(&c[1], &c[2], &c[3]).then(|| "[REDACTED:ssn]".into())
        });
    }
    if digits >= 4 && upper {
        replace(&mut text, &rules.iban, |c| is_iban(&c[0]).then(|| "[REDACTED:iban]".into()));
    }
    if digits >= 8 && has(b'+') {
        replace(&mut text, &rules.phone, |c| is_phone(&c[0]).then(|| "[REDACTED:phone]".into()));
    }
    text
}

/// Replaces every match the closure accepts; allocates only when one is accepted.
fn replace(
    text: &mut Cow<'_, str>,
    regex: &Regex,
    mut with: impl FnMut(&Captures<'_>) -> Option<String>,
) {
    let mut out: Option<String> = None;
    let mut last = 0;
    for caps in regex.captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        if let Some(replacement) = with(&caps) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[last..m.start()]);
            out.push_str(&replacement);
            last = m.end();
        }
    }
    if let Some(mut out) = out {
        out.push_str(&text[last..]);
        *text = Cow::Owned(out);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// A card number: an issuer's prefix and length, and a valid Luhn check digit.
pub(crate) fn is_card(candidate: &str) -> bool {
    let digits: Vec<u8> = candidate.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    let len = digits.len();
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
    issuer && luhn(&digits)
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
