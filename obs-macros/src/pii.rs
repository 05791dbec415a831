//! The PII vocabulary: names that say a value is personal data or a credential.
//!
//! A name is split into lowercase words at `_`, `-`, case changes (`cardNumber`, `HTTPToken`)
//! and letter/digit boundaries (`address2`). It looks like PII when one of its words, or two or
//! three consecutive words, is in the vocabulary below. Every rule of obs that checks names uses
//! this one list: `#[observe]` arguments and `fields(...)` keys, `#[golden_signals]` labels, and
//! `#[derive(Redact)]` fields.
//!
//! | family | words |
//! |---|---|
//! | email | `email`, `emails`, `mail`, `e mail` |
//! | password | `password`, `passwd`, `pwd`, `passphrase`, `pass phrase` |
//! | secret, key | `secret`, `secrets`, `api key`, `apikey`, `access key`, `private key`, `secret key`, `credential`, `credentials` |
//! | token | `token`, `tokens`, `jwt`, `bearer`, `otp`, `pin` |
//! | auth | `auth`, `authorization`, `cookie`, `cookies`, `session`, `sessions` |
//! | card | `credit card`, `creditcard`, `card number`, `cardnumber`, `card no`, `cc`, `ccn`, `pan`, `cvv`, `cvc`, `cvv2` |
//! | national id | `ssn`, `social security`, `passport`, `tax id`, `national id` |
//! | bank | `iban`, `account number`, `account no`, `routing number` |
//! | phone | `phone`, `phones`, `telephone`, `mobile`, `msisdn` |
//! | birth | `birth`, `birthday`, `birthdate`, `dob`, `date of birth` |
//! | address, location | `address`, `addresses`, `street`, `postcode`, `zipcode`, `zip code`, `postal code`, `ip addr`, `latitude`, `longitude`, `geolocation` |
//! | name | `first name`, `firstname`, `last name`, `lastname`, `full name`, `fullname`, `surname`, `maiden name` |

/// Words of label names whose values are one per user, request or event: each value would be a
/// new time series (unbounded cardinality). Checked for metric labels only.
const UNBOUNDED: &[&str] = &[
    "id",
    "ids",
    "uuid",
    "guid",
    "user",
    "users",
    "customer",
    "request",
    "trace",
    "span",
    "ip",
    "url",
    "uri",
    "path",
    "query",
    "timestamp",
    "ts",
    "nonce",
    "hash",
    "order",
    "transaction",
    "txn",
    "device",
    "email",
];

/// The word of `name` that makes it unbounded as a metric label, if any (`"id"`).
pub(crate) fn unbounded(name: &str) -> Option<String> {
    words(name).into_iter().find(|w| UNBOUNDED.contains(&w.as_str()))
}

/// Single words.
const WORDS: &[&str] = &[
    "email",
    "emails",
    "mail",
    "password",
    "passwords",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "apikey",
    "credential",
    "credentials",
    "token",
    "tokens",
    "jwt",
    "bearer",
    "otp",
    "pin",
    "auth",
    "authorization",
    "cookie",
    "cookies",
    "session",
    "sessions",
    "creditcard",
    "cardnumber",
    "cc",
    "ccn",
    "pan",
    "cvv",
    "cvc",
    "cvv2",
    "ssn",
    "passport",
    "iban",
    "phone",
    "phones",
    "telephone",
    "mobile",
    "msisdn",
    "birth",
    "birthday",
    "birthdate",
    "dob",
    "address",
    "addresses",
    "street",
    "postcode",
    "zipcode",
    "latitude",
    "longitude",
    "geolocation",
    "firstname",
    "lastname",
    "fullname",
    "surname",
];

/// Sequences of words.
const PHRASES: &[&[&str]] = &[
    &["e", "mail"],
    &["pass", "phrase"],
    &["api", "key"],
    &["access", "key"],
    &["private", "key"],
    &["secret", "key"],
    &["credit", "card"],
    &["card", "number"],
    &["card", "no"],
    &["social", "security"],
    &["tax", "id"],
    &["national", "id"],
    &["account", "number"],
    &["account", "no"],
    &["routing", "number"],
    &["date", "of", "birth"],
    &["zip", "code"],
    &["postal", "code"],
    &["ip", "addr"],
    &["first", "name"],
    &["last", "name"],
    &["full", "name"],
    &["maiden", "name"],
];

/// The words of an identifier or a dotted field name, lowercase.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let boundary = chars.get(i.wrapping_sub(1)).filter(|_| i > 0).is_some_and(|&prev| {
            let next = chars.get(i + 1).copied();
            (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_alphabetic() && c.is_numeric())
                || (prev.is_numeric() && c.is_alphabetic())
                // The last capital of a run that starts a word: `HTTPToken` -> `HTTP`, `Token`.
                || (prev.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase))
        });
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The vocabulary entry `name` matches, if any (`"card number"`).
pub(crate) fn matches(name: &str) -> Option<String> {
    let words = words(name);
    // Phrases first: they say more precisely what was found.
    let phrase = PHRASES.iter().find_map(|phrase| {
        words
            .windows(phrase.len())
            .any(|w| w.iter().zip(phrase.iter()).all(|(a, b)| a == b))
            .then(|| phrase.join(" "))
    });
    phrase.or_else(|| words.iter().find(|w| WORDS.contains(&w.as_str())).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("user_email"), ["user", "email"]);
        assert_eq!(words("cardNumber"), ["card", "number"]);
        assert_eq!(words("HTTPToken"), ["http", "token"]);
        assert_eq!(words("address2"), ["address", "2"]);
        assert_eq!(words("http.route"), ["http", "route"]);
        assert_eq!(words("r#type"), ["r", "type"]);
    }

    #[test]
    fn every_family_is_caught() {
        for (name, entry) in [
            ("email", "email"),
            ("userEmail", "email"),
            ("e_mail", "e mail"),
            ("password", "password"),
            ("new_passwd", "passwd"),
            ("client_secret", "secret"),
            ("api_key", "api key"),
            ("refreshToken", "token"),
            ("auth_header", "auth"),
            ("session_id", "session"),
            ("credit_card", "credit card"),
            ("card_number", "card number"),
            ("cvv", "cvv"),
            ("ssn", "ssn"),
            ("social_security_no", "social security"),
            ("iban", "iban"),
            ("account_number", "account number"),
            ("phone", "phone"),
            ("date_of_birth", "date of birth"),
            ("birth_year", "birth"),
            ("dob", "dob"),
            ("home_address", "address"),
            ("first_name", "first name"),
            ("zip_code", "zip code"),
        ] {
            assert_eq!(matches(name).as_deref(), Some(entry), "{name}");
        }
    }

    #[test]
    fn unbounded_label_names_are_caught() {
        for (name, word) in [
            ("user_id", "user"),
            ("requestId", "request"),
            ("trace_id", "trace"),
            ("client_ip", "ip"),
            ("order_id", "order"),
        ] {
            assert_eq!(unbounded(name).as_deref(), Some(word), "{name}");
        }
        for name in ["tier", "region", "method", "route", "status_class", "queue"] {
            assert_eq!(unbounded(name), None, "{name}");
        }
    }

    #[test]
    fn ordinary_names_are_not_caught() {
        for name in [
            "order_id",
            "items",
            "mailbox",
            "author",
            "passed",
            "http.route",
            "user_id",
            "amount",
            "cardinality",
            "panic",
            "pinned",
            "tokenizer",
            "zip",
            "name",
            "account",
            "card",
            "key",
        ] {
            assert_eq!(matches(name), None, "{name}");
        }
    }
}
