//! The masks `#[derive(obs::Redact)]` applies to fields, at run time.
//!
//! ```
//! use obs_runtime::redact::{partial, hashed};
//! assert_eq!(partial(&"jane.doe@example.com"), "j***@example.com");
//! assert_eq!(partial(&"4242 4242 4242 4242"), "**** **** **** 4242");
//! assert_eq!(partial(&"secret-value-1234"), "*************1234");
//! assert_eq!(hashed(&"jane"), hashed(&"jane")); // stable within the process
//! assert_ne!(hashed(&"jane"), hashed(&"john"));
//! ```

use std::fmt::Display;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::LazyLock;

/// A process-wide random key: hashes correlate within a process and mean nothing outside it.
static KEY: LazyLock<RandomState> = LazyLock::new(RandomState::new);

/// Keeps what identifies a value's shape and hides the rest: an email keeps its first character
/// and its domain, a card number its last four digits, other text its last four characters
/// (when it has more than eight).
pub fn partial<T: Display + ?Sized>(value: &T) -> String {
    let text = value.to_string();
    if let Some((local, domain)) =
        text.split_once('@').filter(|(l, d)| !l.is_empty() && d.contains('.'))
    {
        let first = local.chars().next().map(String::from).unwrap_or_default();
        return format!("{first}***@{domain}");
    }
    let digits: Vec<char> = text.chars().filter(char::is_ascii_digit).collect();
    let card_like = (12..=19).contains(&digits.len())
        && text.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    if card_like {
        let last: String = digits[digits.len() - 4..].iter().collect();
        return format!("**** **** **** {last}");
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > 8 {
        let kept: String = chars[chars.len() - 4..].iter().collect();
        format!("{}{kept}", "*".repeat(chars.len() - 4))
    } else {
        "*".repeat(chars.len().max(1))
    }
}

/// A keyed hash of the value (`hash:` and 16 hex digits): equal values give equal hashes within
/// one process, so they stay correlatable, and the value cannot be read back.
pub fn hashed<T: Hash + ?Sized>(value: &T) -> String {
    format!("hash:{:016x}", KEY.hash_one(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_masks_keep_only_the_shape() {
        assert_eq!(partial("a@b.io"), "a***@b.io");
        assert_eq!(partial("3782-822463-10005"), "**** **** **** 0005");
        assert_eq!(partial("short"), "*****");
        assert_eq!(partial(""), "*");
        assert_eq!(partial(&123456789012u64), "**** **** **** 9012");
    }

    #[test]
    fn hashes_hide_the_value() {
        let h = hashed("jane@example.com");
        assert!(h.starts_with("hash:") && h.len() == 21 && !h.contains("jane"));
    }
}
