//! Keyward's own Casbin adapter over the `casbin_rule` table, through the same sea-orm pool
//! as every other port (the published sea-orm adapter needs sea-orm 1, which would bring a
//! second database stack and pool). Rules are stored in Casbin's customary layout: the policy
//! type and up to six fields, unused fields as `''`, trailing empty fields dropped on load.

use async_trait::async_trait;
use casbin::error::AdapterError;
use casbin::{Adapter, Filter, Model};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use crate::connect::{POLICY_VERSION_KEY, SqlStore, count_up, map_db_err};
use crate::entity::casbin_rule as rule;

/// Casbin's `ptype` plus six fields `v0`..`v5`.
const FIELDS: usize = 6;

/// How many rules one `INSERT` carries when saving a whole policy; 7 parameters each stays far
/// below SQLite's and PostgreSQL's bind-parameter limits.
const SAVE_BATCH: usize = 500;

/// A Casbin [`Adapter`] persisting policies in `casbin_rule`, on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlCasbinAdapter {
    db: DatabaseConnection,
    is_filtered: bool,
}

impl SqlCasbinAdapter {
    /// Shares the store's pool; the table comes from Keyward's migrations.
    pub fn new(store: &SqlStore) -> Self {
        Self::from_connection(store.connection().clone())
    }

    pub fn from_connection(db: DatabaseConnection) -> Self {
        Self {
            db,
            is_filtered: false,
        }
    }
}

fn adapter_err(err: impl std::error::Error + Send + Sync + 'static) -> casbin::Error {
    casbin::Error::AdapterError(AdapterError(Box::new(err)))
}

fn db_err(err: sea_orm::DbErr) -> casbin::Error {
    adapter_err(map_db_err(err))
}

/// A rule as a row; rules longer than the table's six fields are refused, not truncated.
fn to_row(ptype: &str, fields: &[String]) -> casbin::Result<rule::ActiveModel> {
    if fields.len() > FIELDS {
        return Err(adapter_err(keyward_core::StoreError::Corrupt(format!(
            "a casbin rule has at most {FIELDS} fields, got {}",
            fields.len()
        ))));
    }
    let field = |i: usize| Set(fields.get(i).cloned().unwrap_or_default());
    Ok(rule::ActiveModel {
        id: NotSet,
        ptype: Set(ptype.to_owned()),
        v0: field(0),
        v1: field(1),
        v2: field(2),
        v3: field(3),
        v4: field(4),
        v5: field(5),
    })
}

/// The row's fields with trailing empty ones dropped, as Casbin's other adapters load them.
fn to_rule(row: rule::Model) -> (String, Vec<String>) {
    let mut fields = vec![row.v0, row.v1, row.v2, row.v3, row.v4, row.v5];
    while fields.last().is_some_and(String::is_empty) {
        fields.pop();
    }
    (row.ptype, fields)
}

fn field_column(i: usize) -> Option<rule::Column> {
    match i {
        0 => Some(rule::Column::V0),
        1 => Some(rule::Column::V1),
        2 => Some(rule::Column::V2),
        3 => Some(rule::Column::V3),
        4 => Some(rule::Column::V4),
        5 => Some(rule::Column::V5),
        _ => None,
    }
}

/// Matches exactly this rule (padded with `''`).
fn exact(ptype: &str, fields: &[String]) -> Condition {
    (0..FIELDS).fold(
        Condition::all().add(rule::Column::Ptype.eq(ptype)),
        |c, i| {
            let value = fields.get(i).map(String::as_str).unwrap_or_default();
            match field_column(i) {
                Some(col) => c.add(col.eq(value)),
                None => c,
            }
        },
    )
}

/// Rules of policy types starting with `sec` whose fields equal the non-empty `values`,
/// the first of them at field `offset`.
fn matching(sec: &str, offset: usize, values: &[&str]) -> Condition {
    values.iter().enumerate().fold(
        Condition::all().add(rule::Column::Ptype.starts_with(sec)),
        |c, (i, v)| match field_column(offset + i) {
            Some(col) if !v.is_empty() => c.add(col.eq(*v)),
            _ => c,
        },
    )
}

fn insert_unique(row: rule::ActiveModel) -> sea_orm::Insert<rule::ActiveModel> {
    rule::Entity::insert(row).on_conflict(
        OnConflict::columns([
            rule::Column::Ptype,
            rule::Column::V0,
            rule::Column::V1,
            rule::Column::V2,
            rule::Column::V3,
            rule::Column::V4,
            rule::Column::V5,
        ])
        .do_nothing()
        .to_owned(),
    )
}

async fn bump_policy_version(conn: &impl ConnectionTrait) -> casbin::Result<()> {
    count_up(conn, POLICY_VERSION_KEY).await.map_err(db_err)
}

/// Loads rows into the model; a row whose policy type the model does not define is skipped,
/// as Casbin's file adapter does.
fn load_rows(m: &mut dyn Model, rows: Vec<rule::Model>) {
    for row in rows {
        let (ptype, fields) = to_rule(row);
        if let Some(sec) = ptype.get(..1) {
            m.add_policy(sec, &ptype, fields);
        }
    }
}

#[async_trait]
impl Adapter for SqlCasbinAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let rows = rule::Entity::find()
            .order_by_asc(rule::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        load_rows(m, rows);
        self.is_filtered = false;
        Ok(())
    }

    async fn load_filtered_policy<'a>(
        &mut self,
        m: &mut dyn Model,
        f: Filter<'a>,
    ) -> casbin::Result<()> {
        let rows = rule::Entity::find()
            .filter(
                Condition::any()
                    .add(matching("p", 0, &f.p))
                    .add(matching("g", 0, &f.g)),
            )
            .order_by_asc(rule::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        load_rows(m, rows);
        self.is_filtered = f.p.iter().chain(f.g.iter()).any(|v| !v.is_empty());
        Ok(())
    }

    /// Replaces the whole table with the model's rules in one transaction, so readers see
    /// either the old policy or the new one.
    async fn save_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let mut rows = Vec::new();
        for sec in ["p", "g"] {
            let Some(assertions) = m.get_model().get(sec) else {
                continue;
            };
            for (ptype, assertion) in assertions {
                for fields in assertion.get_policy() {
                    rows.push(to_row(ptype, fields)?);
                }
            }
        }
        let txn = self.db.begin().await.map_err(db_err)?;
        rule::Entity::delete_many()
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let batch: Vec<_> = rows.by_ref().take(SAVE_BATCH).collect();
            rule::Entity::insert_many(batch)
                .exec_without_returning(&txn)
                .await
                .map_err(db_err)?;
        }
        bump_policy_version(&txn).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        let txn = self.db.begin().await.map_err(db_err)?;
        rule::Entity::delete_many()
            .exec(&txn)
            .await
            .map_err(db_err)?;
        bump_policy_version(&txn).await?;
        txn.commit().await.map_err(db_err)?;
        self.is_filtered = false;
        Ok(())
    }

    fn is_filtered(&self) -> bool {
        self.is_filtered
    }

    /// `false` if the rule was already stored.
    async fn add_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        let txn = self.db.begin().await.map_err(db_err)?;
        let added = insert_unique(to_row(ptype, &rule)?)
            .exec_without_returning(&txn)
            .await
            .map_err(db_err)?;
        if added == 1 {
            bump_policy_version(&txn).await?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(added == 1)
    }

    /// All or nothing: `false`, and nothing stored, if any rule was already there.
    async fn add_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        let txn = self.db.begin().await.map_err(db_err)?;
        for fields in &rules {
            let added = insert_unique(to_row(ptype, fields)?)
                .exec_without_returning(&txn)
                .await
                .map_err(db_err)?;
            if added != 1 {
                txn.rollback().await.map_err(db_err)?;
                return Ok(false);
            }
        }
        bump_policy_version(&txn).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn remove_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        let txn = self.db.begin().await.map_err(db_err)?;
        let removed = rule::Entity::delete_many()
            .filter(exact(ptype, &rule))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if removed.rows_affected > 0 {
            bump_policy_version(&txn).await?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(removed.rows_affected > 0)
    }

    /// All or nothing: `false`, and nothing removed, if any rule was missing.
    async fn remove_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        let txn = self.db.begin().await.map_err(db_err)?;
        for fields in &rules {
            let removed = rule::Entity::delete_many()
                .filter(exact(ptype, fields))
                .exec(&txn)
                .await
                .map_err(db_err)?;
            if removed.rows_affected == 0 {
                txn.rollback().await.map_err(db_err)?;
                return Ok(false);
            }
        }
        bump_policy_version(&txn).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    /// Empty values match anything, as in Casbin's management API; `false` when no value
    /// constrains the match (that would delete every rule of the type) or nothing matched.
    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        if field_index + field_values.len() > FIELDS || field_values.iter().all(String::is_empty) {
            return Ok(false);
        }
        let values: Vec<&str> = field_values.iter().map(String::as_str).collect();
        let txn = self.db.begin().await.map_err(db_err)?;
        let removed = rule::Entity::delete_many()
            .filter(rule::Column::Ptype.eq(ptype))
            .filter(matching("", field_index, &values))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if removed.rows_affected > 0 {
            bump_policy_version(&txn).await?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(removed.rows_affected > 0)
    }
}
