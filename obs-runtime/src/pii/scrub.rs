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
    if may.jwt {
        replace(&mut text, &rules.jwt, |_| Some("[REDACTED:jwt]".into()));
    }
    if may.bearer {
        replace(&mut text, &rules.bearer, |c| Some(format!("{}[REDACTED:token]", &c[1])));
    }
    if may.pair {
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
    if may.email {
        replace(&mut text, &rules.email, |_| Some("[REDACTED:email]".into()));
    }
    if may.card {
        replace(&mut text, &rules.card, |c| is_card(&c[0]).then(|| "[REDACTED:card]".into()));
    }
    if may.ssn {
        replace(&mut text, &rules.ssn, |c| {
            is_ssn(&c[1], &c[2], &c[3]).then(|| "[REDACTED:ssn]".into())
        });
    }
    if may.iban {
        replace(&mut text, &rules.iban, |c| is_iban(&c[0]).then(|| "[REDACTED:iban]".into()));
    }
    if may.phone {
        replace(&mut text, &rules.phone, |c| is_phone(&c[0]).then(|| "[REDACTED:phone]".into()));
    }
    text
}

/// The rules whose pattern may match a text: a flag is false only when its pattern cannot
/// match. Clean text, the common case, is then rejected without running any pattern; the
/// patterns and their validations (Luhn, mod 97, the SSA's rules) run on candidates only.
///
/// Each flag holds because the text lacks something every match of its pattern contains. The
/// replacements (`[REDACTED:…]`) hold no digit, `@` or `+` and start with `[`, so masking one
/// kind never makes a match of a later kind that the flags, computed once on the input, missed.
#[derive(Default)]
struct Candidates {
    jwt: bool,
    bearer: bool,
    pair: bool,
    email: bool,
    card: bool,
    ssn: bool,
    iban: bool,
    phone: bool,
}

impl Candidates {
    fn any(&self) -> bool {
        self.jwt
            || self.bearer
            || self.pair
            || self.email
            || self.card
            || self.ssn
            || self.iban
            || self.phone
    }

    /// For any text: what each pattern needs somewhere in the text. (Outside ASCII the
    /// patterns' Unicode classes match more: `\d` any decimal digit, `(?i)` the Kelvin sign for
    /// `k` and the long s for `s`; these checks hold for them too.)
    fn of_text(bytes: &[u8]) -> Candidates {
        let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
        let has = |needle: u8| bytes.contains(&needle);
        let upper = bytes.iter().any(u8::is_ascii_uppercase);
        Candidates {
            jwt: contains(bytes, b"eyJ"),
            bearer: contains_ignore_case(bytes, b"bearer"),
            pair: has(b'=') || has(b':'),
            email: has(b'@'),
            // The validations count ASCII digits only: a card has 13 of them at least.
            card: digits >= 13,
            ssn: digits >= 9 && has(b'-'),
            iban: digits >= 4 && upper,
            phone: digits >= 8 && has(b'+'),
        }
    }

    /// For ASCII text (`None` for other text), where `\d` is `[0-9]`, `\s` ASCII whitespace
    /// and `(?i)` ASCII case, what each pattern needs where it needs it:
    /// - a JWT, `eyJ`; an email, `@`; a phone number, `+` and a digit;
    /// - a `password=…` pair, a key word (`…password`, `…secret`, `…key`, `…token`, …) right
    ///   before a `=` or `:` (an optional quote and spaces between);
    /// - a `Bearer` token, `bearer` and whitespace;
    /// - a card, 13 digits in a row with single spaces or dashes between them;
    /// - an SSN, `ddd-dd-dddd`; an IBAN, two capitals and two digits.
    ///
    /// One pass turns each 64 bytes into bit masks of the bytes that matter (32 bytes per
    /// instruction with AVX2, 16 with SSE2), and the shapes are bit operations on the masks of
    /// two consecutive blocks, so that a shape across a block boundary is seen too. What the
    /// masks cannot say alone (a key word before `=`, `bearer`, `eyJ`) is checked at the few
    /// bytes they point to. A loop that branches on each byte runs at a fifth of the speed:
    /// digits and other bytes alternate unpredictably in log lines.
    fn of_ascii(bytes: &[u8]) -> Option<Candidates> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, detected just above.
            return Candidates::of_blocks(bytes, |block| unsafe { Classes::of_avx2(block) });
        }
        Candidates::of_blocks(bytes, Classes::of)
    }

    /// The candidates of `bytes` (`None` if it is not ASCII), whose blocks of 64
    /// `classes_of` classifies.
    #[inline(always)]
    fn of_blocks(bytes: &[u8], classes_of: impl Fn(&[u8; 64]) -> Classes) -> Option<Candidates> {
        let mut may = Candidates::default();
        let (mut digits, mut card_run, mut ssn, mut plus_digit) = (0usize, false, false, false);
        let mut previous = Classes::default();
        for index in 0..bytes.len().div_ceil(64) {
            let start = index * 64;
            let current = match bytes.get(start..start + 64) {
                Some(block) => classes_of(block.try_into().ok()?),
                // The last, shorter block: the text's last 64 bytes, the bytes before `start`
                // shifted out, when the text has 64.
                None if bytes.len() >= 64 => {
                    let end = &bytes[bytes.len() - 64..];
                    classes_of(end.try_into().ok()?).shifted_down(start + 64 - bytes.len())
                }
                // Or the whole text, padded with zeros: no class holds a zero byte.
                None => {
                    let mut padded = [0u8; 64];
                    padded[..bytes.len()].copy_from_slice(bytes);
                    classes_of(&padded)
                }
            };
            if current.non_ascii != 0 {
                return None;
            }
            let start = index * 64;
            digits += current.digit.count_ones() as usize;
            // The rare bytes, checked one by one.
            for bit in ones(current.rare) {
                let at = start + bit;
                match bytes[at] {
                    b'=' | b':' => may.pair = may.pair || key_before(&bytes[..at]),
                    b'@' => may.email = true,
                    b'+' => plus_digit |= bytes.get(at + 1).is_some_and(u8::is_ascii_digit),
                    b'J' => may.jwt |= at >= 2 && &bytes[at - 2..at] == b"ey",
                    _ => {
                        // `b` or `B`: `bearer` and whitespace?
                        may.bearer = may.bearer
                            || bytes
                                .get(at + 1..at + 6)
                                .is_some_and(|rest| rest.eq_ignore_ascii_case(b"earer"))
                                && bytes.get(at + 6).is_some_and(|&next| is_space(next));
                    }
                }
            }
            // Bit i is byte i of the two blocks, the previous block's first.
            let pair = |mask: fn(&Classes) -> u64| {
                u128::from(mask(&current)) << 64 | u128::from(mask(&previous))
            };
            let (digit, separator, upper) =
                (pair(|c| c.digit), pair(|c| c.separator), pair(|c| c.upper));
            let dash = pair(|c| c.dash);
            // `digit << k`: a digit k bytes before; `digit >> k`: k bytes after.
            let mut run = digit | (separator & (digit << 1) & (digit >> 1));
            // Bit i stays set when bits i..i+13 all are: 2, 4, 8, then 8 and 5 more.
            run &= run >> 1;
            run &= run >> 2;
            run &= run >> 4;
            run &= run >> 5;
            card_run |= run != 0;
            may.iban |= upper & (upper >> 1) & (digit >> 2) & (digit >> 3) != 0;
            // `ddd-dd-dddd`, its first dash at bit i.
            let before = (digit << 1) & (digit << 2) & (digit << 3);
            let after = (digit >> 1) & (digit >> 2) & (digit >> 4) & (digit >> 5);
            ssn |= dash & (dash >> 3) & before & after & (digit >> 6) & (digit >> 7) != 0;
            previous = current;
        }
        may.card = card_run && digits >= 13;
        may.ssn = ssn && digits >= 9;
        may.phone = plus_digit && digits >= 8;
        may.iban &= digits >= 4;
        Some(may)
    }
}

/// The positions of the set bits of `mask`, lowest first.
fn ones(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let bit = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            bit
        })
    })
}

/// One bit per byte of a block of 64 bytes (bits past the text's end are clear): the
/// bytes the prefilter looks for.
#[derive(Clone, Copy, Default)]
struct Classes {
    digit: u64,
    /// A space or a dash (between two digits of a card number).
    separator: u64,
    dash: u64,
    upper: u64,
    /// Bytes rare in text that start a check: `=` `:` `@` `+` `b` `B` `J`.
    rare: u64,
    non_ascii: u64,
}

impl Classes {
    /// The classes of `block`, 32 bytes at a time. Only the classes are compiled for AVX2:
    /// with the shapes' bit operations in the same function, LLVM vectorizes those too, and
    /// badly (byte by byte).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn of_avx2(block: &[u8; 64]) -> Classes {
        let [digit, separator, dash, upper, rare, non_ascii] = masks_of_32(block, 0);
        let high = masks_of_32(block, 32);
        Classes {
            digit: digit | high[0] << 32,
            separator: separator | high[1] << 32,
            dash: dash | high[2] << 32,
            upper: upper | high[3] << 32,
            rare: rare | high[4] << 32,
            non_ascii: non_ascii | high[5] << 32,
        }
    }

    /// The classes of `block`, 16 bytes at a time.
    fn of(block: &[u8; 64]) -> Classes {
        let mut classes = Classes::default();
        for (i, chunk) in block.chunks_exact(16).enumerate() {
            let chunk = <&[u8; 16]>::try_from(chunk).unwrap_or(&[0; 16]);
            let [digit, separator, dash, upper, rare, non_ascii] =
                masks_of_16(chunk).map(|mask| u64::from(mask) << (16 * i));
            classes.digit |= digit;
            classes.separator |= separator;
            classes.dash |= dash;
            classes.upper |= upper;
            classes.rare |= rare;
            classes.non_ascii |= non_ascii;
        }
        classes
    }

    /// The classes of the bytes from `by` on, as bits from 0.
    fn shifted_down(self, by: usize) -> Classes {
        Classes {
            digit: self.digit >> by,
            separator: self.separator >> by,
            dash: self.dash >> by,
            upper: self.upper >> by,
            rare: self.rare >> by,
            non_ascii: self.non_ascii >> by,
        }
    }
}

/// The masks of [`Classes`], in its fields' order, for the 32 bytes of `block` from `at`
/// (AVX2), in their low 32 bits. No closures here: intrinsics inline only into code compiled for their feature.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn masks_of_32(block: &[u8; 64], at: usize) -> [u64; 6] {
    use std::arch::x86_64::{
        _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8,
    };
    let half = &block[at.min(32)..at.min(32) + 32];
    // SAFETY: the load reads exactly the 32 bytes of `half` (unaligned loads are allowed).
    let v = unsafe { _mm256_loadu_si256(half.as_ptr().cast()) };
    let is = |b: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8));
    // Signed comparisons order ASCII bytes as unsigned ones do.
    let digit = _mm256_and_si256(
        _mm256_cmpgt_epi8(v, _mm256_set1_epi8(b'0' as i8 - 1)),
        _mm256_cmpgt_epi8(_mm256_set1_epi8(b'9' as i8 + 1), v),
    );
    let upper = _mm256_and_si256(
        _mm256_cmpgt_epi8(v, _mm256_set1_epi8(b'A' as i8 - 1)),
        _mm256_cmpgt_epi8(_mm256_set1_epi8(b'Z' as i8 + 1), v),
    );
    let dash = is(b'-');
    let separator = _mm256_or_si256(is(b' '), dash);
    let rare = _mm256_or_si256(
        _mm256_or_si256(_mm256_or_si256(is(b'='), is(b':')), _mm256_or_si256(is(b'@'), is(b'+'))),
        _mm256_or_si256(_mm256_or_si256(is(b'b'), is(b'B')), is(b'J')),
    );
    let mask = |m| u64::from(_mm256_movemask_epi8(m) as u32);
    [mask(digit), mask(separator), mask(dash), mask(upper), mask(rare), mask(v)]
}

/// The masks of [`Classes`], in its fields' order, for 16 bytes (SSE2, part of every x86_64).
#[cfg(target_arch = "x86_64")]
fn masks_of_16(bytes: &[u8; 16]) -> [u16; 6] {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_setzero_si128,
    };
    // SAFETY: the load reads exactly the 16 bytes of `bytes` (unaligned loads are allowed);
    // the other intrinsics are SSE2, which every x86_64 processor has. Signed comparisons
    // order ASCII bytes as unsigned ones do.
    unsafe {
        let v = _mm_loadu_si128(bytes.as_ptr().cast());
        let is = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        let within = |low: u8, high: u8| {
            let above = _mm_cmpgt_epi8(v, _mm_set1_epi8((low - 1) as i8));
            _mm_and_si128(above, _mm_cmplt_epi8(v, _mm_set1_epi8((high + 1) as i8)))
        };
        let mask = |m: __m128i| _mm_movemask_epi8(m) as u16;
        let dash = is(b'-');
        let any = |bytes: &[u8]| {
            bytes.iter().fold(_mm_setzero_si128(), |all, &b| _mm_or_si128(all, is(b)))
        };
        [
            mask(within(b'0', b'9')),
            mask(_mm_or_si128(is(b' '), dash)),
            mask(dash),
            mask(within(b'A', b'Z')),
            mask(any(b"=:@+bBJ")),
            mask(v),
        ]
    }
}

/// The masks of [`Classes`], in its fields' order, for 16 bytes.
#[cfg(not(target_arch = "x86_64"))]
fn masks_of_16(bytes: &[u8; 16]) -> [u16; 6] {
    let mut masks = [0u16; 6];
    for (i, &b) in bytes.iter().enumerate() {
        let classes = [
            b.is_ascii_digit(),
            b == b' ' || b == b'-',
            b == b'-',
            b.is_ascii_uppercase(),
            b"=:@+bBJ".contains(&b),
            !b.is_ascii(),
        ];
        for (mask, class) in masks.iter_mut().zip(classes) {
            *mask |= u16::from(class) << i;
        }
    }
    masks
}

/// ASCII whitespace as the patterns' `\s` reads it (with the vertical tab).
fn is_space(byte: u8) -> bool {
    byte.is_ascii_whitespace() || byte == 0x0b
}

/// Whether `text` (what precedes a `=` or `:`) ends with a key the `password=…` rule masks:
/// after an optional quote and whitespace, a word ending in `password`, `passwd`, `passphrase`,
/// `pwd`, `secret`, `key`, `token` or `session` and `id` (as `client_secret`, `api-key`,
/// `refresh_token` do).
fn key_before(text: &[u8]) -> bool {
    let mut end = text.len();
    while end > 0 && is_space(text[end - 1]) {
        end -= 1;
    }
    if end > 0 && matches!(text[end - 1], b'"' | b'\'') {
        end -= 1;
    }
    let word = &text[..end];
    let ends_with = |key: &[u8]| {
        word.len() >= key.len() && word[word.len() - key.len()..].eq_ignore_ascii_case(key)
    };
    // Dispatched on the last letter, so that most words are rejected at one byte. The bytes
    // are compared in place: copying the word into a buffer first stalls the loads that read
    // it back.
    match word.last().map(u8::to_ascii_lowercase) {
        Some(b'd') => {
            ends_with(b"password")
                || ends_with(b"passwd")
                || ends_with(b"pwd")
                || (ends_with(b"id")
                    && (ends_with(b"sessionid")
                        || ends_with(b"session_id")
                        || ends_with(b"session-id")))
        }
        Some(b'e') => ends_with(b"passphrase"),
        Some(b't') => ends_with(b"secret"),
        Some(b'y') => ends_with(b"key"),
        Some(b'n') => ends_with(b"token"),
        _ => false,
    }
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
        let every = Candidates {
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
            let text: String =
                (0..rng.usize(1..24)).map(|_| PIECES[rng.usize(..PIECES.len())]).collect();
            let full = scrub_with(&text, &every);
            // Both classifiers: the one this processor runs, and SSE2's.
            let chosen = Candidates::of_ascii(text.as_bytes()).expect("ASCII text");
            let sse2 = Candidates::of_blocks(text.as_bytes(), Classes::of).expect("ASCII text");
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
