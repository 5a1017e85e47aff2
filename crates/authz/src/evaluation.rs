//! The decision API for applications, shaped after the OpenID AuthZEN Authorization API 1.0
//! (§6 access evaluation, §7 access evaluations; `options.evaluations_semantic` other than
//! the default `execute_all` is not supported): "may subject S do action A on resource R"
//! → decision. Answered from the tenant's application roles and permissions only.

use casbin::{CoreApi, EnforceContext};
use keyward_core::{ParseError, TenantId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::actor::user_subject;
use crate::application::{valid_resource_id, valid_resource_type};
use crate::authorizer::Authorizer;
use crate::model::APP_CONTEXT;

/// AuthZEN §5: who asks. Only `type: "user"` with a Keyward user id is known here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
}

impl Subject {
    pub fn user(user: UserId) -> Self {
        Self {
            kind: "user".to_owned(),
            id: user.to_string(),
            properties: None,
        }
    }
}

/// AuthZEN §5: what the subject wants to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
}

impl Action {
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            properties: None,
        }
    }
}

/// AuthZEN §5: on what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
}

impl Resource {
    pub fn new(kind: &str, id: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            id: id.to_owned(),
            properties: None,
        }
    }
}

/// AuthZEN §6: one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub subject: Subject,
    pub action: Action,
    pub resource: Resource,
    /// Accepted for compatibility; decisions here depend on roles only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
}

impl Evaluation {
    pub fn new(subject: Subject, action: Action, resource: Resource) -> Self {
        Self {
            subject,
            action,
            resource,
            context: None,
        }
    }
}

/// AuthZEN §6: one answer; `context` carries the reason for a refusal of a malformed
/// question (`reason_admin`), never anything about the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub decision: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
}

impl Decision {
    fn allow(allowed: bool) -> Self {
        Self {
            decision: allowed,
            context: None,
        }
    }

    fn refuse(reason: &str) -> Self {
        Self {
            decision: false,
            context: Some(json!({ "reason_admin": { "en": reason } })),
        }
    }
}

/// One item of an AuthZEN §7 batch: anything left out comes from the request's top level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartialEvaluation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
}

/// AuthZEN §7: a batch request body, with top-level defaults for its `evaluations`. With
/// no `evaluations`, it is the single question of its top level (§6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvaluationsRequest {
    #[serde(flatten)]
    pub defaults: PartialEvaluation,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluations: Vec<PartialEvaluation>,
}

/// AuthZEN §7: the answers, in the order of the questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationsResponse {
    pub evaluations: Vec<Decision>,
}

impl EvaluationsRequest {
    /// The questions, each completed from the defaults; an incomplete one is a field error.
    pub fn into_evaluations(self) -> Result<Vec<Evaluation>, ParseError> {
        let items = if self.evaluations.is_empty() {
            vec![PartialEvaluation::default()]
        } else {
            self.evaluations
        };
        let d = self.defaults;
        items
            .into_iter()
            .map(|item| {
                Ok(Evaluation {
                    subject: item
                        .subject
                        .or_else(|| d.subject.clone())
                        .ok_or_else(|| ParseError::new("subject", "is required"))?,
                    action: item
                        .action
                        .or_else(|| d.action.clone())
                        .ok_or_else(|| ParseError::new("action", "is required"))?,
                    resource: item
                        .resource
                        .or_else(|| d.resource.clone())
                        .ok_or_else(|| ParseError::new("resource", "is required"))?,
                    context: item.context.or_else(|| d.context.clone()),
                })
            })
            .collect()
    }
}

impl Authorizer {
    /// Answers each question in `tenant`, in order. A subject, action or resource the
    /// policy cannot name is refused with a reason; an engine failure refuses too (logged).
    pub async fn evaluate(&self, tenant: TenantId, requests: &[Evaluation]) -> Vec<Decision> {
        let enforcer = self.read().await;
        let domain = tenant.to_string();
        requests
            .iter()
            .map(|request| {
                if request.subject.kind != "user" {
                    return Decision::refuse("unsupported subject type");
                }
                let Ok(user) = request.subject.id.parse::<UserId>() else {
                    return Decision::refuse("subject id is not a user id");
                };
                let resource = &request.resource;
                if !valid_resource_type(&resource.kind) || !valid_resource_id(&resource.id) {
                    return Decision::refuse("malformed resource");
                }
                let subject = user_subject(user);
                let instance = format!("{}:{}", resource.kind, resource.id);
                let answer = enforcer.enforce_with_context(
                    EnforceContext::new(APP_CONTEXT),
                    (
                        subject.as_str(),
                        domain.as_str(),
                        resource.kind.as_str(),
                        instance.as_str(),
                        request.action.name.as_str(),
                    ),
                );
                match answer {
                    Ok(allowed) => Decision::allow(allowed),
                    Err(err) => {
                        tracing::error!(error = %err, "application policy evaluation failed");
                        Decision::refuse("evaluation failed")
                    }
                }
            })
            .collect()
    }
}
