//! RFC 6749 §3.1 / §3.2: request parameters in an `application/x-www-form-urlencoded` body.
//! Parameters sent without a value count as omitted; a parameter sent twice is refused.

use crate::error::OAuthError;

/// More parameters than any OAuth request needs; bounds the duplicate check.
const MAX_PARAMS: usize = 64;

/// The decoded parameters of one request, each name at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormParams {
    pairs: Vec<(String, String)>,
}

impl FormParams {
    /// Parses an `application/x-www-form-urlencoded` body (WHATWG URL §5.1). Refuses text that
    /// is not UTF-8 after decoding, broken percent escapes and repeated names (RFC 6749 §3.1).
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for field in body.split(|b| *b == b'&').filter(|f| !f.is_empty()) {
            let (name, value) = match field.iter().position(|b| *b == b'=') {
                Some(at) => (&field[..at], &field[at + 1..]),
                None => (field, &b""[..]),
            };
            let name = decode(name)?;
            let value = decode(value)?;
            if value.is_empty() {
                continue;
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {name:?} is included more than once"
                )));
            }
            if pairs.len() == MAX_PARAMS {
                return Err(OAuthError::invalid_request("too many parameters"));
            }
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    /// The value of `name`, if sent with a value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a parameter the request cannot do without.
    pub fn require(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name:?}")))
    }
}

/// Percent-decodes one name or value, `+` meaning a space.
pub(crate) fn decode(raw: &[u8]) -> Result<String, OAuthError> {
    let malformed = || OAuthError::invalid_request("malformed form-urlencoded body");
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).and_then(|h| hex(*h)).ok_or_else(malformed)?;
                let lo = raw.get(i + 2).and_then(|l| hex(*l)).ok_or_else(malformed)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| malformed())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn decodes_percent_escapes_and_plus() {
        let p = FormParams::parse(b"grant_type=client_credentials&scope=a+b%3Ac&x=%C3%A9")
            .unwrap_or_default();
        assert_eq!(p.get("grant_type"), Some("client_credentials"));
        assert_eq!(p.get("scope"), Some("a b:c"));
        assert_eq!(p.get("x"), Some("é"));
    }

    #[test]
    fn rejects_duplicate_parameters() {
        let err = FormParams::parse(b"scope=a&grant_type=x&scope=b").err();
        assert_eq!(err.map(|e| e.code()), Some(ErrorCode::InvalidRequest));
    }

    #[test]
    fn empty_values_count_as_omitted() {
        let p = FormParams::parse(b"scope=&scope=a&flag").unwrap_or_default();
        assert_eq!(p.get("scope"), Some("a"));
        assert_eq!(p.get("flag"), None);
    }

    #[test]
    fn rejects_broken_escapes_and_invalid_utf8() {
        for body in [&b"a=%zz"[..], b"a=%4", b"a=%ff%fe", b"a=\xff"] {
            assert!(FormParams::parse(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn require_names_the_missing_parameter() {
        let p = FormParams::default();
        let err = p
            .require("grant_type")
            .err()
            .map(|e| e.description().to_owned());
        assert!(err.is_some_and(|d| d.contains("grant_type")));
    }
}
