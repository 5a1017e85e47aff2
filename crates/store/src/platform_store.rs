//! `PlatformStore` on SQL: the `platform_meta` key/value table.

use async_trait::async_trait;
use keyward_core::{PlatformStore, StoreError};
use sea_orm::{ActiveValue::Set, EntityTrait, TryInsertResult};

use crate::connect::{SqlStore, map_db_err};
use crate::entity::platform_meta;

#[async_trait]
impl PlatformStore for SqlStore {
    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = platform_meta::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(row.map(|r| r.value))
    }

    /// One `INSERT .. ON CONFLICT DO NOTHING`: the database decides the race, and the row
    /// count tells this caller whether it won. A read-then-write would let both nodes win.
    async fn put_meta_if_absent(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let row = platform_meta::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(value.to_owned()),
        };
        let done = platform_meta::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(match done {
            TryInsertResult::Inserted(rows) => rows > 0,
            TryInsertResult::Conflicted | TryInsertResult::Empty => false,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(map_db_err)
    }
}
