//! Which local user an upstream login is — the security core of the bridge.
//!
//! A link is (tenant, provider, upstream subject). A known link signs its user in. For an
//! unknown subject the provider's [`LinkPolicy`] decides, from the one local user (if any)
//! whose e-mail address is the upstream's. The rules, which [`resolve`] is the only place of:
//! - never link on an address the upstream does not assert verified, from a provider not
//!   trusted for e-mail, or to a local address that is itself unverified — such a match is
//!   only ever offered for confirmation with the local account's password;
//! - never reach a user of another tenant, and never a disabled user;
//! - never provision an account that shares an address with an existing one: the person
//!   proves they own the existing one instead (or is refused if it has no password).
//!
//! The decision is pure: the caller looks the users up and carries out what it says.

use keyward_core::{TenantId, UserId};
use keyward_identity::User;

use crate::claims::MappedIdentity;

/// What a provider does with an upstream subject that no local user is linked to yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkPolicy {
    /// Just-in-time provisioning: a new local user from the mapped claims. An address that a
    /// local user already has goes to confirmation instead.
    Create,
    /// Link to the local user with the same address when the upstream asserts it verified,
    /// the provider is trusted for e-mail and the local address is verified; otherwise as
    /// `Confirm`. Without a local user of that address, as `Create`.
    LinkVerifiedEmail,
    /// Link only after the person signs in with a local account's password: the account with
    /// the same address, or (without one) whichever local account they name.
    Confirm,
    /// Only users linked beforehand (by an admin) may use the provider.
    Deny,
}

impl LinkPolicy {
    pub const ALL: [Self; 4] = [
        Self::Create,
        Self::LinkVerifiedEmail,
        Self::Confirm,
        Self::Deny,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::LinkVerifiedEmail => "link_verified_email",
            Self::Confirm => "confirm",
            Self::Deny => "deny",
        }
    }
}

impl std::str::FromStr for LinkPolicy {
    type Err = keyward_core::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                keyward_core::ParseError::new(
                    "link_policy",
                    "must be create, link_verified_email, confirm or deny",
                )
            })
    }
}

/// A provider's linking settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkRules {
    pub tenant: TenantId,
    pub policy: LinkPolicy,
    /// Whether the provider's "verified" on an address is believed (never for Entra ID, whose
    /// `email` is whatever the directory's admin typed).
    pub trust_email: bool,
}

/// What the store knows about the person the upstream names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// The user the (tenant, provider, subject) link points to, if there is a link.
    pub linked: Option<&'a User>,
    /// The local user whose address is the upstream's, if the upstream gave one.
    pub same_email: Option<&'a User>,
}

/// What to do with the upstream login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A known link: sign this user in.
    SignIn(UserId),
    /// Link the upstream subject to this existing user, then sign them in.
    Link(UserId),
    /// Create a local user from the mapped claims, link it, sign it in.
    Provision {
        /// Whether the new user's address counts as verified (upstream verified it, and the
        /// provider is trusted for e-mail).
        email_verified: bool,
    },
    /// Link only after the person signs in with a local password: this user's, or (`None`)
    /// the local account they name.
    Confirm(Option<UserId>),
    /// The login cannot proceed.
    Refuse(Refusal),
}

/// Why an upstream login is refused; each is shown to the person as a readable page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the account is disabled")]
    UserDisabled,
    #[error("this provider signs in only accounts linked beforehand")]
    NotLinked,
    #[error("an account with this e-mail address exists and has no password to confirm it with")]
    AccountExists,
    #[error("the account belongs to another tenant")]
    ForeignTenant,
}

/// Decides what an upstream login is; see the module's rules.
pub fn resolve(rules: &LinkRules, upstream: &MappedIdentity, known: Known<'_>) -> Resolution {
    if let Some(user) = known.linked {
        return match usable(rules, user) {
            Ok(()) => Resolution::SignIn(user.id),
            Err(refusal) => Resolution::Refuse(refusal),
        };
    }
    if rules.policy == LinkPolicy::Deny {
        return Resolution::Refuse(Refusal::NotLinked);
    }
    // "Verified" means something only of an address that is there.
    let upstream_verified = upstream.email.is_some() && upstream.email_verified;
    // An address match is used only when it really is the same address.
    let same_email = known.same_email.filter(|user| {
        matches!((&user.email, &upstream.email), (Some(local), Some(theirs)) if local.canonical() == theirs.canonical())
    });
    let Some(existing) = same_email else {
        return match rules.policy {
            LinkPolicy::Confirm => Resolution::Confirm(None),
            _ => Resolution::Provision {
                email_verified: upstream_verified && rules.trust_email,
            },
        };
    };
    if let Err(refusal) = usable(rules, existing) {
        return Resolution::Refuse(refusal);
    }
    let proven = upstream_verified && rules.trust_email && existing.email_verified;
    if rules.policy == LinkPolicy::LinkVerifiedEmail && proven {
        return Resolution::Link(existing.id);
    }
    if existing.password_hash.is_none() {
        return Resolution::Refuse(Refusal::AccountExists);
    }
    Resolution::Confirm(Some(existing.id))
}

/// Whether the person may, after confirming with a password, link `user`: the account the
/// confirmation page signed in must be of the provider's tenant and enabled, and (when the
/// decision named one) the very account named.
pub fn confirm(rules: &LinkRules, expected: Option<UserId>, signed_in: &User) -> Resolution {
    if let Err(refusal) = usable(rules, signed_in) {
        return Resolution::Refuse(refusal);
    }
    match expected {
        Some(id) if id != signed_in.id => Resolution::Confirm(Some(id)),
        _ => Resolution::Link(signed_in.id),
    }
}

fn usable(rules: &LinkRules, user: &User) -> Result<(), Refusal> {
    if user.tenant_id != rules.tenant {
        Err(Refusal::ForeignTenant)
    } else if user.disabled {
        Err(Refusal::UserDisabled)
    } else {
        Ok(())
    }
}

/// Usernames to try, in order, for a provisioned user: the upstream's preferred username, the
/// local part of its address, then `{alias}-{subject}`; each also with `-2` … `-9`. The caller
/// takes the first that is free — a taken name is never reused, so provisioning cannot take
/// over an account.
pub fn username_candidates(upstream: &MappedIdentity, alias: &str) -> Vec<String> {
    let mut bases: Vec<String> = Vec::new();
    let preferred = upstream
        .profile
        .get("preferred_username")
        .and_then(serde_json::Value::as_str);
    let local_part = upstream
        .email
        .as_ref()
        .and_then(|e| e.as_str().rsplit_once('@').map(|(local, _)| local));
    for base in [preferred, local_part].into_iter().flatten() {
        let base: String = base
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .take(100)
            .collect();
        if !base.is_empty() && !bases.contains(&base) {
            bases.push(base);
        }
    }
    let fallback: String = format!("{alias}-{}", upstream.subject)
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(128)
        .collect();
    let mut out = Vec::new();
    for base in &bases {
        out.push(base.clone());
        out.extend((2..=9).map(|n| format!("{base}-{n}")));
    }
    if !bases.contains(&fallback) {
        out.push(fallback.clone());
        out.extend((2..=9).map(|n| format!("{fallback}-{n}")));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use chrono::Utc;
    use keyward_core::{Email, Username};
    use keyward_identity::NewUser;
    use serde_json::Map;

    use super::*;

    fn tenant() -> TenantId {
        TenantId::from_uuid(uuid::Uuid::from_u128(1))
    }

    fn user(email: &str, verified: bool) -> User {
        let mut u = User::new(
            tenant(),
            NewUser {
                username: Username::parse("victim").unwrap(),
                email: Some(Email::parse(email).unwrap()),
                password_hash: Some("$argon2id$stand-in".into()),
            },
            Utc::now(),
        );
        u.email_verified = verified;
        u
    }

    fn upstream(email: Option<&str>, verified: bool) -> MappedIdentity {
        MappedIdentity {
            subject: "up-1".into(),
            email: email.map(|e| Email::parse(e).unwrap()),
            email_verified: verified,
            profile: Map::new(),
            roles: Vec::new(),
        }
    }

    fn rules(policy: LinkPolicy, trust_email: bool) -> LinkRules {
        LinkRules {
            tenant: tenant(),
            policy,
            trust_email,
        }
    }

    #[test]
    fn a_known_link_signs_its_user_in_whatever_the_policy() {
        let linked = user("ann@example.com", false);
        for policy in LinkPolicy::ALL {
            let known = Known {
                linked: Some(&linked),
                same_email: None,
            };
            assert_eq!(
                resolve(&rules(policy, false), &upstream(None, false), known),
                Resolution::SignIn(linked.id)
            );
        }
    }

    #[test]
    fn a_disabled_or_foreign_user_is_never_reached() {
        let mut disabled = user("ann@example.com", true);
        disabled.disabled = true;
        let mut foreign = user("ann@example.com", true);
        foreign.tenant_id = TenantId::from_uuid(uuid::Uuid::from_u128(2));
        let theirs = upstream(Some("ann@example.com"), true);
        for policy in [
            LinkPolicy::Create,
            LinkPolicy::LinkVerifiedEmail,
            LinkPolicy::Confirm,
        ] {
            let rules = rules(policy, true);
            let known = |u| Known {
                linked: Some(u),
                same_email: None,
            };
            assert_eq!(
                resolve(&rules, &theirs, known(&disabled)),
                Resolution::Refuse(Refusal::UserDisabled)
            );
            assert_eq!(
                resolve(&rules, &theirs, known(&foreign)),
                Resolution::Refuse(Refusal::ForeignTenant)
            );
            let by_email = |u| Known {
                linked: None,
                same_email: Some(u),
            };
            // A disabled account's address does not let its owner back in as a new account.
            assert_eq!(
                resolve(&rules, &theirs, by_email(&disabled)),
                Resolution::Refuse(Refusal::UserDisabled)
            );
            assert_eq!(
                resolve(&rules, &theirs, by_email(&foreign)),
                Resolution::Refuse(Refusal::ForeignTenant)
            );
        }
    }

    #[test]
    fn deny_admits_only_pre_linked_users() {
        let victim = user("ann@example.com", true);
        let known = Known {
            linked: None,
            same_email: Some(&victim),
        };
        assert_eq!(
            resolve(
                &rules(LinkPolicy::Deny, true),
                &upstream(Some("ann@example.com"), true),
                known
            ),
            Resolution::Refuse(Refusal::NotLinked)
        );
        assert_eq!(
            resolve(
                &rules(LinkPolicy::Deny, true),
                &upstream(None, false),
                Known::default()
            ),
            Resolution::Refuse(Refusal::NotLinked)
        );
    }

    #[test]
    fn a_new_address_is_provisioned_and_verified_only_by_a_trusted_provider() {
        let theirs = upstream(Some("new@example.com"), true);
        for policy in [LinkPolicy::Create, LinkPolicy::LinkVerifiedEmail] {
            assert_eq!(
                resolve(&rules(policy, true), &theirs, Known::default()),
                Resolution::Provision {
                    email_verified: true
                }
            );
            assert_eq!(
                resolve(&rules(policy, false), &theirs, Known::default()),
                Resolution::Provision {
                    email_verified: false
                }
            );
            assert_eq!(
                resolve(
                    &rules(policy, true),
                    &upstream(Some("new@example.com"), false),
                    Known::default()
                ),
                Resolution::Provision {
                    email_verified: false
                }
            );
        }
        assert_eq!(
            resolve(&rules(LinkPolicy::Confirm, true), &theirs, Known::default()),
            Resolution::Confirm(None)
        );
    }

    #[test]
    fn link_verified_email_links_only_when_all_three_verifications_hold() {
        let verified_victim = user("Ann@Example.com", true);
        let known = |u| Known {
            linked: None,
            same_email: Some(u),
        };
        assert_eq!(
            resolve(
                &rules(LinkPolicy::LinkVerifiedEmail, true),
                &upstream(Some("ann@example.com"), true),
                known(&verified_victim)
            ),
            Resolution::Link(verified_victim.id)
        );
        let unverified_victim = user("ann@example.com", false);
        for (trust, upstream_verified, victim) in [
            (true, false, &verified_victim), // the upstream does not vouch for the address
            (false, true, &verified_victim), // the provider is not trusted for e-mail (Entra ID)
            (true, true, &unverified_victim), // the local address is unproven
        ] {
            assert_eq!(
                resolve(
                    &rules(LinkPolicy::LinkVerifiedEmail, trust),
                    &upstream(Some("ann@example.com"), upstream_verified),
                    known(victim)
                ),
                Resolution::Confirm(Some(victim.id)),
                "trust {trust}, upstream verified {upstream_verified}"
            );
        }
    }

    #[test]
    fn the_takeover_attempt_never_reaches_the_victim_without_their_password() {
        // An attacker's upstream account claims the victim's address, unverified, or verified
        // by a provider nobody trusts for e-mail: every policy ends at the password of the
        // victim's account (or a refusal), never at a link or a duplicate account.
        let victim = user("victim@example.com", true);
        let known = Known {
            linked: None,
            same_email: Some(&victim),
        };
        for policy in LinkPolicy::ALL {
            for (trust, verified) in [(false, false), (true, false), (false, true)] {
                let outcome = resolve(
                    &rules(policy, trust),
                    &upstream(Some("victim@example.com"), verified),
                    known,
                );
                assert!(
                    matches!(outcome, Resolution::Confirm(Some(id)) if id == victim.id)
                        || outcome == Resolution::Refuse(Refusal::NotLinked),
                    "{policy:?} trust {trust} verified {verified}: {outcome:?}"
                );
            }
        }
    }

    #[test]
    fn create_never_duplicates_an_existing_address() {
        let existing = user("ann@example.com", true);
        let known = Known {
            linked: None,
            same_email: Some(&existing),
        };
        assert_eq!(
            resolve(
                &rules(LinkPolicy::Create, true),
                &upstream(Some("ann@example.com"), true),
                known
            ),
            Resolution::Confirm(Some(existing.id))
        );
        let mut passwordless = existing.clone();
        passwordless.password_hash = None;
        let known = Known {
            linked: None,
            same_email: Some(&passwordless),
        };
        assert_eq!(
            resolve(
                &rules(LinkPolicy::Confirm, true),
                &upstream(Some("ann@example.com"), false),
                known
            ),
            Resolution::Refuse(Refusal::AccountExists)
        );
    }

    #[test]
    fn a_match_on_another_address_is_ignored() {
        // The caller's look-up is not trusted to have matched: only the same address counts.
        let other = user("other@example.com", true);
        let known = Known {
            linked: None,
            same_email: Some(&other),
        };
        assert_eq!(
            resolve(
                &rules(LinkPolicy::LinkVerifiedEmail, true),
                &upstream(Some("ann@example.com"), true),
                known
            ),
            Resolution::Provision {
                email_verified: true
            }
        );
        assert_eq!(
            resolve(
                &rules(LinkPolicy::LinkVerifiedEmail, true),
                &upstream(None, true),
                known
            ),
            Resolution::Provision {
                email_verified: false
            }
        );
    }

    #[test]
    fn confirmation_links_only_the_account_it_named() {
        let named = user("ann@example.com", true);
        let mut someone_else = user("bob@example.com", true);
        someone_else.id = UserId::generate();
        let rules = rules(LinkPolicy::Confirm, false);
        assert_eq!(
            confirm(&rules, Some(named.id), &named),
            Resolution::Link(named.id)
        );
        assert_eq!(
            confirm(&rules, Some(named.id), &someone_else),
            Resolution::Confirm(Some(named.id))
        );
        assert_eq!(
            confirm(&rules, None, &someone_else),
            Resolution::Link(someone_else.id)
        );
        let mut disabled = named.clone();
        disabled.disabled = true;
        assert_eq!(
            confirm(&rules, Some(named.id), &disabled),
            Resolution::Refuse(Refusal::UserDisabled)
        );
    }

    #[test]
    fn username_candidates_prefer_the_upstream_names_and_end_in_the_subject() {
        let mut theirs = upstream(Some("ann.lee@example.com"), true);
        theirs
            .profile
            .insert("preferred_username".into(), "ann lee".into());
        let names = username_candidates(&theirs, "google");
        assert_eq!(&names[..3], ["annlee", "annlee-2", "annlee-3"]);
        assert_eq!(names[9], "ann.lee");
        assert_eq!(names[18], "google-up-1");
        assert_eq!(names.len(), 27);
        assert!(names.iter().all(|n| Username::parse(n).is_ok()));
        let bare = username_candidates(&upstream(None, false), "gh");
        assert_eq!(bare[0], "gh-up-1");
    }

    #[test]
    fn policies_read_back_from_their_names() {
        for policy in LinkPolicy::ALL {
            assert_eq!(policy.as_str().parse::<LinkPolicy>().unwrap(), policy);
        }
        assert_eq!(
            "link".parse::<LinkPolicy>().unwrap_err().field,
            "link_policy"
        );
    }
}
