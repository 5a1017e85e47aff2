//! keyward-admin-api: the actix service for the admin REST API under `/admin/api/v1`, with
//! its OpenAPI document generated from handler attributes. Handlers are thin: extract, call a
//! keyward-admin use-case, map the result through keyward-http.
//!
//! Status: arrives with the admin-plane issue.
