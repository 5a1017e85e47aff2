//! Every hosted page that shows a client name, a tenant name or a request parameter escapes
//! it: the values go into leptos views, never into HTML by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use actix_web::http::StatusCode;
use chrono::Utc;
use keyward_core::{
    ClientId, DisplayName, GrantType, RedirectUri, Scope, Tenant, TenantSlug,
    TokenEndpointAuthMethod,
};
use keyward_oauth::Client;
use keyward_oauth::device_authorization::DeviceRequest;
use keyward_oauth::interaction::{Interaction, InteractionNeed};
use leptos::prelude::IntoView;

use super::{ErrorPage, Page, consent, device, login, logout};

const EVIL: &str = r#"<script>alert("x")</script>'"#;
/// `EVIL` as HTML text (quotes need no escaping there) and as an attribute value.
const EVIL_TEXT: &str = r#"&lt;script&gt;alert("x")&lt;/script&gt;'"#;
const EVIL_ATTRIBUTE: &str = r#""&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'""#;

fn tenant() -> Tenant {
    let mut t = Tenant::new(
        TenantSlug::parse("acme").unwrap(),
        DisplayName::parse(EVIL).unwrap(),
        Utc::now(),
    );
    // The logo's alt text is the tenant name: an attribute.
    t.settings.branding.logo_url = Some("https://cdn.test/logo.png".into());
    t
}

fn page(tenant: &Tenant, body: impl IntoView + 'static) -> String {
    Page::new(Some(tenant), StatusCode::OK, "Title", body)
        .document()
        .to_owned()
}

fn assert_escaped(what: &str, html: &str, in_text: usize) {
    assert!(!html.contains("<script"), "{what}: {html}");
    assert!(
        html.matches(EVIL_TEXT).count() >= in_text,
        "{what}: {EVIL_TEXT} {in_text} times in {html}"
    );
    assert!(
        html.contains(&format!("alt={EVIL_ATTRIBUTE}")),
        "{what}: {html}"
    );
    assert!(
        !html.contains("<!>"),
        "{what}: no hydration markers: {html}"
    );
}

fn client() -> Client {
    Client {
        tenant_id: tenant().id,
        client_id: ClientId::parse("app").unwrap(),
        name: DisplayName::parse(EVIL).unwrap(),
        secret_hash: None,
        redirect_uris: vec![RedirectUri::parse("https://rp.test/cb").unwrap()],
        post_logout_redirect_uris: vec![RedirectUri::parse("https://rp.test/bye").unwrap()],
        grant_types: vec![GrantType::AuthorizationCode],
        scopes: Scope::parse("openid").unwrap(),
        auth_method: TokenEndpointAuthMethod::None,
        public: true,
        first_party: false,
        settings: Default::default(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

#[test]
fn client_and_tenant_names_with_markup_and_quotes_are_escaped_on_every_page() {
    let t = tenant();
    let csrf = || EVIL.to_owned();

    // Sign-in: the client continued to, the username typed, the carried parameter.
    let html = page(
        &t,
        login::sign_in_form(
            &t,
            Some(EVIL.to_owned()),
            Some(("return_to", EVIL.to_owned())),
            Some(login::GENERIC_FAILURE),
            EVIL.to_owned(),
            csrf(),
        ),
    );
    assert_escaped("sign-in", &html, 3);
    assert!(html.contains(r#"name="username" type="text""#));
    assert!(html.contains(&format!("value={EVIL_ATTRIBUTE}")), "{html}");

    // Consent: the client asking.
    let pending = Interaction {
        id: "i1".into(),
        tenant_id: t.id,
        client_id: ClientId::parse("app").unwrap(),
        client_name: EVIL.into(),
        scopes: Scope::parse("openid email").unwrap(),
        login_hint: None,
        ui_locales: None,
        reauthenticate_after: None,
        needs: InteractionNeed::Consent,
        request: serde_json::Value::Null,
        consent_denied: false,
        user_id: None,
        created_at: Utc::now(),
    };
    let html = page(&t, consent::consent_form(&t, &pending, csrf()));
    assert_escaped("consent", &html, 2);
    assert!(html.contains("<li>Your email address</li>"), "{html}");

    // Device: the confirmation and both answers.
    let request = DeviceRequest {
        tenant_id: t.id,
        client_id: ClientId::parse("tv").unwrap(),
        client_name: EVIL.into(),
        scope: Scope::parse("openid").unwrap(),
        user_code: "BCDFGHJK".into(),
        created_at: Utc::now(),
        expires_at: Utc::now(),
    };
    let html = page(&t, device::confirmation_form(&t, &request, csrf()));
    assert_escaped("device confirmation", &html, 2);
    for approved in [true, false] {
        let html = device::answered(&t, EVIL, approved).document().to_owned();
        assert_escaped("device answered", &html, 2);
    }

    // Logout: the client asking, the tenant named in the question, the carried state.
    let request = keyward_oauth::end_session::LogoutRequest {
        hint: None,
        client: Some(Arc::new(client())),
        redirect: Some("https://rp.test/bye".into()),
        state: Some(EVIL.into()),
    };
    let html = page(&t, logout::confirmation_form(&t, &request, csrf()));
    assert_escaped("logout confirmation", &html, 3);
    assert!(
        html.contains(&format!(r#"name="state" value={EVIL_ATTRIBUTE}"#)),
        "{html}"
    );
    let html = page(&t, logout::nobody_signed_out_body(&t, &request));
    assert_escaped("nobody signed out", &html, 3);
    assert!(
        html.contains(r#"href="https://rp.test/bye?state=%3Cscript%3E"#),
        "{html}"
    );

    // The error page: the tenant's branding and a message.
    let html = ErrorPage::new(Some(&t), StatusCode::BAD_REQUEST, "Invalid request", EVIL)
        .page()
        .document()
        .to_owned();
    assert_escaped("error", &html, 2);
}

#[test]
fn hidden_fields_keep_name_then_value_for_form_readers() {
    let t = tenant();
    let html = page(
        &t,
        login::sign_in_form(
            &t,
            None,
            Some(("interaction", "i1".into())),
            None,
            String::new(),
            "tok".into(),
        ),
    );
    assert!(
        html.contains(r#"<input type="hidden" name="csrf_token" value="tok">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<input type="hidden" name="interaction" value="i1">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<form method="post" action="/t/acme/login">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"autocomplete="current-password" required>"#),
        "{html}"
    );
}
