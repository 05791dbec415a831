//! W3C Baggage (<https://www.w3.org/TR/baggage/>): key-value pairs that travel with a request
//! across services, read from the `baggage` header and written on outgoing requests.
//!
//! Written here rather than with `opentelemetry_sdk`'s `BaggagePropagator`, which reads only
//! the first of several `baggage` headers and drops members' properties on the way out.
//! Percent-encoding is the `percent-encoding` crate's.
//!
//! Where the Recommendation leaves a choice (§3.3.1.1, §3.3.2, §3.5): a member that breaks the
//! grammar is skipped and the others kept; of a key given twice, the last value counts (one
//! member per key is sent, as producers SHOULD); at most 180 members are read (the grammar's
//! bound) and, of what is sent, members beyond 64 or 8192 bytes are left out whole.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// What obs reads at most: the grammar's `list-member 0*179( OWS "," OWS list-member )`.
const MAX_READ: usize = 180;
/// What obs sends at most: 64 members (§3.3.4 "Limits").
pub const MAX_MEMBERS: usize = 64;
/// What obs sends at most: 8192 bytes of header value (§3.3.4 "Limits").
pub const MAX_BYTES: usize = 8192;

/// Bytes a value is sent with percent-encoded: everything outside `baggage-octet`
/// (`%x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`), and `%` itself, which would otherwise be
/// read as the start of an escape. Non-ASCII is always encoded (as UTF-8).
const ENCODE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b',').add(b';').add(b'\\').add(b'%');

/// One entry of the baggage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The key, a `token` (RFC 7230); case-sensitive.
    pub key: String,
    /// The value, percent-decoded.
    pub value: String,
    /// The member's properties as received (`;`-separated, white space removed), forwarded
    /// unchanged; empty when there are none.
    pub properties: String,
}

/// The baggage of a request, in the order it was received or set.
///
/// ```
/// use obs_runtime::propagation::baggage::Baggage;
/// let mut baggage = Baggage::parse(&["tenant=acme;ttl=60, region = eu%2Dwest"]);
/// assert_eq!(baggage.get("region"), Some("eu-west"));
/// baggage.set("user.id", "u 42").unwrap();
/// assert_eq!(baggage.header().as_deref(), Some("tenant=acme;ttl=60,region=eu-west,user.id=u%2042"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baggage {
    members: Vec<Member>,
}

/// A key that is not a `token`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("baggage key {0:?} is not a token: use letters, digits and !#$%&'*+-.^_`|~")]
pub struct InvalidKey(pub String);

impl Baggage {
    /// Parses the `baggage` header values of one request: several headers are one list,
    /// combined in order. A member that breaks the grammar is skipped, the others kept
    /// (§3.3.2.1); of a key given twice, the last value counts.
    pub fn parse(values: &[&str]) -> Baggage {
        let mut baggage = Baggage::default();
        for member in values.iter().flat_map(|value| value.split(',')) {
            if let Some(member) = parse_member(member) {
                baggage.put(member);
                if baggage.members.len() == MAX_READ {
                    break;
                }
            }
        }
        baggage
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.members.iter().find(|m| m.key == key).map(|m| m.value.as_str())
    }

    /// Sets `key` to `value` (any text: it is percent-encoded on the way out), replacing an
    /// earlier value and its properties.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), InvalidKey> {
        if !is_token(key) {
            return Err(InvalidKey(key.to_owned()));
        }
        self.put(Member {
            key: key.to_owned(),
            value: value.to_owned(),
            properties: String::new(),
        });
        Ok(())
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.members.retain(|m| m.key != key);
    }

    fn put(&mut self, member: Member) {
        match self.members.iter_mut().find(|m| m.key == member.key) {
            Some(existing) => *existing = member,
            None => self.members.push(member),
        }
    }

    /// The members, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.members.iter()
    }

    /// Whether there is no member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The header value to send, or `None` when there is nothing to send. Values are scrubbed
    /// of personal data (baggage leaves the process) and percent-encoded. Members are sent in
    /// order while they fit the limits (64 members, 8192 bytes); one that does not fit is left
    /// out whole, never cut (§3.3.4).
    pub fn header(&self) -> Option<String> {
        let mut header = String::new();
        let mut sent = 0;
        for member in &self.members {
            if sent == MAX_MEMBERS {
                break;
            }
            let value = crate::pii::scrub::scrub(&member.value);
            let encoded = utf8_percent_encode(&value, ENCODE);
            let mut entry = String::with_capacity(member.key.len() + member.value.len() + 2);
            if sent > 0 {
                entry.push(',');
            }
            entry.push_str(&member.key);
            entry.push('=');
            entry.extend(encoded);
            if !member.properties.is_empty() {
                entry.push(';');
                entry.push_str(&member.properties);
            }
            if header.len() + entry.len() > MAX_BYTES {
                continue;
            }
            header.push_str(&entry);
            sent += 1;
        }
        (!header.is_empty()).then_some(header)
    }
}

/// `list-member = key OWS "=" OWS value *( OWS ";" OWS property )`.
fn parse_member(member: &str) -> Option<Member> {
    let mut parts = member.split(';');
    let (key, value) = parts.next()?.split_once('=')?;
    let (key, value) = (trim(key), trim(value));
    if !is_token(key) || !value.bytes().all(is_baggage_octet) {
        return None;
    }
    let mut properties = Vec::new();
    for property in parts {
        properties.push(parse_property(property)?);
    }
    Some(Member {
        key: key.to_owned(),
        // Percent-encoded sequences that are not UTF-8 become U+FFFD (§3.3.1.4.1).
        value: percent_decode_str(value).decode_utf8_lossy().into_owned(),
        properties: properties.join(";"),
    })
}

/// `property = key OWS "=" OWS value / key OWS`, normalised without its white space.
fn parse_property(property: &str) -> Option<String> {
    match property.split_once('=') {
        Some((key, value)) => {
            let (key, value) = (trim(key), trim(value));
            (is_token(key) && value.bytes().all(is_baggage_octet)).then(|| format!("{key}={value}"))
        }
        None => {
            let key = trim(property);
            is_token(key).then(|| key.to_owned())
        }
    }
}

/// Optional white space (`OWS`, RFC 7230): spaces and tabs.
fn trim(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// `token = 1*tchar` (RFC 7230 §3.2.6).
fn is_token(key: &str) -> bool {
    !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`.
fn is_baggage_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

#[cfg(test)]
mod tests {
    //! One test per rule of the W3C Baggage Recommendation.
    use super::*;

    fn members(values: &[&str]) -> Vec<(String, String)> {
        Baggage::parse(values).iter().map(|m| (m.key.clone(), m.value.clone())).collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn members_are_read_in_order() {
        assert_eq!(members(&["a=1,b=2"]), pairs(&[("a", "1"), ("b", "2")]));
    }

    #[test]
    fn several_headers_are_one_list() {
        assert_eq!(members(&["a=1", "b=2,c=3"]), pairs(&[("a", "1"), ("b", "2"), ("c", "3")]));
    }

    #[test]
    fn white_space_around_keys_values_and_properties_is_ignored() {
        let baggage = Baggage::parse(&[" a = 1 ; p1 ; p2 = x ,\tb=2\t"]);
        assert_eq!(baggage.get("a"), Some("1"));
        assert_eq!(baggage.iter().next().unwrap().properties, "p1;p2=x");
        assert_eq!(baggage.get("b"), Some("2"));
    }

    #[test]
    fn values_are_percent_decoded_as_utf8() {
        assert_eq!(Baggage::parse(&["k=caf%C3%A9%20au%20lait"]).get("k"), Some("café au lait"));
        assert_eq!(Baggage::parse(&["k=%FF"]).get("k"), Some("\u{fffd}"));
        assert_eq!(Baggage::parse(&["k=100%25"]).get("k"), Some("100%"));
    }

    #[test]
    fn invalid_members_are_skipped_and_the_others_kept() {
        // A key that is not a token, a value with a forbidden octet, no `=`, an invalid property.
        let baggage = Baggage::parse(&["a b=1,c=x\"y,novalue,d=1;p q,ok=yes,=v,e=é"]);
        assert_eq!(
            members(&["a b=1,c=x\"y,novalue,d=1;p q,ok=yes,=v,e=é"]),
            pairs(&[("ok", "yes")])
        );
        assert_eq!(baggage.get("ok"), Some("yes"));
        assert_eq!(members(&[";;;", ",,,", ""]), pairs(&[]));
    }

    #[test]
    fn an_empty_value_is_a_value() {
        assert_eq!(Baggage::parse(&["k="]).get("k"), Some(""));
    }

    #[test]
    fn keys_are_case_sensitive_and_the_last_value_counts() {
        assert_eq!(members(&["k=1,K=2,k=3"]), pairs(&[("k", "3"), ("K", "2")]));
    }

    #[test]
    fn properties_are_forwarded() {
        let baggage = Baggage::parse(&["k=v;metadata;ttl=60"]);
        assert_eq!(baggage.header().as_deref(), Some("k=v;metadata;ttl=60"));
    }

    #[test]
    fn values_are_percent_encoded_on_the_way_out() {
        let mut baggage = Baggage::default();
        baggage.set("k", "a b,c;d\\e\"f%g=h/é").unwrap();
        let header = baggage.header().unwrap();
        assert_eq!(header, "k=a%20b%2Cc%3Bd%5Ce%22f%25g=h/%C3%A9");
        assert_eq!(Baggage::parse(&[&header]).get("k"), Some("a b,c;d\\e\"f%g=h/é"));
    }

    #[test]
    fn keys_that_are_not_tokens_cannot_be_set() {
        assert!(Baggage::default().set("a b", "1").is_err());
        assert!(Baggage::default().set("", "1").is_err());
        assert!(Baggage::default().set("user.id", "1").is_ok());
    }

    #[test]
    fn at_most_64_members_are_sent() {
        let mut baggage = Baggage::default();
        for i in 0..70 {
            baggage.set(&format!("k{i}"), "v").unwrap();
        }
        let header = baggage.header().unwrap();
        assert_eq!(header.split(',').count(), MAX_MEMBERS);
        assert!(header.ends_with("k63=v"));
    }

    #[test]
    fn at_most_8192_bytes_are_sent_and_no_member_is_cut() {
        let mut baggage = Baggage::default();
        baggage.set("big", &"x".repeat(5000)).unwrap();
        baggage.set("bigger", &"y".repeat(5000)).unwrap();
        baggage.set("small", "z").unwrap();
        let header = baggage.header().unwrap();
        assert!(header.len() <= MAX_BYTES);
        assert_eq!(
            Baggage::parse(&[&header]).iter().map(|m| m.key.as_str()).collect::<Vec<_>>(),
            ["big", "small"]
        );
    }

    #[test]
    fn nothing_to_send_sends_nothing() {
        assert_eq!(Baggage::default().header(), None);
    }

    #[test]
    fn personal_data_in_values_is_scrubbed_on_the_way_out() {
        let mut baggage = Baggage::default();
        baggage.set("note", "mail jane.doe@example.com").unwrap();
        let header = baggage.header().unwrap();
        assert!(!header.contains("jane.doe"), "{header}");
        assert_eq!(Baggage::parse(&[&header]).get("note"), Some("mail [REDACTED:email]"));
    }
}
