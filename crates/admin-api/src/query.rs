//! Query parameters shared by the lists.

use serde::Deserialize;
use utoipa::IntoParams;

/// `?limit=&after=`: at most `limit` items after the cursor `after` (the `next` of the page
/// before).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }
}
