//! Claim mapping: from what an upstream says about a person (its ID token's claims and its
//! userinfo JSON, merged) to the local standard claims and the tenant's application roles.
//!
//! A provider's `claim_mapping` is a JSON object. Each local claim may name the JSON pointer
//! (RFC 6901) it is read from; a claim not named is read from the upstream claim of the same
//! name (`/email`, `/name`, ...) and the subject from `/sub`. `roles` grants application roles
//! from upstream values:
//!
//! ```json
//! { "subject": "/id", "preferred_username": "/login",
//!   "roles": [ { "claim": "/groups", "value": "admins", "role": "admin" } ] }
//! ```
//!
//! Mapping is validated when the provider is saved ([`ClaimMapping::parse`]), with an error
//! per field; applying it ([`ClaimMapping::apply`]) never fails except for a missing subject.

use std::collections::BTreeSet;

use keyward_core::{Email, ParseError};
use serde_json::{Map, Value};

/// The local claims an upstream can fill, besides the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocalClaim {
    Email,
    EmailVerified,
    Name,
    GivenName,
    FamilyName,
    PreferredUsername,
    Picture,
    Locale,
}

impl LocalClaim {
    pub const ALL: [Self; 8] = [
        Self::Email,
        Self::EmailVerified,
        Self::Name,
        Self::GivenName,
        Self::FamilyName,
        Self::PreferredUsername,
        Self::Picture,
        Self::Locale,
    ];

    /// The OIDC Core §5.1 name, which is also the default upstream pointer's.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::EmailVerified => "email_verified",
            Self::Name => "name",
            Self::GivenName => "given_name",
            Self::FamilyName => "family_name",
            Self::PreferredUsername => "preferred_username",
            Self::Picture => "picture",
            Self::Locale => "locale",
        }
    }

    /// The field name in errors about the mapping.
    const fn field(self) -> &'static str {
        match self {
            Self::Email => "claim_mapping.email",
            Self::EmailVerified => "claim_mapping.email_verified",
            Self::Name => "claim_mapping.name",
            Self::GivenName => "claim_mapping.given_name",
            Self::FamilyName => "claim_mapping.family_name",
            Self::PreferredUsername => "claim_mapping.preferred_username",
            Self::Picture => "claim_mapping.picture",
            Self::Locale => "claim_mapping.locale",
        }
    }

    /// The profile claims: copied onto the local user (see `SyncMode`). The e-mail address
    /// and its verification are not among them: they decide linking.
    pub const PROFILE: [Self; 6] = [
        Self::Name,
        Self::GivenName,
        Self::FamilyName,
        Self::PreferredUsername,
        Self::Picture,
        Self::Locale,
    ];

    /// Longest value kept, in characters; a longer upstream value is dropped, not cut.
    const fn max_chars(self) -> usize {
        match self {
            Self::Picture => 2048,
            Self::Locale => 35,
            _ => 255,
        }
    }
}

/// A JSON pointer (RFC 6901) into the upstream claims: `""` or `/`-separated tokens in which
/// `~` is only ever `~0` or `~1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer(String);

impl Pointer {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, ParseError> {
        let escapes_ok = s
            .split('~')
            .skip(1)
            .all(|rest| rest.starts_with('0') || rest.starts_with('1'));
        if (!s.is_empty() && !s.starts_with('/')) || !escapes_ok || s.len() > 256 {
            return Err(ParseError::new(
                field,
                "must be a JSON pointer such as /email or /address/country",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    fn of(claim: &str) -> Self {
        Self(format!("/{claim}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn read<'a>(&self, claims: &'a Value) -> Option<&'a Value> {
        claims.pointer(&self.0)
    }
}

/// An application role granted when an upstream value says so: the value at `claim` equals
/// `value`, or is an array with `value` among its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRule {
    pub claim: Pointer,
    pub value: String,
    pub role: String,
}

/// A provider's claim mapping, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    subject: Pointer,
    claims: Vec<(LocalClaim, Pointer)>,
    roles: Vec<RoleRule>,
}

impl Default for ClaimMapping {
    /// The OIDC standard claims under their own names, the subject from `sub`, no roles.
    fn default() -> Self {
        Self {
            subject: Pointer::of("sub"),
            claims: LocalClaim::ALL
                .iter()
                .map(|c| (*c, Pointer::of(c.as_str())))
                .collect(),
            roles: Vec::new(),
        }
    }
}

/// What the mapping found about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedIdentity {
    /// The upstream subject (a number is written in decimal, as GitHub's `id`).
    pub subject: String,
    /// The address, when the upstream gave one that parses.
    pub email: Option<Email>,
    /// Whether the upstream says it verified `email`; false when it says nothing.
    pub email_verified: bool,
    /// The profile claims found, by their local names; only strings within their bounds.
    pub profile: Map<String, Value>,
    /// The application roles the role rules grant, sorted, without repeats.
    pub roles: Vec<String>,
}

/// Why the upstream's claims name nobody.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("the upstream claims have no usable subject at {0}")]
    NoSubject(String),
}

const SUBJECT_FIELD: &str = "claim_mapping.subject";
const ROLES_FIELD: &str = "claim_mapping.roles";
const MAX_ROLE_RULES: usize = 100;

impl ClaimMapping {
    /// Reads a stored or submitted mapping, collecting an error per invalid field.
    pub fn parse(value: &Value) -> Result<Self, Vec<ParseError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![ParseError::new(
                "claim_mapping",
                "must be a JSON object",
            )]);
        };
        let mut errors = Vec::new();
        let mut mapping = Self::default();
        for (key, entry) in object {
            match key.as_str() {
                "subject" => match pointer_at(SUBJECT_FIELD, entry) {
                    Ok(p) => mapping.subject = p,
                    Err(e) => errors.push(e),
                },
                "roles" => match role_rules(entry) {
                    Ok(rules) => mapping.roles = rules,
                    Err(e) => errors.push(e),
                },
                other => match LocalClaim::ALL.iter().find(|c| c.as_str() == other) {
                    Some(claim) => match pointer_at(claim.field(), entry) {
                        Ok(p) => {
                            if let Some(slot) = mapping.claims.iter_mut().find(|(c, _)| c == claim)
                            {
                                slot.1 = p;
                            }
                        }
                        Err(e) => errors.push(e),
                    },
                    None => errors.push(ParseError::new(
                        "claim_mapping",
                        format!(
                            "{other:?} is not a mappable claim (subject, roles, {})",
                            LocalClaim::ALL.map(LocalClaim::as_str).join(", ")
                        ),
                    )),
                },
            }
        }
        if errors.is_empty() {
            Ok(mapping)
        } else {
            Err(errors)
        }
    }

    /// Applies the mapping to the upstream's claims (ID token and userinfo, merged).
    pub fn apply(&self, upstream: &Value) -> Result<MappedIdentity, MappingError> {
        let subject = match self.subject.read(upstream) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Some(n.to_string()),
            _ => None,
        }
        .filter(|s| !s.is_empty() && s.len() <= 255 && !s.chars().any(char::is_control))
        .ok_or_else(|| MappingError::NoSubject(self.subject.as_str().to_owned()))?;

        let read = |claim: LocalClaim| {
            self.claims
                .iter()
                .find(|(c, _)| *c == claim)
                .and_then(|(_, p)| p.read(upstream))
        };
        let email = read(LocalClaim::Email)
            .and_then(Value::as_str)
            .and_then(|s| Email::parse(s).ok());
        // Some providers send the boolean as a string; anything else is "not verified".
        let email_verified = email.is_some()
            && match read(LocalClaim::EmailVerified) {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s == "true",
                _ => false,
            };
        let mut profile = Map::new();
        for claim in LocalClaim::PROFILE {
            if let Some(Value::String(s)) = read(claim) {
                let s = s.trim();
                let fits = !s.is_empty()
                    && s.chars().count() <= claim.max_chars()
                    && !s.chars().any(char::is_control);
                if fits {
                    profile.insert(claim.as_str().to_owned(), Value::String(s.to_owned()));
                }
            }
        }
        let roles: BTreeSet<String> = self
            .roles
            .iter()
            .filter(|rule| match rule.claim.read(upstream) {
                Some(Value::String(s)) => *s == rule.value,
                Some(Value::Array(items)) => items
                    .iter()
                    .any(|item| item.as_str() == Some(rule.value.as_str())),
                Some(Value::Bool(b)) => rule.value == b.to_string(),
                Some(Value::Number(n)) => rule.value == n.to_string(),
                _ => false,
            })
            .map(|rule| rule.role.clone())
            .collect();
        Ok(MappedIdentity {
            subject,
            email,
            email_verified,
            profile,
            roles: roles.into_iter().collect(),
        })
    }

    /// The roles the rules can grant, for checking them against the tenant's roles.
    pub fn granted_roles(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|r| r.role.as_str())
    }
}

fn pointer_at(field: &'static str, entry: &Value) -> Result<Pointer, ParseError> {
    match entry {
        Value::String(s) => Pointer::parse(field, s),
        _ => Err(ParseError::new(field, "must be a JSON pointer string")),
    }
}

fn role_rules(entry: &Value) -> Result<Vec<RoleRule>, ParseError> {
    let invalid = || {
        ParseError::new(
            ROLES_FIELD,
            "must be a list of {\"claim\": JSON pointer, \"value\": text, \"role\": role name}",
        )
    };
    let items = entry.as_array().ok_or_else(invalid)?;
    if items.len() > MAX_ROLE_RULES {
        return Err(ParseError::new(
            ROLES_FIELD,
            format!("may hold at most {MAX_ROLE_RULES} rules"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let object = item.as_object().ok_or_else(invalid)?;
            if object
                .keys()
                .any(|k| !matches!(k.as_str(), "claim" | "value" | "role"))
            {
                return Err(invalid());
            }
            let text = |name: &str| {
                object
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && s.len() <= 255 && !s.contains(char::is_control))
                    .map(str::to_owned)
            };
            let (Some(claim), Some(value), Some(role)) =
                (text("claim"), text("value"), text("role"))
            else {
                return Err(ParseError::new(
                    ROLES_FIELD,
                    format!("rule {i} needs claim, value and role, each 1 to 255 characters"),
                ));
            };
            Ok(RoleRule {
                claim: Pointer::parse(ROLES_FIELD, &claim)?,
                value,
                role,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use serde_json::json;

    use super::*;

    #[test]
    fn the_default_reads_the_standard_claims() {
        let mapped = ClaimMapping::default()
            .apply(&json!({
                "sub": "u-1", "email": "Ann@Example.com", "email_verified": true,
                "name": "Ann Lee", "locale": "en-GB", "unrelated": "x"
            }))
            .unwrap();
        assert_eq!(mapped.subject, "u-1");
        assert_eq!(mapped.email.unwrap().as_str(), "Ann@Example.com");
        assert!(mapped.email_verified);
        assert_eq!(
            mapped.profile,
            json!({"name": "Ann Lee", "locale": "en-GB"})
                .as_object()
                .cloned()
                .unwrap()
        );
        assert!(mapped.roles.is_empty());
    }

    #[test]
    fn pointers_override_the_defaults_and_numeric_subjects_are_kept_in_decimal() {
        let mapping = ClaimMapping::parse(&json!({
            "subject": "/id", "preferred_username": "/login", "name": "/profile/full name"
        }))
        .unwrap();
        let mapped = mapping
            .apply(
                &json!({"id": 583231, "login": "octocat", "profile": {"full name": "The Octocat"}}),
            )
            .unwrap();
        assert_eq!(mapped.subject, "583231");
        assert_eq!(mapped.profile["preferred_username"], "octocat");
        assert_eq!(mapped.profile["name"], "The Octocat");
    }

    #[test]
    fn an_address_is_verified_only_when_the_upstream_says_so() {
        let map = |claims: Value| ClaimMapping::default().apply(&claims).unwrap();
        assert!(!map(json!({"sub": "a", "email": "a@example.com"})).email_verified);
        assert!(
            !map(json!({"sub": "a", "email": "a@example.com", "email_verified": "yes"}))
                .email_verified
        );
        assert!(
            !map(json!({"sub": "a", "email": "a@example.com", "email_verified": 1})).email_verified
        );
        assert!(
            map(json!({"sub": "a", "email": "a@example.com", "email_verified": "true"}))
                .email_verified
        );
        // Verification of an address that is not there (or does not parse) means nothing.
        let no_address =
            map(json!({"sub": "a", "email": "not an address", "email_verified": true}));
        assert_eq!(no_address.email, None);
        assert!(!no_address.email_verified);
    }

    #[test]
    fn without_a_subject_nobody_is_named() {
        for claims in [
            json!({}),
            json!({"sub": ""}),
            json!({"sub": true}),
            json!({"sub": 1.5}),
            json!({"sub": "a\nb"}),
        ] {
            assert_eq!(
                ClaimMapping::default().apply(&claims),
                Err(MappingError::NoSubject("/sub".into())),
                "{claims}"
            );
        }
    }

    #[test]
    fn unusable_profile_values_are_dropped_not_cut() {
        let mapped = ClaimMapping::default()
            .apply(&json!({"sub": "a", "name": "x".repeat(256), "locale": 7, "given_name": "  Ann  ", "family_name": "Le\u{7}e"}))
            .unwrap();
        assert_eq!(
            mapped.profile,
            json!({"given_name": "Ann"}).as_object().cloned().unwrap()
        );
    }

    #[test]
    fn role_rules_match_a_value_or_an_entry_of_a_list() {
        let mapping = ClaimMapping::parse(&json!({"roles": [
            {"claim": "/groups", "value": "admins", "role": "admin"},
            {"claim": "/department", "value": "sales", "role": "seller"},
            {"claim": "/groups", "value": "staff", "role": "admin"},
            {"claim": "/groups", "value": "nobody-has-this", "role": "ghost"}
        ]}))
        .unwrap();
        let mapped = mapping
            .apply(&json!({"sub": "a", "groups": ["staff", "admins"], "department": "sales"}))
            .unwrap();
        assert_eq!(mapped.roles, ["admin", "seller"]);
        let none = mapping
            .apply(&json!({"sub": "a", "groups": "staffers"}))
            .unwrap();
        assert!(none.roles.is_empty());
        assert_eq!(
            mapping.granted_roles().collect::<Vec<_>>(),
            ["admin", "seller", "admin", "ghost"]
        );
    }

    #[test]
    fn every_invalid_field_is_named() {
        let errors = ClaimMapping::parse(&json!({
            "subject": 3, "email": "email", "picture": "/p~2", "nickname": "/nick",
            "roles": [{"claim": "/groups", "value": "x"}]
        }))
        .unwrap_err();
        let fields: BTreeSet<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            BTreeSet::from([
                "claim_mapping",
                "claim_mapping.subject",
                "claim_mapping.email",
                "claim_mapping.picture",
                "claim_mapping.roles"
            ])
        );
        assert!(ClaimMapping::parse(&json!([])).is_err());
        assert!(ClaimMapping::parse(&json!({"roles": {"claim": "/g"}})).is_err());
        assert!(
            ClaimMapping::parse(&json!({"roles": [{"claim": "g", "value": "v", "role": "r"}]}))
                .is_err()
        );
        assert!(
            ClaimMapping::parse(
                &json!({"roles": [{"claim": "/g", "value": "v", "role": "r", "extra": 1}]})
            )
            .is_err()
        );
        assert_eq!(
            ClaimMapping::parse(&json!({})).unwrap(),
            ClaimMapping::default()
        );
    }

    #[test]
    fn escaped_pointers_read_keys_with_slashes_and_tildes() {
        let mapping = ClaimMapping::parse(&json!({"name": "/a~1b~0c"})).unwrap();
        let mapped = mapping.apply(&json!({"sub": "s", "a/b~c": "Ann"})).unwrap();
        assert_eq!(mapped.profile["name"], "Ann");
    }
}
