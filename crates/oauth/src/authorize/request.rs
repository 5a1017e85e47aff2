//! RFC 6749 §4.1.1 / §4.2.1 and OIDC Core §3.1.2.1: parsing and validating an authorization
//! request. The client and the redirect URI are checked first: until both are known good, no
//! error may be sent to the redirect URI (RFC 6749 §4.1.2.1), so those failures are
//! [`Untrusted`]. Everything after that is an [`AuthorizeError`] delivered to the client.

use keyward_core::{ClientId, GrantType, Scope};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::AuthorizeError;
use crate::client::Client;
use crate::error::ErrorCode;
use crate::params::FormParams;
use crate::pkce::CodeChallenge;

/// OAuth 2.0 Multiple Response Type Encoding Practices §2: what the response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseType {
    pub code: bool,
    pub id_token: bool,
    pub token: bool,
}

impl ResponseType {
    /// The supported values: `code`, `id_token`, `id_token token`, `code id_token`.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut words: Vec<&str> = raw.split(' ').filter(|w| !w.is_empty()).collect();
        words.sort_unstable();
        let rt = |code, id_token, token| {
            Some(Self {
                code,
                id_token,
                token,
            })
        };
        match words.as_slice() {
            ["code"] => rt(true, false, false),
            ["id_token"] => rt(false, true, false),
            ["id_token", "token"] => rt(false, true, true),
            ["code", "id_token"] => rt(true, true, false),
            _ => None,
        }
    }

    /// Implicit and hybrid responses go in the fragment by default. Multiple Response Types §5
    pub fn default_mode(&self) -> ResponseMode {
        if self.id_token || self.token {
            ResponseMode::Fragment
        } else {
            ResponseMode::Query
        }
    }

    /// The grant types the client must have registered for it.
    fn grants(&self) -> Vec<GrantType> {
        let mut grants = Vec::new();
        if self.code {
            grants.push(GrantType::AuthorizationCode);
        }
        if self.id_token || self.token {
            grants.push(GrantType::Implicit);
        }
        grants
    }
}

/// How the response reaches the client. Multiple Response Types §2.1, Form Post Response Mode §2
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "query" => Some(Self::Query),
            "fragment" => Some(Self::Fragment),
            "form_post" => Some(Self::FormPost),
            _ => None,
        }
    }
}

/// OIDC Core §3.1.2.1 `prompt`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

impl Prompt {
    fn parse(raw: Option<&str>) -> Result<Self, AuthorizeError> {
        let mut prompt = Self::default();
        for word in raw.unwrap_or_default().split(' ').filter(|w| !w.is_empty()) {
            match word {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                _ => return Err(AuthorizeError::invalid_request("unsupported prompt value")),
            }
        }
        if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
            return Err(AuthorizeError::invalid_request(
                "prompt=none cannot be combined with other values",
            ));
        }
        Ok(prompt)
    }
}

/// A validated authorization request, as stored in an interaction while the person signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub scope: Scope,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub prompt: Prompt,
    /// OIDC Core §3.1.2.1, in seconds: at most [`MAX_AGE_CEILING_SECS`] once parsed.
    pub max_age: Option<i64>,
    /// The raw `id_token_hint`, verified by the endpoint against the tenant's keys.
    pub id_token_hint: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub acr_values: Option<String>,
    /// OIDC Core §5.5 `claims`: parsed, accepted (essential claims are served when held).
    pub claims: Option<Value>,
    pub display: Option<String>,
}

/// The longest value accepted for each parameter a request keeps while the person signs in
/// (bytes). Every other parameter kept is bounded by what it must match (redirect URI, scope,
/// PKCE challenge) or by its grammar. Generous for real clients — a `state` carrying a return
/// address, an ID token with many claims — and small enough that an anonymous request cannot
/// make the server hold much ([`crate::interaction::MAX_STORED_BYTES`]).
/// The longest `max_age` kept: a century, longer than any session lives, so a larger value
/// asks for nothing more and is read as this one. Bounding it here keeps every later
/// `auth_time + max_age` within what a timestamp holds.
pub const MAX_AGE_CEILING_SECS: i64 = 100 * 366 * 24 * 3600;

/// OIDC Core §3.1.2.1 `max_age`: decimal digits only (no sign, no spaces), any length,
/// capped at [`MAX_AGE_CEILING_SECS`].
fn parse_max_age(raw: &str) -> Option<i64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: a parse failure can only be an overflow, which the cap covers too.
    Some(
        raw.parse::<i64>()
            .map_or(MAX_AGE_CEILING_SECS, |v| v.min(MAX_AGE_CEILING_SECS)),
    )
}

pub const MAX_PARAM_BYTES: [(&str, usize); 8] = [
    ("state", 2048),
    ("nonce", 512),
    ("login_hint", 256),
    ("ui_locales", 128),
    ("acr_values", 256),
    ("display", 16),
    ("claims", 4096),
    ("id_token_hint", 8192),
];

/// `Some(limit)` when `state` is longer than it may be.
pub fn oversized_state(state: &str) -> Option<usize> {
    MAX_PARAM_BYTES
        .iter()
        .find(|(name, _)| *name == "state")
        .map(|(_, max)| *max)
        .filter(|max| state.len() > *max)
}

/// The first parameter of `params` longer than it may be, with its limit.
pub fn oversized(params: &FormParams) -> Option<(&'static str, usize)> {
    MAX_PARAM_BYTES
        .iter()
        .find(|(name, max)| params.get(name).is_some_and(|v| v.len() > *max))
        .copied()
}

/// A request that names no known client or no registered redirect URI: shown on an error page,
/// never redirected. RFC 6749 §4.1.2.1
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted(pub &'static str);

/// RFC 6749 §3.1.2.3: the redirect URI, matched exactly; when omitted, the client's only one.
pub fn redirect_uri(client: &Client, params: &FormParams) -> Result<String, Untrusted> {
    match params.get("redirect_uri") {
        Some(sent) if client.redirect_uris.iter().any(|r| r.matches(sent)) => Ok(sent.to_owned()),
        Some(_) => Err(Untrusted(
            "the redirect_uri is not registered for this client",
        )),
        None => match client.redirect_uris.as_slice() {
            [only] => Ok(only.as_str().to_owned()),
            _ => Err(Untrusted(
                "the request must name one of the client's redirect URIs",
            )),
        },
    }
}

/// Where errors go once the redirect URI is known: the requested mode if valid, else the
/// default of the response type, else the query.
pub fn error_mode(params: &FormParams) -> ResponseMode {
    params
        .get("response_mode")
        .and_then(ResponseMode::parse)
        .or_else(|| {
            params
                .get("response_type")
                .and_then(ResponseType::parse)
                .map(|r| r.default_mode())
        })
        .unwrap_or(ResponseMode::Query)
}

fn err(code: ErrorCode, description: &'static str) -> AuthorizeError {
    AuthorizeError::new(code, description)
}

/// Validates everything after the client and redirect URI. `pkce_required` is the tenant's
/// setting. RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2.2, §3.2.2.1; RFC 7636 §4.3
pub fn validate(
    client: &Client,
    redirect_uri: String,
    params: &FormParams,
    pkce_required: bool,
) -> Result<AuthorizationRequest, AuthorizeError> {
    use ErrorCode::*;
    if let Some((name, max)) = oversized(params) {
        return Err(AuthorizeError::invalid_request(format!(
            "the {name} parameter is longer than {max} bytes"
        )));
    }
    if params.get("request").is_some() {
        return Err(err(
            RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(err(RequestUriNotSupported, "request_uri is not supported"));
    }
    if params.get("registration").is_some() {
        return Err(err(
            RegistrationNotSupported,
            "the registration parameter is not supported",
        ));
    }
    let raw_type = params
        .get("response_type")
        .ok_or_else(|| err(InvalidRequest, "missing parameter response_type"))?;
    let response_type = ResponseType::parse(raw_type).ok_or_else(|| {
        err(
            UnsupportedResponseType,
            "the response_type is not supported",
        )
    })?;
    let response_mode = match params.get("response_mode") {
        None => response_type.default_mode(),
        Some(m) => ResponseMode::parse(m)
            .ok_or_else(|| err(InvalidRequest, "unsupported response_mode"))?,
    };
    // Multiple Response Types §2.1: tokens never travel in the query string.
    if response_mode == ResponseMode::Query && (response_type.id_token || response_type.token) {
        return Err(err(
            InvalidRequest,
            "response_mode=query cannot carry tokens",
        ));
    }
    if !response_type
        .grants()
        .iter()
        .all(|g| client.grant_types.contains(g))
    {
        return Err(err(
            UnauthorizedClient,
            "the client may not use this response_type",
        ));
    }
    let scope = match params.get("scope") {
        Some(raw) => Scope::parse(raw).map_err(|_| err(InvalidScope, "the scope is malformed"))?,
        // The admin scope is granted on request only (`admin_api`).
        None => crate::admin_api::without_admin(&client.scopes),
    };
    if !scope.is_subset(&client.scopes) {
        return Err(err(
            InvalidScope,
            "the requested scope exceeds what the client may be granted",
        ));
    }
    if response_type.id_token && !scope.contains("openid") {
        return Err(err(
            InvalidScope,
            "response types with id_token need the openid scope",
        ));
    }
    let nonce = params.get("nonce").map(str::to_owned);
    // OIDC Core §3.2.2.1 / §3.3.2.11: implicit and hybrid requests need a nonce.
    if response_type.id_token && nonce.is_none() {
        return Err(err(
            InvalidRequest,
            "a nonce is required when an id_token is returned from the authorization endpoint",
        ));
    }
    let code_challenge = CodeChallenge::from_request(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    )
    .map_err(|e| AuthorizeError::invalid_request(e.to_string()))?;
    if response_type.code && code_challenge.is_none() && (client.public || pkce_required) {
        return Err(err(
            InvalidRequest,
            "PKCE (code_challenge with method S256) is required",
        ));
    }
    let prompt = Prompt::parse(params.get("prompt"))?;
    let max_age = params
        .get("max_age")
        .map(|m| {
            parse_max_age(m)
                .ok_or_else(|| err(InvalidRequest, "max_age must be a non-negative integer"))
        })
        .transpose()?;
    let claims = params
        .get("claims")
        .map(|c| {
            serde_json::from_str::<Value>(c)
                .ok()
                .filter(Value::is_object)
        })
        .map(|c| c.ok_or_else(|| err(InvalidRequest, "the claims parameter must be a JSON object")))
        .transpose()?;
    let owned = |name: &str| params.get(name).map(str::to_owned);
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri,
        response_type,
        response_mode,
        state: owned("state"),
        scope,
        nonce,
        code_challenge,
        prompt,
        max_age,
        id_token_hint: owned("id_token_hint"),
        login_hint: owned("login_hint"),
        ui_locales: owned("ui_locales"),
        acr_values: owned("acr_values"),
        claims,
        display: owned("display"),
    })
}
