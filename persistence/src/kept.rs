//! Issue 11: statements diesel would not keep prepared, kept by their text (the lifecycle's
//! UPDATEs; the searches `search_plans` admits, as raw SQL).
//!
//! diesel never keeps an UPDATE prepared (a changeset of optional fields can take many shapes), so
//! each lifecycle step's UPDATE … RETURNING, with the document's every column, was parsed, analysed
//! and planned on every run: about 9% of the lifecycle's database time (pg_stat_statements at one
//! worker, on the slower machine of the README). [`Kept`] marks a statement whose text the code
//! fixes (no `Option<Eq<…>>` field, which diesel leaves out when `None`; `column.eq(Option<T>)`
//! always renders the same) as safe to keep; diesel then
//! keeps it per connection, keyed by its text and its binds' types, so a connection holds one
//! per call site.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

/// `statement`, kept prepared on its connection. Only for statements whose text is the same on
/// every run of a call site, so that what a connection keeps stays bounded.
pub struct Kept<Q>(pub Q);

// Not static, so that diesel keys each by its text: a static `()` would give every `Kept` one key.
impl<Q> QueryId for Kept<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Kept<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Kept<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}
