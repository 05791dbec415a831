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
    /// The text is ASCII: the rules matched by hand may run (see `card`).
    pub(super) ascii: bool,
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
            ascii: false,
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
    /// One pass turns each window of 64 bytes into bit masks of the bytes that matter (32
    /// bytes per instruction with AVX2, 16 with SSE2), and the shapes are bit operations on
    /// them. What the masks cannot say alone (a key word before `=`, `bearer`, `eyJ`) is
    /// checked at the few bytes they point to. A loop that branches on each byte runs at a
    /// fifth of the speed: digits and other bytes alternate unpredictably in log lines.
    pub(super) fn of_ascii(bytes: &[u8]) -> Option<Candidates> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, detected just above.
            return Candidates::of_windows(bytes, |window| unsafe { Classes::of_avx2(window) });
        }
        Candidates::of_windows(bytes, Classes::of)
    }

    /// The candidates of `bytes` (`None` if it is not ASCII), whose windows of 64 bytes
    /// `classes_of` classifies.
    ///
    /// The windows start 48 bytes apart (the last one ends with the text), so that each
    /// shape, 16 bytes at most, lies whole in one of them: a shape is then bit operations on
    /// one 64-bit mask per class. The bytes a window shares with the one before are the one
    /// before's to check.
    #[inline(always)]
    pub(super) fn of_windows(
        bytes: &[u8],
        classes_of: impl Fn(&[u8; 64]) -> Classes,
    ) -> Option<Candidates> {
        const STEP: usize = 48;
        const FIRST: u64 = 1;
        const LAST: u64 = 1 << 63;
        let mut may = Candidates::default();
        let (mut card_run, mut plus_digit, mut iban) = (false, false, false);
        let mut start = 0;
        loop {
            let last = start + 64 >= bytes.len();
            // Bit i of the masks is byte `base + i`; the window's own bytes are `own`'s bits.
            let (classes, base, own) = match bytes.get(start..start + 64) {
                Some(window) => {
                    let own = if last { u64::MAX } else { (1 << STEP) - 1 };
                    (classes_of(window.try_into().ok()?), start, own)
                }
                // The last window of a longer text: its last 64 bytes, the ones before `start`
                // the previous window's.
                None if bytes.len() >= 64 => {
                    let base = bytes.len() - 64;
                    (classes_of(bytes[base..].try_into().ok()?), base, u64::MAX << (start - base))
                }
                // A shorter text, padded with zeros: a zero byte starts no check and is in no
                // shape.
                None => {
                    let mut padded = [0u8; 64];
                    padded[..bytes.len()].copy_from_slice(bytes);
                    (classes_of(&padded), 0, u64::MAX)
                }
            };
            if classes.non_ascii != 0 {
                return None;
            }
            let Classes {
                digit,
                separator,
                dash,
                upper,
                at,
                plus,
                assign,
                key_end,
                b,
                e,
                y,
                j,
                ..
            } = classes;
            // A neighbour outside the window is taken to fit: the checks below decide. The
            // last window's next byte past its end is past the text's.
            let next_is = |mask: u64| mask >> 1 | if last { 0 } else { LAST };
            let previous_is = |mask: u64| mask << 1 | FIRST;
            may.email |= at & own != 0;
            plus_digit |= plus & next_is(digit) & own != 0;
            // The rest is checked byte by byte where the masks allow it: a `=` or `:` after
            // what a key ends with, a `b` before an `e`, a `J` after `ey`. In log lines, few.
            if !may.pair {
                for bit in ones(assign & previous_is(key_end) & own) {
                    if key_before(&bytes[..base + bit]) {
                        may.pair = true;
                        break;
                    }
                }
            }
            for bit in ones(b & next_is(e) & own) {
                let at = base + bit;
                may.bearer = may.bearer
                    || bytes
                        .get(at + 1..at + 6)
                        .is_some_and(|rest| rest.eq_ignore_ascii_case(b"earer"))
                        && bytes.get(at + 6).is_some_and(|&next| is_space(next));
            }
            for bit in ones(j & previous_is(y) & (e << 2 | FIRST << 1 | FIRST) & own) {
                let at = base + bit;
                may.jwt |= at >= 2 && &bytes[at - 2..at] == b"ey";
            }
            // Each shape at its first byte; `mask >> k`: the byte k bytes further.
            // A card's bytes: digits, and single separators before a digit.
            let mut run = digit | separator & digit >> 1;
            // Bit i stays set when bits i to i + 12 all are: 2, 4, 8, then 8 and 5 more.
            run &= run >> 1;
            run &= run >> 2;
            run &= run >> 4;
            run &= run >> 5;
            card_run |= run != 0;
            iban |= upper & upper >> 1 & digit >> 2 & digit >> 3 != 0;
            // `ddd-dd-dddd`.
            let two = digit & digit >> 1;
            let (three, four) = (two & digit >> 2, two & two >> 2);
            may.ssn |= three & dash >> 3 & two >> 4 & dash >> 6 & four >> 7 != 0;
            if last {
                break;
            }
            start += STEP;
        }
        // The validations count ASCII digits: a card has 13 at least, a phone number 8, an
        // IBAN 4. Counted only when a shape was found (a loop LLVM vectorizes).
        if card_run || plus_digit || iban {
            let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
            may.card = card_run && digits >= 13;
            may.phone = plus_digit && digits >= 8;
            may.iban = iban && digits >= 4;
        }
        may.ascii = true;
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

/// One bit per byte of a window of 64 bytes: the bytes the prefilter looks for.
#[derive(Clone, Copy, Default)]
pub(super) struct Classes {
    digit: u64,
    /// A space or a dash (between two digits of a card number).
    separator: u64,
    dash: u64,
    upper: u64,
    at: u64,
    plus: u64,
    /// `=` and `:`, after a `password`-style key.
    assign: u64,
    /// What a key the `password=…` rule masks ends with before its `=` or `:`: its last
    /// letter (`d`, `e`, `t`, `y`, `n`, either case), a quote, or whitespace.
    key_end: u64,
    /// `b` or `B` (`bearer`), `e` or `E` (its second letter, and a JWT's first), `y`, `J`.
    b: u64,
    e: u64,
    y: u64,
    j: u64,
    non_ascii: u64,
}

/// How many masks a classifier makes, in [`Classes`]' order.
const MASKS: usize = 13;

impl Classes {
    /// The classes of `window`, 32 bytes at a time. Only the classes are compiled for AVX2:
    /// with the shapes' bit operations in the same function, LLVM vectorizes those too, and
    /// badly (byte by byte).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn of_avx2(window: &[u8; 64]) -> Classes {
        let low = masks_of_32(window, 0);
        let high = masks_of_32(window, 32);
        Classes::of_masks(std::array::from_fn(|i| low[i] | high[i] << 32))
    }

    /// The classes of `window`, 16 bytes at a time.
    pub(super) fn of(window: &[u8; 64]) -> Classes {
        let mut masks = [0u64; MASKS];
        for (i, chunk) in window.chunks_exact(16).enumerate() {
            let chunk = <&[u8; 16]>::try_from(chunk).unwrap_or(&[0; 16]);
            for (mask, part) in masks.iter_mut().zip(masks_of_16(chunk)) {
                *mask |= u64::from(part) << (16 * i);
            }
        }
        Classes::of_masks(masks)
    }

    /// The classes of the masks, in their order.
    #[inline(always)]
    fn of_masks(masks: [u64; MASKS]) -> Classes {
        let [digit, separator, dash, upper, at, plus, assign, key_end, b, e, y, j, non_ascii] =
            masks;
        Classes { digit, separator, dash, upper, at, plus, assign, key_end, b, e, y, j, non_ascii }
    }
}

/// The masks of [`Classes`], in its fields' order, for the 32 bytes of `window` from `at`
/// (AVX2), in their low 32 bits.
///
/// Each byte is looked up by its two nibbles in two pairs of tables ([`NIBBLE_CLASSES`]), one
/// shuffle per table for 32 bytes: a class whose bytes are a rectangle of high and low nibbles
/// is one bit of the lookup. Two classes are rectangles only as supersets: `upper` holds
/// `@[\]^_` too, and `key_end` a few more letters and signs. A superset only makes the
/// prefilter let through more text for the patterns to decide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn masks_of_32(window: &[u8; 64], at: usize) -> [u64; MASKS] {
    use std::arch::x86_64::{
        __m256i, _mm_loadu_si128, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8,
        _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8, _mm256_setzero_si256,
        _mm256_shuffle_epi8, _mm256_slli_epi16, _mm256_srli_epi16,
    };
    let half = &window[at.min(32)..at.min(32) + 32];
    // SAFETY: the loads read exactly the 32 bytes of `half` and the 16 of each table
    // (unaligned loads are allowed).
    let (v, tables) = unsafe {
        let table = |t: &[u8; 16]| _mm256_broadcastsi128_si256(_mm_loadu_si128(t.as_ptr().cast()));
        let [first_low, first_high, second_low, second_high] = &NIBBLE_CLASSES;
        (
            _mm256_loadu_si256(half.as_ptr().cast()),
            [table(first_low), table(first_high), table(second_low), table(second_high)],
        )
    };
    let nibble = _mm256_set1_epi8(0x0f);
    let low = _mm256_and_si256(v, nibble);
    // The high nibbles; a byte past ASCII looks up 8 to 15, rows without a class.
    let high = _mm256_and_si256(_mm256_srli_epi16::<4>(v), nibble);
    let lookup = |low_table, high_table| {
        _mm256_and_si256(_mm256_shuffle_epi8(low_table, low), _mm256_shuffle_epi8(high_table, high))
    };
    let first = lookup(tables[0], tables[1]);
    let second = lookup(tables[2], tables[3]);
    let mask = |m: __m256i| u64::from(_mm256_movemask_epi8(m) as u32);
    // A key's end is either of two bits.
    let key_end = !mask(_mm256_cmpeq_epi8(
        _mm256_and_si256(second, _mm256_set1_epi8(0b11)),
        _mm256_setzero_si256(),
    )) & u64::from(u32::MAX);
    // Bit k of each byte, moved to its top bit by a shift of 7 - k (a 16-bit shift moves each
    // byte's bits within it, as far as its top bit is concerned).
    [
        mask(_mm256_slli_epi16::<7>(first)),
        mask(_mm256_slli_epi16::<5>(first)),
        mask(_mm256_slli_epi16::<4>(first)),
        mask(_mm256_slli_epi16::<6>(first)),
        mask(_mm256_slli_epi16::<3>(first)),
        mask(_mm256_slli_epi16::<2>(first)),
        mask(_mm256_slli_epi16::<1>(first)),
        key_end,
        mask(_mm256_slli_epi16::<5>(second)),
        mask(_mm256_slli_epi16::<4>(second)),
        mask(_mm256_slli_epi16::<3>(second)),
        mask(first),
        mask(v),
    ]
}

/// The nibble tables of [`masks_of_32`]: for the first lookup and the second, the classes
/// of each low nibble and of each high nibble (a byte is in a class when both of its nibbles
/// are). First lookup, bit by bit: digit, upper, separator, dash, `@`, `+`, `=` or `:`, `J`.
/// Second: a key's last letter, a key's whitespace or quote, `b`, `e`, `y`.
#[cfg(target_arch = "x86_64")]
const NIBBLE_CLASSES: [[u8; 16]; 4] = {
    const ALL: u16 = 0xffff;
    const fn set(nibbles: &[u8]) -> u16 {
        let (mut set, mut i) = (0u16, 0);
        while i < nibbles.len() {
            set |= 1 << nibbles[i];
            i += 1;
        }
        set
    }
    // (high nibbles, low nibbles) of each class, bit 0 first.
    const FIRST: [(u16, u16); 8] = [
        (set(&[3]), set(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), // 0-9
        (set(&[4, 5]), ALL),                               // A-Z, with @[\]^_
        (set(&[2]), set(&[0, 0xd])),                       // space, -
        (set(&[2]), set(&[0xd])),                          // -
        (set(&[4]), set(&[0])),                            // @
        (set(&[2]), set(&[0xb])),                          // +
        (set(&[3]), set(&[0xa, 0xd])),                     // : =
        (set(&[4]), set(&[0xa])),                          // J
    ];
    const SECOND: [(u16, u16); 5] = [
        // d e t y n, either case (with a few more letters and signs).
        (set(&[4, 5, 6, 7]), set(&[4, 5, 9, 0xe])),
        // \t \n \v \f \r, space, " ' (with a few more signs).
        (set(&[0, 2]), set(&[0, 2, 7, 9, 0xa, 0xb, 0xc, 0xd])),
        (set(&[4, 6]), set(&[2])), // b B
        (set(&[4, 6]), set(&[5])), // e E
        (set(&[7]), set(&[9])),    // y
    ];
    const fn tables(classes: &[(u16, u16)]) -> [[u8; 16]; 2] {
        let mut tables = [[0u8; 16]; 2];
        let mut bit = 0;
        while bit < classes.len() {
            let (high, low) = classes[bit];
            let mut nibble = 0;
            while nibble < 16 {
                if low >> nibble & 1 == 1 {
                    tables[0][nibble] |= 1 << bit;
                }
                if high >> nibble & 1 == 1 {
                    tables[1][nibble] |= 1 << bit;
                }
                nibble += 1;
            }
            bit += 1;
        }
        tables
    }
    let [first_low, first_high] = tables(&FIRST);
    let [second_low, second_high] = tables(&SECOND);
    [first_low, first_high, second_low, second_high]
};

/// The masks of [`Classes`], in its fields' order, for 16 bytes (SSE2, part of every x86_64).
#[cfg(target_arch = "x86_64")]
fn masks_of_16(bytes: &[u8; 16]) -> [u16; MASKS] {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_setzero_si128,
    };
    // SAFETY: the load reads exactly the 16 bytes of `bytes` (unaligned loads are allowed);
    // the other intrinsics are SSE2, which every x86_64 processor has. Signed comparisons
    // order ASCII bytes as unsigned ones do.
    unsafe {
        let v = _mm_loadu_si128(bytes.as_ptr().cast());
        let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let is = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        let is_letter = |lower: u8| _mm_cmpeq_epi8(folded, _mm_set1_epi8(lower as i8));
        let within = |low: u8, high: u8| {
            let above = _mm_cmpgt_epi8(v, _mm_set1_epi8((low - 1) as i8));
            _mm_and_si128(above, _mm_cmplt_epi8(v, _mm_set1_epi8((high + 1) as i8)))
        };
        let mask = |m: __m128i| _mm_movemask_epi8(m) as u16;
        let dash = is(b'-');
        let any = |bytes: &[u8]| {
            bytes.iter().fold(_mm_setzero_si128(), |all, &b| _mm_or_si128(all, is(b)))
        };
        let letters = |lower: &[u8]| {
            lower.iter().fold(_mm_setzero_si128(), |all, &b| _mm_or_si128(all, is_letter(b)))
        };
        let key_end =
            _mm_or_si128(_mm_or_si128(letters(b"detyn"), any(b"\"' ")), within(0x09, 0x0d));
        [
            mask(within(b'0', b'9')),
            mask(_mm_or_si128(is(b' '), dash)),
            mask(dash),
            mask(within(b'A', b'Z')),
            mask(is(b'@')),
            mask(is(b'+')),
            mask(any(b"=:")),
            mask(key_end),
            mask(is_letter(b'b')),
            mask(is_letter(b'e')),
            mask(is(b'y')),
            mask(is(b'J')),
            mask(v),
        ]
    }
}

/// The masks of [`Classes`], in its fields' order, for 16 bytes.
#[cfg(not(target_arch = "x86_64"))]
fn masks_of_16(bytes: &[u8; 16]) -> [u16; MASKS] {
    let mut masks = [0u16; MASKS];
    for (i, &b) in bytes.iter().enumerate() {
        let lower = b.to_ascii_lowercase();
        let classes = [
            b.is_ascii_digit(),
            b == b' ' || b == b'-',
            b == b'-',
            b.is_ascii_uppercase(),
            b == b'@',
            b == b'+',
            b == b'=' || b == b':',
            b"detyn".contains(&lower) || b == b'"' || b == b'\'' || is_space(b),
            lower == b'b',
            lower == b'e',
            b == b'y',
            b == b'J',
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

/// Whether `text` (what precedes a `=` or `:`) may end with a key the `password=…` rule
/// masks: after an optional quote and whitespace, a word ending in `password`, `passwd`,
/// `passphrase`, `pwd`, `secret`, `key`, `token` or `session` and `id` (as `client_secret`,
/// `api-key`, `refresh_token` do).
///
/// The word's last 8 bytes are compared at once, as one `u64` with bit 5 of every byte set
/// (ASCII letters in lower case). That also folds a few signs onto others (`_` onto DEL), and
/// the longer keys are compared by their last 8 bytes: a superset of the keys, which the
/// pattern then decides. Branches on each key cost a mispredicted jump per `=` of a log line.
fn key_before(text: &[u8]) -> bool {
    let mut end = text.len();
    while end > 0 && is_space(text[end - 1]) {
        end -= 1;
    }
    if end > 0 && matches!(text[end - 1], b'"' | b'\'') {
        end -= 1;
    }
    let last = match text[..end].last_chunk::<8>() {
        Some(last) => u64::from_be_bytes(*last),
        // A word at the text's start, zeros before it (folded to spaces, in no key).
        None => text[..end].iter().fold(0, |word, &b| word << 8 | u64::from(b)),
    };
    let folded = last | FOLD;
    KEY_ENDS.iter().fold(false, |found, &(mask, key)| found | (folded & mask == key))
}

/// Bit 5 of each byte: an ASCII letter with it set is lower case.
const FOLD: u64 = 0x2020_2020_2020_2020;

/// The keys' last 8 bytes (all of a shorter key), folded, and the mask of their bytes.
const KEY_ENDS: [(u64, u64); 10] = [
    key_end(b"password"),
    key_end(b"passwd"),
    key_end(b"pwd"),
    key_end(b"passphrase"),
    key_end(b"secret"),
    key_end(b"key"),
    key_end(b"token"),
    key_end(b"sessionid"),
    key_end(b"session_id"),
    key_end(b"session-id"),
];

const fn key_end(key: &[u8]) -> (u64, u64) {
    let (mut value, mut i) = (0u64, key.len().saturating_sub(8));
    while i < key.len() {
        value = value << 8 | key[i] as u64;
        i += 1;
    }
    let bytes = if key.len() < 8 { key.len() } else { 8 };
    let mask = if bytes == 8 { u64::MAX } else { (1 << (8 * bytes)) - 1 };
    (mask, (value | FOLD) & mask)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// The nibble lookup puts every ASCII byte in the classes the byte-by-byte compares do
    /// (SSE2's), exactly, but for the two classes it holds as supersets.
    #[test]
    fn the_nibble_lookup_classifies_as_the_compares_do() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        // Every ASCII byte, at every position of a window.
        for byte in 0u8..128 {
            for position in 0..64 {
                let mut window = [b'.'; 64];
                window[position] = byte;
                // SAFETY: the processor has AVX2, checked above.
                let lookup = unsafe { Classes::of_avx2(&window) };
                let compares = Classes::of(&window);
                let exact = |name: &str, of: fn(&Classes) -> u64| {
                    assert_eq!(of(&lookup), of(&compares), "{name} of {byte:#04x} at {position}");
                };
                exact("digit", |c| c.digit);
                exact("separator", |c| c.separator);
                exact("dash", |c| c.dash);
                exact("@", |c| c.at);
                exact("+", |c| c.plus);
                exact("= :", |c| c.assign);
                exact("b", |c| c.b);
                exact("e", |c| c.e);
                exact("y", |c| c.y);
                exact("J", |c| c.j);
                exact("non-ASCII", |c| c.non_ascii);
                let superset = |name: &str, of: fn(&Classes) -> u64| {
                    assert_eq!(of(&lookup) & of(&compares), of(&compares), "{name} of {byte:#04x}");
                };
                superset("upper", |c| c.upper);
                superset("key end", |c| c.key_end);
            }
        }
        // Past ASCII, a byte is only that.
        let window = [0xc3u8; 64];
        // SAFETY: as above.
        let lookup = unsafe { Classes::of_avx2(&window) };
        assert_eq!(lookup.non_ascii, u64::MAX);
        assert_eq!(lookup.digit | lookup.upper | lookup.key_end | lookup.assign | lookup.b, 0);
    }
}
