//! OpenID Connect Back-Channel Logout 1.0 §2.4: the Logout Token a client is sent when a
//! browser session it got tokens in ends — a JWT of `typ` `logout+jwt`, signed as the
//! client's ID tokens are, naming the session (`sid`) and, unless the client sees pairwise
//! subjects, the user (`sub`). Delivering it is the HTTP side's business.

use chrono::{DateTime, Utc};
use keyward_core::UserId;
use keyward_core::secret::try_random_token;
use serde_json::{Value, json};

use crate::client::Client;
use crate::directory::TenantEntry;
use crate::error::OAuthError;
use crate::id_token;
use crate::keyring::TenantKeys;
use crate::token_service::internal;

/// §2.4 `events` member name.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// §2.4 the JWT `typ` of a Logout Token.
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
/// How long a Logout Token is valid.
const LOGOUT_TOKEN_TTL_SECS: i64 = 120;

/// §2.4: iss, aud, iat, exp, jti, events, sid, and sub unless the client is pairwise.
pub fn mint(
    tenant: &TenantEntry,
    client: &Client,
    keys: &TenantKeys,
    sid: &str,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<String, OAuthError> {
    let signer = id_token::signer(tenant, client, keys)?;
    let jti = try_random_token(16).map_err(|e| internal("a logout token id", e))?;
    let iat = now.timestamp();
    let mut claims = json!({
        "iss": tenant.issuer,
        "aud": client.client_id.as_str(),
        "iat": iat,
        "exp": iat + LOGOUT_TOKEN_TTL_SECS,
        "jti": jti,
        "sid": sid,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    // A client that sees a pairwise `sub` gets `sid` only.
    if !client.is_pairwise()
        && let Value::Object(map) = &mut claims
    {
        map.insert("sub".to_owned(), Value::String(user.to_string()));
    }
    signer
        .sign(LOGOUT_TOKEN_TYP, &claims)
        .map_err(|e| internal("signing a logout token", e))
}
