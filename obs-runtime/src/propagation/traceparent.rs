//! The `traceparent` header of W3C Trace Context Level 2
//! (<https://www.w3.org/TR/trace-context-2/#traceparent-header>), parsed as its processing
//! model says, and written in the version obs speaks (`00`).
//!
//! Written here rather than taken from `opentelemetry_sdk`'s `TraceContextPropagator`, which
//! reads only the first of several `traceparent` headers, accepts one-digit flags and
//! upper-case hex, and masks the flags to the sampled bit (losing Level 2's random flag).

use opentelemetry::trace::{SpanId, TraceFlags, TraceId};

/// Trace Context Level 2's random trace-id flag: at least the right-most 7 bytes of the
/// trace id are random.
pub const RANDOM: u8 = 0x02;
/// The sampled flag: the caller may have recorded the trace.
pub const SAMPLED: u8 = 0x01;
/// The flags this version of the Recommendation defines; the others are reserved, and a
/// vendor sets them to zero when it propagates (§3.2.2.5.3).
const KNOWN_FLAGS: u8 = SAMPLED | RANDOM;
/// `00-` 32 hex `-` 16 hex `-` 2 hex.
const V00_LEN: usize = 55;

/// A valid `traceparent`: the caller's trace, its span and its flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    /// The trace the request belongs to; never all zeros.
    pub trace_id: TraceId,
    /// The caller's span, the parent of the server's; never all zeros.
    pub parent_id: SpanId,
    /// `sampled` and `random`; the reserved flags are cleared.
    pub flags: TraceFlags,
}

/// Why a `traceparent` is not continued: the request starts a new trace (and its
/// `tracestate` is dropped, §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// No `traceparent` header.
    Missing,
    /// More than one `traceparent` header: which one is the caller's cannot be known.
    Several,
    /// Not ASCII, or too short for the version's fields.
    Length,
    /// The version is not two lower-case hex digits, or is `ff` (forbidden, §3.2.2.1).
    Version,
    /// The trace id is not 32 lower-case hex digits, or is all zeros.
    TraceId,
    /// The parent id is not 16 lower-case hex digits, or is all zeros.
    ParentId,
    /// The flags are not two lower-case hex digits.
    Flags,
    /// A `-` is missing between fields, or version `00` carries data after its flags, or a
    /// later version's flags are followed by something other than `-`.
    Format,
}

impl TraceParent {
    /// Parses the `traceparent` header values of one request (all of them: several are
    /// rejected).
    ///
    /// ```
    /// use obs_runtime::propagation::traceparent::{TraceParent, Rejected};
    /// let parent = TraceParent::parse(&["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"]).unwrap();
    /// assert!(parent.flags.is_sampled());
    /// assert_eq!(parent.flags.to_u8(), 0x03); // the random flag survives
    /// assert_eq!(TraceParent::parse(&["00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"]), Err(Rejected::TraceId));
    /// ```
    pub fn parse(values: &[&str]) -> Result<TraceParent, Rejected> {
        match values {
            [] => Err(Rejected::Missing),
            [value] => Self::parse_one(value),
            _ => Err(Rejected::Several),
        }
    }

    /// Parses one `traceparent` value. Optional white space around it (which HTTP allows
    /// around any field value) is ignored.
    pub fn parse_one(value: &str) -> Result<TraceParent, Rejected> {
        let value = value.trim_matches([' ', '\t']).as_bytes();
        // §3.2.4: a parser of a later version first checks the length, then reads the
        // version's four fields by position.
        if value.len() < V00_LEN {
            return Err(Rejected::Length);
        }
        let version = hex_field(&value[0..2]).ok_or(Rejected::Version)?;
        if version == 0xff {
            return Err(Rejected::Version);
        }
        if value[2] != b'-' || value[35] != b'-' || value[52] != b'-' {
            return Err(Rejected::Format);
        }
        let trace_id = hex_field(&value[3..35]).filter(|&id| id != 0).ok_or(Rejected::TraceId)?;
        let parent_id = hex_field(&value[36..52])
            .filter(|&id| id != 0)
            .and_then(|id| u64::try_from(id).ok())
            .ok_or(Rejected::ParentId)?;
        let flags = hex_field(&value[53..55]).ok_or(Rejected::Flags)?;
        match (version, value.get(V00_LEN)) {
            (_, None) => {}
            // Version 00 has exactly four fields.
            (0, Some(_)) => return Err(Rejected::Format),
            // A later version may append fields after a `-`.
            (_, Some(b'-')) => {}
            (_, Some(_)) => return Err(Rejected::Format),
        }
        Ok(TraceParent {
            trace_id: TraceId::from(trace_id),
            parent_id: SpanId::from(parent_id),
            // The reserved flags are not propagated (§3.2.2.5.3): obs sends version 00.
            flags: TraceFlags::new(flags as u8 & KNOWN_FLAGS),
        })
    }

    /// The header value in version `00`, the only version obs writes (§3.2.4: a vendor
    /// propagates the version it knows).
    ///
    /// ```
    /// use obs_runtime::propagation::traceparent::TraceParent;
    /// use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
    /// let parent = TraceParent { trace_id: TraceId::from(1u128), parent_id: SpanId::from(2u64), flags: TraceFlags::new(3) };
    /// assert_eq!(parent.header(), "00-00000000000000000000000000000001-0000000000000002-03");
    /// ```
    pub fn header(&self) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id, self.parent_id, self.flags.to_u8() & KNOWN_FLAGS)
    }
}

/// A field of lower-case hex digits (the Recommendation's `HEXDIGLC`: upper case is invalid).
fn hex_field(field: &[u8]) -> Option<u128> {
    field.iter().try_fold(0u128, |acc, &b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some(acc << 4 | u128::from(digit))
    })
}

#[cfg(test)]
mod tests {
    //! One test per rule of §3.2 and §4.3 of Trace Context Level 2.
    use super::*;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const SPAN: &str = "00f067aa0ba902b7";

    fn parse(value: &str) -> Result<TraceParent, Rejected> {
        TraceParent::parse(&[value])
    }

    #[test]
    fn a_valid_version_00_header_is_continued() {
        let parent = parse(&format!("00-{TRACE}-{SPAN}-01")).unwrap();
        assert_eq!(parent.trace_id.to_string(), TRACE);
        assert_eq!(parent.parent_id.to_string(), SPAN);
        assert!(parent.flags.is_sampled());
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-00")).unwrap().flags.to_u8(), 0);
    }

    #[test]
    fn no_header_or_several_headers_start_a_new_trace() {
        let one = format!("00-{TRACE}-{SPAN}-01");
        assert_eq!(TraceParent::parse(&[]), Err(Rejected::Missing));
        assert_eq!(TraceParent::parse(&[&one, &one]), Err(Rejected::Several));
    }

    #[test]
    fn hex_must_be_lower_case() {
        assert_eq!(
            parse(&format!("00-{}-{SPAN}-01", TRACE.to_uppercase())),
            Err(Rejected::TraceId)
        );
        assert_eq!(
            parse(&format!("00-{TRACE}-{}-01", SPAN.to_uppercase())),
            Err(Rejected::ParentId)
        );
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-0A")), Err(Rejected::Flags));
        assert_eq!(parse(&format!("0A-{TRACE}-{SPAN}-01")), Err(Rejected::Version));
    }

    #[test]
    fn all_zero_ids_are_invalid() {
        assert_eq!(parse(&format!("00-{}-{SPAN}-01", "0".repeat(32))), Err(Rejected::TraceId));
        assert_eq!(parse(&format!("00-{TRACE}-{}-01", "0".repeat(16))), Err(Rejected::ParentId));
    }

    #[test]
    fn version_ff_is_forbidden() {
        assert_eq!(parse(&format!("ff-{TRACE}-{SPAN}-01")), Err(Rejected::Version));
    }

    #[test]
    fn fields_have_fixed_lengths() {
        assert_eq!(parse(&format!("00-{}-{SPAN}-01", &TRACE[1..])), Err(Rejected::Length));
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-1")), Err(Rejected::Length));
        // Same total length, a field one shorter and the next one longer: a dash out of place.
        assert_eq!(parse(&format!("00-{}-{SPAN}0-01", &TRACE[1..])), Err(Rejected::Format));
        assert_eq!(parse(&format!("00_{TRACE}-{SPAN}-01")), Err(Rejected::Format));
        assert_eq!(parse(""), Err(Rejected::Length));
    }

    #[test]
    fn version_00_carries_nothing_after_its_flags() {
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-01-")), Err(Rejected::Format));
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-01-extra")), Err(Rejected::Format));
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-010")), Err(Rejected::Format));
    }

    #[test]
    fn a_later_version_is_read_by_its_first_four_fields() {
        let parent = parse(&format!("cc-{TRACE}-{SPAN}-01-what-the-future-holds")).unwrap();
        assert_eq!(parent.trace_id.to_string(), TRACE);
        assert!(parent.flags.is_sampled());
        assert!(parse(&format!("01-{TRACE}-{SPAN}-01")).is_ok());
        // After the flags: the end, or a dash.
        assert_eq!(parse(&format!("01-{TRACE}-{SPAN}-01x")), Err(Rejected::Format));
        // The first four fields still follow the rules.
        assert_eq!(parse(&format!("01-{}-{SPAN}-01-x", "0".repeat(32))), Err(Rejected::TraceId));
    }

    #[test]
    fn white_space_around_the_value_is_ignored() {
        assert!(parse(&format!(" \t00-{TRACE}-{SPAN}-01 ")).is_ok());
        assert_eq!(parse(&format!("00-{TRACE} -{SPAN}-01")), Err(Rejected::Format));
    }

    #[test]
    fn the_random_flag_is_kept_and_reserved_flags_are_cleared() {
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-02")).unwrap().flags.to_u8(), RANDOM);
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-03")).unwrap().flags.to_u8(), 0x03);
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-ff")).unwrap().flags.to_u8(), 0x03);
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-fc")).unwrap().flags.to_u8(), 0x00);
    }

    #[test]
    fn obs_writes_version_00_and_only_the_known_flags() {
        let parent = TraceParent {
            trace_id: TraceId::from(0x4bf9_u128),
            parent_id: SpanId::from(0xf0_u64),
            flags: TraceFlags::new(0xff),
        };
        assert_eq!(parent.header(), "00-00000000000000000000000000004bf9-00000000000000f0-03");
        assert_eq!(
            parse(&parent.header()).unwrap(),
            TraceParent { flags: TraceFlags::new(3), ..parent }
        );
    }
}
