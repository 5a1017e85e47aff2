//! Validating changes to a tenant's settings: token lifetimes, the password grant, the PKCE
//! policy, the password policy, the signing algorithm and branding.

use keyward_core::{Branding, TenantSettings};
use keyward_oauth::SigningAlg;
use serde::{Deserialize, Serialize};

use crate::error::Fields;

const MAX_TTL_SECS: i64 = 366 * 24 * 3600;

/// The settings as the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsView {
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    pub password_grant_enabled: bool,
    pub pkce_required: bool,
    /// ES256, RS256 or EdDSA.
    pub signing_alg: String,
    pub password_min_length: u32,
    /// Plain-http redirect URIs to any host are accepted (otherwise loopback only).
    pub allow_http_redirect_uris: bool,
    pub branding: BrandingView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrandingView {
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub background_color: Option<String>,
}

impl From<&TenantSettings> for SettingsView {
    fn from(s: &TenantSettings) -> Self {
        Self {
            access_token_ttl_secs: s.access_token_ttl_secs,
            refresh_token_ttl_secs: s.refresh_token_ttl_secs,
            id_token_ttl_secs: s.id_token_ttl_secs,
            password_grant_enabled: s.password_grant_enabled,
            pkce_required: s.pkce_required,
            signing_alg: s.signing_alg.as_str().to_owned(),
            password_min_length: s.password_min_length,
            allow_http_redirect_uris: s.allow_http_redirect_uris,
            branding: BrandingView {
                logo_url: s.branding.logo_url.clone(),
                primary_color: s.branding.primary_color.clone(),
                background_color: s.branding.background_color.clone(),
            },
        }
    }
}

/// A partial change of the settings: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31_622_400))]
    pub access_token_ttl_secs: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31_622_400))]
    pub refresh_token_ttl_secs: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31_622_400))]
    pub id_token_ttl_secs: Option<i64>,
    pub password_grant_enabled: Option<bool>,
    pub pkce_required: Option<bool>,
    /// ES256, RS256 or EdDSA.
    pub signing_alg: Option<String>,
    #[cfg_attr(feature = "openapi", schema(minimum = 8, maximum = 128))]
    pub password_min_length: Option<u32>,
    /// Accept plain-http redirect URIs to any host (development tenants only).
    pub allow_http_redirect_uris: Option<bool>,
    pub branding: Option<BrandingPatch>,
}

/// A partial change of the branding; an empty string clears a field.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BrandingPatch {
    /// An https URL of the logo.
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub primary_color: Option<String>,
    /// `#rrggbb`.
    pub background_color: Option<String>,
}

/// Applies `patch` to `settings`, recording every invalid field in `errors`.
pub(crate) fn apply(settings: &mut TenantSettings, patch: &SettingsPatch, errors: &mut Fields) {
    let ttl = |field: &str, value: Option<i64>, target: &mut i64, errors: &mut Fields| {
        if let Some(v) = value {
            if (1..=MAX_TTL_SECS).contains(&v) {
                *target = v;
            } else {
                errors.push(
                    format!("settings/{field}"),
                    format!("must be between 1 and {MAX_TTL_SECS} seconds"),
                );
            }
        }
    };
    ttl(
        "access_token_ttl_secs",
        patch.access_token_ttl_secs,
        &mut settings.access_token_ttl_secs,
        errors,
    );
    ttl(
        "refresh_token_ttl_secs",
        patch.refresh_token_ttl_secs,
        &mut settings.refresh_token_ttl_secs,
        errors,
    );
    ttl(
        "id_token_ttl_secs",
        patch.id_token_ttl_secs,
        &mut settings.id_token_ttl_secs,
        errors,
    );
    if let Some(v) = patch.password_grant_enabled {
        settings.password_grant_enabled = v;
    }
    if let Some(v) = patch.pkce_required {
        settings.pkce_required = v;
    }
    if let Some(v) = patch.allow_http_redirect_uris {
        settings.allow_http_redirect_uris = v;
    }
    if let Some(alg) = &patch.signing_alg {
        match alg.parse::<SigningAlg>() {
            Ok(alg) => settings.signing_alg = alg,
            Err(_) => errors.push("settings/signing_alg", "must be ES256, RS256 or EdDSA"),
        }
    }
    if let Some(min) = patch.password_min_length {
        if (8..=128).contains(&min) {
            settings.password_min_length = min;
        } else {
            errors.push("settings/password_min_length", "must be between 8 and 128");
        }
    }
    if let Some(b) = &patch.branding {
        apply_branding(&mut settings.branding, b, errors);
    }
}

fn apply_branding(branding: &mut Branding, patch: &BrandingPatch, errors: &mut Fields) {
    if let Some(logo) = &patch.logo_url {
        if logo.is_empty() {
            branding.logo_url = None;
        } else if url::Url::parse(logo).is_ok_and(|u| u.scheme() == "https") && logo.len() <= 2048 {
            branding.logo_url = Some(logo.clone());
        } else {
            errors.push("settings/branding/logo_url", "must be an https URL");
        }
    }
    let color =
        |field: &str, value: &Option<String>, target: &mut Option<String>, errors: &mut Fields| {
            if let Some(c) = value {
                if c.is_empty() {
                    *target = None;
                } else if c.len() == 7
                    && c.starts_with('#')
                    && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
                {
                    *target = Some(c.to_ascii_lowercase());
                } else {
                    errors.push(format!("settings/branding/{field}"), "must be #rrggbb");
                }
            }
        };
    color(
        "primary_color",
        &patch.primary_color,
        &mut branding.primary_color,
        errors,
    );
    color(
        "background_color",
        &patch.background_color,
        &mut branding.background_color,
        errors,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_patch_reports_every_invalid_field_and_keeps_valid_ones() {
        let mut settings = TenantSettings::default();
        let patch = SettingsPatch {
            access_token_ttl_secs: Some(0),
            pkce_required: Some(true),
            signing_alg: Some("HS256".into()),
            password_min_length: Some(3),
            branding: Some(BrandingPatch {
                logo_url: Some("http://x.test/l.png".into()),
                primary_color: Some("#A0B0C0".into()),
                background_color: Some("red".into()),
            }),
            ..Default::default()
        };
        let mut errors = Fields::default();
        apply(&mut settings, &patch, &mut errors);
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "settings/access_token_ttl_secs",
                "settings/signing_alg",
                "settings/password_min_length",
                "settings/branding/logo_url",
                "settings/branding/background_color"
            ]
        );
        assert!(settings.pkce_required);
        assert_eq!(settings.branding.primary_color.as_deref(), Some("#a0b0c0"));
    }
}
