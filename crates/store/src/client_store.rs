//! `ClientStore` on SQL: the `clients` table, keyed by (tenant, client id). Lists of redirect
//! URIs and grant types are JSON arrays of their spec strings; scopes are the RFC 6749 §3.3
//! space-delimited string. Each value is parsed again on the way out, so a row edited by hand
//! into something invalid surfaces as `Corrupt` instead of reaching the protocol code.

use async_trait::async_trait;
use keyward_core::{
    ClientId, DisplayName, GrantType, Page, PageRequest, RedirectUri, Scope, StoreError, TenantId,
};
use keyward_oauth::{Client, ClientStore};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use crate::connect::{DIRECTORY_VERSION_KEY, SqlStore, corrupt, map_db_err};
use crate::entity::client;

const TABLE: &str = "clients";

fn strings(values: impl IntoIterator<Item = String>) -> Value {
    Value::Array(values.into_iter().map(Value::String).collect())
}

/// Parses a JSON array of strings, each with `parse`.
fn parse_list<T, E: std::fmt::Display>(
    column: &str,
    json: Value,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, StoreError> {
    let items: Vec<String> =
        serde_json::from_value(json).map_err(|e| corrupt(TABLE, format!("{column}: {e}")))?;
    items
        .iter()
        .map(|s| parse(s).map_err(|e| corrupt(TABLE, format!("{column}: {e}"))))
        .collect()
}

fn to_domain(row: client::Model) -> Result<Client, StoreError> {
    Ok(Client {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        client_id: ClientId::parse(&row.client_id).map_err(|e| corrupt(TABLE, e))?,
        name: DisplayName::parse(&row.name).map_err(|e| corrupt(TABLE, e))?,
        secret_hash: row.secret_hash,
        redirect_uris: parse_list("redirect_uris", row.redirect_uris, RedirectUri::parse)?,
        post_logout_redirect_uris: parse_list(
            "post_logout_redirect_uris",
            row.post_logout_redirect_uris,
            RedirectUri::parse,
        )?,
        grant_types: parse_list("grant_types", row.grant_types, str::parse::<GrantType>)?,
        scopes: Scope::parse(&row.scopes).map_err(|e| corrupt(TABLE, e))?,
        auth_method: row.auth_method.parse().map_err(|e| corrupt(TABLE, e))?,
        public: row.public,
        first_party: row.first_party,
        settings: serde_json::from_value(row.settings)
            .map_err(|e| corrupt(TABLE, format!("settings: {e}")))?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The columns an update replaces, shared with create so the two cannot drift apart.
struct Columns {
    redirect_uris: Value,
    post_logout_redirect_uris: Value,
    grant_types: Value,
    settings: Value,
}

impl Columns {
    fn of(c: &Client) -> Result<Self, StoreError> {
        let uris = |list: &[RedirectUri]| strings(list.iter().map(|u| u.as_str().to_owned()));
        Ok(Self {
            redirect_uris: uris(&c.redirect_uris),
            post_logout_redirect_uris: uris(&c.post_logout_redirect_uris),
            grant_types: strings(c.grant_types.iter().map(|g| g.as_str().to_owned())),
            settings: serde_json::to_value(&c.settings).map_err(|e| {
                StoreError::Backend(format!("client settings do not serialise: {e}"))
            })?,
        })
    }
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn create(&self, c: &Client) -> Result<(), StoreError> {
        let cols = Columns::of(c)?;
        let row = client::ActiveModel {
            tenant_id: Set(c.tenant_id.as_uuid()),
            client_id: Set(c.client_id.as_str().to_owned()),
            name: Set(c.name.as_str().to_owned()),
            secret_hash: Set(c.secret_hash.clone()),
            redirect_uris: Set(cols.redirect_uris),
            post_logout_redirect_uris: Set(cols.post_logout_redirect_uris),
            grant_types: Set(cols.grant_types),
            scopes: Set(c.scopes.to_string()),
            auth_method: Set(c.auth_method.as_str().to_owned()),
            public: Set(c.public),
            first_party: Set(c.first_party),
            settings: Set(cols.settings),
            created_at: Set(c.created_at),
            updated_at: Set(c.updated_at),
        };
        client::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        self.count_change(DIRECTORY_VERSION_KEY).await
    }

    async fn get(&self, tenant: TenantId, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let row = client::Entity::find()
            .filter(client::Column::TenantId.eq(tenant.as_uuid()))
            .filter(client::Column::ClientId.eq(id.as_str()))
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        row.map(to_domain).transpose()
    }

    async fn list(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Client>, StoreError> {
        let mut select = client::Entity::find()
            .filter(client::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_asc(client::Column::ClientId);
        if let Some(after) = &page.after {
            select = select.filter(client::Column::ClientId.gt(after.as_str()));
        }
        let rows = select
            .limit(page.limit.saturating_add(1))
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        let clients = rows
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(clients, page.limit, |c| {
            c.client_id.as_str().to_owned()
        }))
    }

    async fn update(&self, c: &Client) -> Result<(), StoreError> {
        let cols = Columns::of(c)?;
        let done = client::Entity::update_many()
            .col_expr(client::Column::Name, Expr::value(c.name.as_str()))
            .col_expr(
                client::Column::SecretHash,
                Expr::value(c.secret_hash.clone()),
            )
            .col_expr(
                client::Column::RedirectUris,
                Expr::value(cols.redirect_uris),
            )
            .col_expr(
                client::Column::PostLogoutRedirectUris,
                Expr::value(cols.post_logout_redirect_uris),
            )
            .col_expr(client::Column::GrantTypes, Expr::value(cols.grant_types))
            .col_expr(client::Column::Scopes, Expr::value(c.scopes.to_string()))
            .col_expr(
                client::Column::AuthMethod,
                Expr::value(c.auth_method.as_str()),
            )
            .col_expr(client::Column::Public, Expr::value(c.public))
            .col_expr(client::Column::FirstParty, Expr::value(c.first_party))
            .col_expr(client::Column::Settings, Expr::value(cols.settings))
            .col_expr(client::Column::UpdatedAt, Expr::value(c.updated_at))
            .filter(client::Column::TenantId.eq(c.tenant_id.as_uuid()))
            .filter(client::Column::ClientId.eq(c.client_id.as_str()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.count_change(DIRECTORY_VERSION_KEY).await
    }

    async fn delete(&self, tenant: TenantId, id: &ClientId) -> Result<(), StoreError> {
        let done = client::Entity::delete_many()
            .filter(client::Column::TenantId.eq(tenant.as_uuid()))
            .filter(client::Column::ClientId.eq(id.as_str()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.count_change(DIRECTORY_VERSION_KEY).await
    }
}
