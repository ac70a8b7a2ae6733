//! Issue 11: the public's whole-text hits, first looked for among the newest documents and
//! interpretations.
//!
//! The whole-text query runs when title hits do not fill a page, and on the GIN index its cost
//! follows the matches: every match was fetched, its phrase checked against its vector and sorted
//! by date, so a phrase found in a third of the bodies and in no title (专款专用) took 270–285 ms at
//! 100,000 documents (1.4 s on a slower database); with the phrase checked only on the candidates a
//! page shows (`search::load_hits`), sorting the candidates still takes tens of milliseconds. Such
//! a phrase is also found among the newest rows at once. So each kind (documents, interpretations)
//! is first walked newest first: its [`SAMPLE`] newest public rows, and when one of them is a hit
//! up to [`TEXT_WALK`], the vector of each row that passes the filters probed by its id, stopping
//! at a page's worth of hits. The walks' hits are the answer when they are certainly the newest: a
//! kind whose walk filled the page or read all its rows is complete, and a kind cut short at its
//! edge (the last row it read) hides only rows older than that edge, which matter only when the
//! merged page reaches past it. Otherwise the caller asks the GIN index, as before; a word found in
//! no body then pays for the documents' sample too (the README's fixes table has the figures).
//!
//! The kinds are read by two statements, as the title and whole-text queries already are: a
//! publication between them can shape one page from two moments (accepted, as in `search`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int4, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::kept::Kept;
use crate::search::{
    filter_rule, text_probe, Hit, SearchFilter, DOCUMENT_HIT, INTERPRETATION_HIT, INTERPRETATION_TEXT, PUBLIC,
};

/// Rows of each kind a walk reads before it gives up.
pub const TEXT_WALK: i64 = 300;
/// The newest rows of a kind whose probes decide whether to walk on: a walk finds none of a rare
/// word's hits among them and stops there.
pub const SAMPLE: i64 = 32;

/// One row of a walk's statement: a hit (all `None` when the walk found none) and the walk's
/// edge (see [`Walk::edge`]).
#[derive(QueryableByName)]
struct WalkRow {
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    document_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    doc_number: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    organization_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    published_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bool>)]
    title_hit: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    text: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    edge_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    edge_id: Option<Uuid>,
}

/// What one kind's walk found.
#[derive(Debug, Clone)]
struct Walk {
    /// Its hits, newest first.
    hits: Vec<Hit>,
    /// The last row it read (the kind's [`SAMPLE`]-th or [`TEXT_WALK`]-th newest), `None` when
    /// the kind has fewer rows, or when the hits filled the page (then it is not needed). Rows
    /// after it were left unread (when it is the kind's last row there are none, and the check
    /// is merely cautious).
    edge: Option<(DateTime<Utc>, Uuid)>,
}

impl Walk {
    /// Whether its hits are certainly the kind's newest `wanted`: it found as many, or read all
    /// the kind's rows.
    fn is_complete(&self, wanted: usize) -> bool {
        self.edge.is_none() || self.hits.len() >= wanted
    }
}

/// The newest-first key of the public's hits (a published document or interpretation always has
/// a publication time: the rule `documents_check1` of the `documents_rules` trigger and the CHECK
/// constraint `interpretations_check1`).
fn key(hit: &Hit) -> (Option<DateTime<Utc>>, Uuid) {
    (hit.published_at, hit.id)
}

/// The newest `wanted` hits of the walks together, when they are certainly the newest of all:
/// every kind either found `wanted` hits, read all its rows, or hides only rows older than the
/// last hit kept. `None` when the GIN index must be asked.
fn exact_newest(walks: Vec<Walk>, wanted: usize) -> Option<Vec<Hit>> {
    let edges: Vec<(DateTime<Utc>, Uuid)> =
        walks.iter().filter(|w| !w.is_complete(wanted)).filter_map(|w| w.edge).collect();
    let mut hits: Vec<Hit> = walks.into_iter().flat_map(|w| w.hits).collect();
    hits.sort_by_key(|hit| std::cmp::Reverse(key(hit)));
    hits.truncate(wanted);
    if edges.is_empty() {
        return Some(hits);
    }
    let last = hits.last().filter(|_| hits.len() == wanted)?;
    // Rows a walk left unread come after its edge in the newest-first order; the page is sure
    // when its last hit comes before (or is) every such edge.
    edges.iter().all(|&(at, id)| key(last) >= (Some(at), id)).then_some(hits)
}

/// The newest `wanted` whole-text hits of the public, from walks of the newest rows of each kind,
/// or `None` when they cannot be sure (see the module). With `with_text`, each hit that is not a
/// title hit carries its text, as the GIN path's do on a first page.
pub async fn newest_text_hits(
    conn: &mut AsyncPgConnection,
    tsquery: &str,
    filter: &SearchFilter,
    wanted: i64,
    with_text: bool,
) -> StoreResult<Option<Vec<Hit>>> {
    // More hits than a walk reads rows: it could never be sure.
    if wanted > TEXT_WALK {
        return Ok(None);
    }
    let documents = walk(conn, &DOCUMENTS, tsquery, filter, wanted, with_text).await?;
    // A page the documents' walk left short before its edge is sure only if interpretations
    // newer than that edge fill it, which they hardly do (policy documents alone have them; a
    // tenth as many as documents in the bench's county): not worth their walk.
    if !documents.is_complete(wanted as usize) {
        return Ok(None);
    }
    let interpretations = walk(conn, &INTERPRETATIONS, tsquery, filter, wanted, with_text).await?;
    Ok(exact_newest(vec![documents, interpretations], wanted as usize))
}

/// The parts of one kind's walk.
struct Kind {
    /// The alias of the table whose rows are walked, in `rows`.
    table: &'static str,
    /// The hit's columns but its text (the GIN path's); the walk reads them and `formed_on`, for
    /// the filters, of each row.
    hit: &'static str,
    /// The kind's public rows (with their document `d`), newest first, whatever the filters: the
    /// walk's bound is a number of rows read, not of rows that pass.
    rows: &'static str,
    /// The kind's whole-text vectors, probed for each walked row `w`.
    vectors: &'static str,
    /// The text of a hit `h`.
    text: &'static str,
}

const DOCUMENTS: Kind = Kind {
    table: "d",
    hit: DOCUMENT_HIT,
    rows: "FROM documents d WHERE {PUBLIC} ORDER BY d.published_at DESC, d.id DESC",
    vectors: "document_text_vectors",
    text: "(SELECT b.body FROM documents b WHERE b.id = h.id)",
};

const INTERPRETATIONS: Kind = Kind {
    table: "i",
    hit: INTERPRETATION_HIT,
    rows: "FROM interpretations i JOIN documents d ON d.id = i.document_id \
        WHERE i.status = 'published' AND {PUBLIC} ORDER BY i.published_at DESC, i.id DESC",
    vectors: "interpretation_text_vectors",
    text: "(SELECT {INTERPRETATION_TEXT} FROM interpretations i WHERE i.id = h.id)",
};

impl Kind {
    /// The statement: its hits (the walk, each row that passes the filters probed, stopped at
    /// `$5` hits; the walk a subquery whose order PostgreSQL knows, so that it stops early, and
    /// whose LIMIT keeps the filters out of it) beside its edge (the same rows' last, read
    /// without probing, when the hits do not fill the page). One statement, so that all its
    /// parts see the same rows.
    fn sql(&self, with_text: bool) -> String {
        let rows = self.rows.replace("{PUBLIC}", PUBLIC);
        let filters = filter_rule("w.organization_id", "w.category", "w.formed_on");
        let text = if with_text {
            let text = self.text.replace("{INTERPRETATION_TEXT}", INTERPRETATION_TEXT);
            format!("CASE WHEN h.title_hit THEN '' ELSE {text} END")
        } else {
            "''".to_owned()
        };
        // Whether to walk, decided once: when the first SAMPLE rows hold a hit. Otherwise the
        // walk reads nothing more, the edge is the SAMPLE-th row, and a rare word costs SAMPLE
        // probes, not TEXT_WALK. The walk's edge is read only when its hits fall short of the
        // page (it matters only then; for interpretations it is 300 rows and their documents).
        // Each part that may be skipped sits behind a one-time filter (a join condition would
        // still have run it). The limits and offsets stay constants: with one PostgreSQL could
        // not know, it planned the edge as a parallel scan, about 7 ms of starting workers.
        format!(
            "WITH sample AS MATERIALIZED ( \
               SELECT EXISTS (SELECT FROM (SELECT {columns} {rows} LIMIT {SAMPLE}) w \
                              WHERE {filters} AND {probe}) AS walks), \
             hits AS MATERIALIZED ( \
               SELECT w.* FROM (SELECT {columns} {rows} LIMIT {TEXT_WALK}) w \
               WHERE (SELECT walks FROM sample) AND {filters} AND {probe} \
               ORDER BY w.published_at DESC, w.id DESC LIMIT $5) \
             SELECT h.kind, h.id, h.document_id, h.title, h.doc_number, h.organization_id, h.category, h.status, \
                    h.published_at, h.title_hit, {text} AS text, \
                    coalesce(e.published_at, es.published_at) AS edge_at, coalesce(e.id, es.id) AS edge_id \
             FROM sample s \
             LEFT JOIN (SELECT x.* FROM (SELECT {table}.published_at, {table}.id {rows} OFFSET {sample_edge} LIMIT 1) x \
                        WHERE NOT (SELECT walks FROM sample)) es ON true \
             LEFT JOIN (SELECT x.* FROM (SELECT {table}.published_at, {table}.id {rows} OFFSET {walk_edge} LIMIT 1) x \
                        WHERE (SELECT walks FROM sample) AND (SELECT count(*) FROM hits) < $5) e ON true \
             LEFT JOIN hits h ON true \
             ORDER BY h.published_at DESC, h.id DESC",
            table = self.table,
            columns = format!("{}, d.formed_on", self.hit),
            probe = text_probe(self.vectors, "w.id"),
            sample_edge = SAMPLE - 1,
            walk_edge = TEXT_WALK - 1,
        )
    }
}

/// One kind's walk.
async fn walk(
    conn: &mut AsyncPgConnection,
    kind: &Kind,
    tsquery: &str,
    filter: &SearchFilter,
    wanted: i64,
    with_text: bool,
) -> StoreResult<Walk> {
    // Kept prepared with its values bound: its text is one of four, and its plan (the
    // newest-first index, a probe by id a row) is right for every word.
    let statement = diesel::sql_query(kind.sql(with_text))
        .bind::<Text, _>(tsquery)
        .bind::<Nullable<SqlUuid>, _>(filter.organization_id)
        .bind::<Nullable<Text>, _>(filter.category.map(|c| c.as_str()))
        .bind::<Nullable<Int4>, _>(filter.year)
        .bind::<Int8, _>(wanted);
    let rows: Vec<WalkRow> = Kept(statement).load(conn).await?;
    let edge = <[WalkRow]>::first(&rows).and_then(|row| Some((row.edge_at?, row.edge_id?)));
    let hits = rows.into_iter().filter_map(WalkRow::into_hit).collect();
    Ok(Walk { hits, edge })
}

impl WalkRow {
    fn into_hit(self) -> Option<Hit> {
        Some(Hit {
            kind: self.kind?,
            id: self.id?,
            document_id: self.document_id?,
            title: self.title?,
            doc_number: self.doc_number,
            organization_id: self.organization_id?,
            category: self.category?,
            status: self.status?,
            published_at: self.published_at,
            title_hit: self.title_hit?,
            text: self.text.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A hit published `second` seconds into the day, with the id `id`.
    fn hit(kind: &str, second: u32, id: u128) -> Hit {
        Hit {
            kind: kind.into(),
            id: Uuid::from_u128(id),
            document_id: Uuid::from_u128(id),
            title: String::new(),
            doc_number: None,
            organization_id: Uuid::nil(),
            category: String::new(),
            status: "published".into(),
            published_at: Some(at(second)),
            title_hit: false,
            text: String::new(),
        }
    }

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap() + chrono::Duration::seconds(second.into())
    }

    fn ids(hits: &Option<Vec<Hit>>) -> Option<Vec<u128>> {
        hits.as_ref().map(|hits| hits.iter().map(|h| h.id.as_u128()).collect())
    }

    #[test]
    fn walks_that_filled_the_page_or_read_every_row_are_merged_newest_first() {
        // Documents filled the page (3 wanted); interpretations had fewer rows than the walk.
        let documents = Walk {
            hits: vec![hit("document", 50, 5), hit("document", 40, 4), hit("document", 30, 3)],
            edge: Some((at(10), Uuid::from_u128(1))),
        };
        let interpretations = Walk { hits: vec![hit("interpretation", 45, 9)], edge: None };
        assert_eq!(ids(&exact_newest(vec![documents, interpretations], 3)), Some(vec![5, 9, 4]));
        // Both read every row and found fewer hits than wanted: all of them.
        let documents = Walk { hits: vec![hit("document", 30, 3)], edge: None };
        let interpretations = Walk { hits: vec![], edge: None };
        assert_eq!(ids(&exact_newest(vec![documents, interpretations], 3)), Some(vec![3]));
    }

    #[test]
    fn a_walk_cut_short_counts_only_when_the_page_ends_before_its_edge() {
        let documents = || Walk { hits: vec![hit("document", 50, 5), hit("document", 40, 4)], edge: None };
        // Interpretations walked down to second 41 and found nothing there; an unread one, older
        // than 41, may still be newer than the page's last hit at 40.
        let cut_above = Walk { hits: vec![], edge: Some((at(41), Uuid::from_u128(7))) };
        assert_eq!(ids(&exact_newest(vec![documents(), cut_above], 2)), None);
        // Walked down to second 39: every unread interpretation comes after the page's last hit.
        let cut_below = Walk { hits: vec![], edge: Some((at(39), Uuid::from_u128(7))) };
        assert_eq!(ids(&exact_newest(vec![documents(), cut_below], 2)), Some(vec![5, 4]));
        // At the same second the ids decide, as in the order of the page.
        let same_second_lower_id = Walk { hits: vec![], edge: Some((at(40), Uuid::from_u128(3))) };
        assert_eq!(ids(&exact_newest(vec![documents(), same_second_lower_id], 2)), Some(vec![5, 4]));
        let same_second_higher_id = Walk { hits: vec![], edge: Some((at(40), Uuid::from_u128(6))) };
        assert_eq!(ids(&exact_newest(vec![documents(), same_second_higher_id], 2)), None);
        // The edge is itself the page's last hit: nothing unread comes before it.
        let edge_is_last = Walk { hits: vec![hit("interpretation", 40, 8)], edge: Some((at(40), Uuid::from_u128(8))) };
        assert_eq!(
            ids(&exact_newest(vec![Walk { hits: vec![hit("document", 50, 5)], edge: None }, edge_is_last], 2)),
            Some(vec![5, 8])
        );
    }

    #[test]
    fn a_page_not_filled_while_a_walk_was_cut_short_goes_to_the_index() {
        let documents = Walk { hits: vec![hit("document", 50, 5)], edge: Some((at(10), Uuid::from_u128(1))) };
        let interpretations = Walk { hits: vec![], edge: None };
        assert_eq!(ids(&exact_newest(vec![documents, interpretations], 2)), None);
        // Found none at all and cut short: the word may be anywhere older.
        let nothing = || Walk { hits: vec![], edge: Some((at(10), Uuid::from_u128(1))) };
        assert_eq!(ids(&exact_newest(vec![nothing(), nothing()], 1)), None);
    }
}
