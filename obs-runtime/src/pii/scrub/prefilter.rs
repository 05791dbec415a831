//! The scrubber's prefilter: one pass over a text that says which rules may match it, so that
//! clean text, the common case, runs no pattern.

/// The rules whose pattern may match a text: a flag is false only when its pattern cannot
/// match. Clean text, the common case, is then rejected without running any pattern; the
/// patterns and their validations (Luhn, mod 97, the SSA's rules) run on candidates only.
///
/// Each flag holds because the text lacks something every match of its pattern contains. The
/// replacements (`[REDACTED:…]`) hold no digit, `@` or `+` and start with `[`, so masking one
/// kind never makes a match of a later kind that the flags, computed once on the input, missed.
#[derive(Default)]
pub(super) struct Candidates {
    pub(super) jwt: bool,
    pub(super) bearer: bool,
    pub(super) pair: bool,
    pub(super) email: bool,
    pub(super) card: bool,
    pub(super) ssn: bool,
    pub(super) iban: bool,
    pub(super) phone: bool,
}

impl Candidates {
    pub(super) fn any(&self) -> bool {
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
    pub(super) fn of_text(bytes: &[u8]) -> Candidates {
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
    pub(super) fn of_ascii(bytes: &[u8]) -> Option<Candidates> {
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
    pub(super) fn of_blocks(
        bytes: &[u8],
        classes_of: impl Fn(&[u8; 64]) -> Classes,
    ) -> Option<Candidates> {
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
pub(super) struct Classes {
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
    pub(super) fn of(block: &[u8; 64]) -> Classes {
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
/// (AVX2), in their low 32 bits.
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}
