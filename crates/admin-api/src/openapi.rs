//! The OpenAPI 3.1 document, assembled from the handlers' `#[utoipa::path]` attributes.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{
    app_roles, audit, clients, consents, keys, providers, roles, sessions, tenants, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Keyward admin API", version = "1",
        description = "Tenants, clients, users, identity providers, application roles, signing keys, admin roles and the audit log. \
            Authenticate with a bearer access token of the `system` tenant. Errors are RFC 9457 \
            problem documents; lists page with `?limit=&after=` and answer `{ items, next }`; \
            single resources carry an ETag, and writes honour If-Match."),
    paths(
        tenants::list_tenants, tenants::create_tenant, tenants::get_tenant, tenants::update_tenant,
        clients::list_clients, clients::create_client, clients::get_client, clients::update_client,
        clients::delete_client, clients::rotate_secret,
        users::list_users, users::create_user, users::get_user, users::update_user, users::delete_user,
        users::set_password,
        keys::list_keys, keys::rotate_keys,
        audit::list_audit_events,
        roles::list_role_assignments, roles::grant_role, roles::revoke_role,
        providers::list_providers, providers::create_provider, providers::get_provider,
        providers::update_provider, providers::delete_provider,
        consents::list_consents, consents::revoke_consent,
        sessions::list_sessions, sessions::revoke_session, sessions::revoke_sessions,
        app_roles::list_app_roles, app_roles::delete_app_role, app_roles::grant_permission,
        app_roles::revoke_permission, app_roles::list_user_app_roles, app_roles::assign_app_role,
        app_roles::unassign_app_role,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
