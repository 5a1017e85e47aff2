//! POST {issuer}/authz/check: the decision API for the tenant's applications, shaped after the
//! OpenID AuthZEN Authorization API 1.0 (§6 one evaluation, §7 a batch). The caller
//! authenticates as a client of the tenant, as at introspection; the answers come from
//! keyward-authz, from the tenant's application roles and permissions only. A subject is a
//! user of the issuer's tenant: any other user holds no role here and is denied.

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use keyward_authz::{EvaluationsRequest, EvaluationsResponse};
use keyward_oauth::OAuthError;

use keyward_http::oauth as oauth_response;

use crate::AuthServer;

/// A batch bound: a caller with more questions sends more requests.
pub const MAX_EVALUATIONS: usize = 100;

/// AuthZEN §6 / §7: `{subject, action, resource, context}` → `{decision}`;
/// `{..defaults, evaluations: [..]}` → `{evaluations: [{decision}, ..]}`.
pub async fn check(
    server: web::Data<AuthServer>,
    req: HttpRequest,
    tenant: web::Path<String>,
    body: Bytes,
) -> HttpResponse {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let entry = match server
        .tokens
        .authenticate_caller(&tenant, authorization)
        .await
    {
        Ok((entry, _client)) => entry,
        Err(e) => return oauth_response::error(&e, Some(&tenant)),
    };
    let (batch, questions) = match parse(&body) {
        Ok(parsed) => parsed,
        Err(e) => return oauth_response::error(&e, Some(&tenant)),
    };
    let mut decisions = server
        .authorizer
        .evaluate(entry.tenant.id, &questions)
        .await;
    if batch {
        oauth_response::json(&EvaluationsResponse {
            evaluations: decisions,
        })
    } else {
        match decisions.pop() {
            Some(decision) => oauth_response::json(&decision),
            None => oauth_response::error(&OAuthError::server_error(), None),
        }
    }
}

/// The questions of a body, and whether it was a batch (§7) rather than one question (§6).
fn parse(body: &[u8]) -> Result<(bool, Vec<keyward_authz::Evaluation>), OAuthError> {
    let request: EvaluationsRequest = serde_json::from_slice(body).map_err(|e| {
        tracing::debug!(error = %e, "unreadable decision request");
        OAuthError::invalid_request("the body must be an AuthZEN evaluation(s) request in JSON")
    })?;
    if request.evaluations.len() > MAX_EVALUATIONS {
        return Err(OAuthError::invalid_request(format!(
            "at most {MAX_EVALUATIONS} evaluations per request"
        )));
    }
    let batch = !request.evaluations.is_empty();
    let questions = request
        .into_evaluations()
        .map_err(|e| OAuthError::invalid_request(format!("{} {}", e.field, e.message)))?;
    Ok((batch, questions))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn one_question_is_not_a_batch() {
        let body = br#"{"subject":{"type":"user","id":"u"},"action":{"name":"read"},
            "resource":{"type":"document","id":"1"}}"#;
        let (batch, questions) = parse(body).unwrap();
        assert!(!batch);
        assert_eq!(questions.len(), 1);
    }

    #[test]
    fn a_batch_fills_its_items_from_the_top_level() {
        let body = br#"{"subject":{"type":"user","id":"u"},"action":{"name":"read"},
            "evaluations":[{"resource":{"type":"document","id":"1"}},
                           {"resource":{"type":"document","id":"2"},"action":{"name":"write"}}]}"#;
        let (batch, questions) = parse(body).unwrap();
        assert!(batch);
        assert_eq!(questions[1].action.name, "write");
        assert_eq!(questions[0].subject.id, "u");
    }

    #[test]
    fn malformed_or_incomplete_bodies_are_invalid_requests() {
        for body in [&b"{"[..], b"[]", br#"{"action":{"name":"read"}}"#] {
            let err = parse(body).unwrap_err();
            assert_eq!(err.status(), 400);
            assert_eq!(err.to_json()["error"], "invalid_request");
        }
    }

    #[test]
    fn oversized_batches_are_refused() {
        let item = r#"{"subject":{"type":"user","id":"u"},"action":{"name":"r"},"resource":{"type":"d","id":"1"}}"#;
        let items = vec![item; MAX_EVALUATIONS + 1].join(",");
        let body = format!(r#"{{"evaluations":[{items}]}}"#);
        assert!(parse(body.as_bytes()).is_err());
    }
}
