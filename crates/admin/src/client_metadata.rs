//! Validating client metadata for the admin use-cases: keyward-oauth's
//! `client_registration::register` (the rules the CLI uses too) plus the metadata it does not
//! cover — jwks, jwks_uri, backchannel_logout_uri and the opt-in `roles` / `permissions`
//! claims.

use keyward_core::OutboundRule;
use keyward_oauth::admin_api::check_registration;
use keyward_oauth::client_registration::{
    ClientRegistration, Registered, RegistrationError, RegistrationRules, register_with,
};
use serde_json::Value;

use crate::clients::ClientInput;
use crate::error::{AdminError, FieldError, Fields};
use crate::service::Admin;

fn registration(input: &ClientInput) -> ClientRegistration {
    ClientRegistration {
        name: input.name.clone(),
        redirect_uris: input.redirect_uris.clone(),
        post_logout_redirect_uris: input.post_logout_redirect_uris.clone(),
        grant_types: input.grant_types.clone(),
        scopes: input.scopes.clone(),
        auth_method: input.auth_method.clone(),
        public: input.public,
        first_party: input.first_party,
    }
}

/// The metadata `register` does not check.
fn extra_metadata(
    input: &ClientInput,
    outbound: OutboundRule,
    errors: &mut Fields,
) -> keyward_oauth::ClientSettings {
    let mut settings = keyward_oauth::ClientSettings {
        role_claims: input.role_claims,
        permission_claims: input.permission_claims,
        ..Default::default()
    };
    match &input.jwks {
        None | Some(Value::Null) => {}
        Some(Value::Object(o)) if o.is_empty() => {}
        Some(jwks @ Value::Object(o)) if o.get("keys").is_some_and(Value::is_array) => {
            settings.jwks = Some(jwks.clone());
        }
        Some(_) => errors.push("jwks", "must be a JWK Set: an object with a \"keys\" array"),
    }
    settings.jwks_uri = outbound_url(outbound, "jwks_uri", input.jwks_uri.as_deref(), errors);
    settings.backchannel_logout_uri = outbound_url(
        outbound,
        "backchannel_logout_uri",
        input.backchannel_logout_uri.as_deref(),
        errors,
    );
    if settings.jwks.is_some() && settings.jwks_uri.is_some() {
        errors.push("jwks_uri", "give jwks or jwks_uri, not both");
    }
    settings
}

/// A URL Keyward will send requests to on the client's behalf: what `outbound` allows (by
/// default https to a host that is not a loopback, private or link-local address literal nor
/// `localhost`; the outbound client checks resolved addresses again); empty means none.
fn outbound_url(
    outbound: OutboundRule,
    field: &str,
    raw: Option<&str>,
    errors: &mut Fields,
) -> Option<String> {
    let raw = raw.filter(|r| !r.is_empty())?;
    if raw.len() > 2048 {
        errors.push(field, "must be at most 2048 characters");
        return None;
    }
    match outbound.check_url(raw) {
        Ok(_) => Some(raw.to_owned()),
        Err(why) => {
            errors.push(field, why.to_string());
            None
        }
    }
}

/// An absolute https URL (http only on loopback, for development); empty means none.
pub(crate) fn https_url(field: &str, raw: Option<&str>, errors: &mut Fields) -> Option<String> {
    let raw = raw.filter(|r| !r.is_empty())?;
    let ok = url::Url::parse(raw).is_ok_and(|u| {
        u.fragment().is_none()
            && (u.scheme() == "https"
                || (u.scheme() == "http"
                    && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))))
    });
    if ok && raw.len() <= 2048 {
        Some(raw.to_owned())
    } else {
        errors.push(field, "must be an absolute https URL without a fragment");
        None
    }
}

pub(crate) fn validate(
    admin: &Admin,
    tenant: &keyward_core::Tenant,
    input: &ClientInput,
) -> Result<Registered, AdminError> {
    let mut errors = Fields::default();
    let settings = extra_metadata(input, admin.ports.outbound, &mut errors);
    match register_with(
        tenant.id,
        &registration(input),
        RegistrationRules::of(&tenant.settings),
        &admin.ports.secrets,
        admin.ports.clock.now(),
    ) {
        Ok(mut registered) => {
            if let Err(e) = check_registration(&tenant.slug, &registered.client.scopes) {
                errors.0.push(FieldError::from(e));
            }
            errors.finish()?;
            registered.client.settings = settings;
            Ok(registered)
        }
        Err(RegistrationError::Invalid(found)) => {
            let mut all: Vec<FieldError> = found.into_iter().map(FieldError::from).collect();
            all.extend(errors.0);
            Err(AdminError::Invalid(all))
        }
        Err(RegistrationError::Secret(e)) => Err(AdminError::Internal(e.to_string())),
    }
}
