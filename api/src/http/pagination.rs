//! Keyset pagination: `?limit=&cursor=` in, `{items, next_cursor}` out. Cursors are opaque
//! (base64url of the last row's sort key) so that the sort key may change without breaking clients.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; omit for the first page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<u32, ApiError> {
        limit_within(self.limit, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// The id after which the page starts, decoded from the cursor.
    pub fn after_id(&self) -> Result<Option<Uuid>, ApiError> {
        self.cursor.as_deref().map(decode_id_cursor).transpose()
    }
}

pub fn encode_id_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_id_cursor(cursor: &str) -> Result<Uuid, ApiError> {
    URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|bytes| Uuid::from_slice(&bytes).ok()).ok_or_else(|| {
        ApiError::bad_request("invalid_cursor")
            .detail("分页游标无效，请从第一页重新开始", "The cursor is invalid; start again from the first page")
    })
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    /// Builds a page from rows fetched with `limit + 1`, so the presence of a next page is known
    /// without a count query.
    pub fn from_rows<R>(rows: Vec<R>, limit: u32, id_of: impl Fn(&R) -> Uuid, to_item: impl Fn(R) -> T) -> Page<T> {
        let (rows, more) = split(rows, limit);
        let next_cursor = if more { rows.last().map(|r| encode_id_cursor(id_of(r))) } else { None };
        Page { items: rows.into_iter().map(to_item).collect(), next_cursor }
    }

    /// A page of items already built (e.g. with further queries) from the rows [`split`] kept.
    pub fn after_split(items: Vec<T>, more: bool, id_of: impl Fn(&T) -> Uuid) -> Page<T> {
        let next_cursor = if more { items.last().map(|i| encode_id_cursor(id_of(i))) } else { None };
        Page { items, next_cursor }
    }
}

/// A `limit` parameter from 1 to `max`, `default` when absent (422 `range` otherwise).
pub fn limit_within(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field(
            "limit",
            "range",
            format!("每页条数须在 1 到 {max} 之间"),
            format!("limit must be between 1 and {max}"),
        )),
    }
}

/// Splits rows fetched with `limit + 1` into the page's rows and whether another page follows.
pub fn split<R>(mut rows: Vec<R>, limit: u32) -> (Vec<R>, bool) {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    (rows, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_garbage_is_refused() {
        let id = Uuid::now_v7();
        let params = PageParams { limit: None, cursor: Some(encode_id_cursor(id)) };
        assert_eq!(params.after_id().unwrap(), Some(id));
        let bad = PageParams { limit: None, cursor: Some("not a cursor".into()) };
        assert_eq!(bad.after_id().unwrap_err().code, "invalid_cursor");
    }

    #[test]
    fn limit_is_capped() {
        assert_eq!(PageParams { limit: None, cursor: None }.limit().unwrap(), 50);
        assert_eq!(PageParams { limit: Some(200), cursor: None }.limit().unwrap(), 200);
        assert!(PageParams { limit: Some(201), cursor: None }.limit().is_err());
        assert!(PageParams { limit: Some(0), cursor: None }.limit().is_err());
    }
}
