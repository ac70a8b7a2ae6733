//! Public reading venues (公共查阅点, seed §4.4): libraries, archives, youth and elderly centers
//! kept by the county's government office, and the published documents placed there. The public
//! read joins placements to documents through the same "published with a public attribute"
//! predicate as `public.rs`, so a document that is not public is never shown.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::documents::DocumentStatus;
use domain::oversight::ReadingVenueKind;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::{documents, reading_venue_placements as placements, reading_venues as venues};

const PUBLIC_ATTRIBUTES: [&str; 2] = ["public_release", "proactive"];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = venues)]
pub struct Venue {
    pub id: Uuid,
    pub county_id: Uuid,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub opening_hours: String,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Venue {
    pub fn kind(&self) -> StoreResult<ReadingVenueKind> {
        parse_code(&self.kind)
    }
}

#[derive(Debug, Clone)]
pub struct VenueFields {
    pub name: String,
    pub kind: ReadingVenueKind,
    pub address: String,
    pub opening_hours: String,
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    county_id: Uuid,
    fields: &VenueFields,
) -> StoreResult<Venue> {
    conn.transaction(async |conn| {
        let saved: Venue = diesel::insert_into(venues::table)
            .values((
                venues::id.eq(Uuid::now_v7()),
                venues::county_id.eq(county_id),
                venues::name.eq(&fields.name),
                venues::kind.eq(fields.kind.as_str()),
                venues::address.eq(&fields.address),
                venues::opening_hours.eq(&fields.opening_hours),
                venues::created_by.eq(actor.id),
            ))
            .returning(Venue::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("reading_venue.create", "reading_venue", saved.id)).await?;
        Ok(saved)
    })
    .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: &VenueFields,
) -> StoreResult<Venue> {
    conn.transaction(async |conn| {
        let current: Venue = venues::table.find(id).select(Venue::as_select()).for_update().first(conn).await?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        let saved: Venue = diesel::update(venues::table.find(id))
            .set((
                venues::name.eq(&fields.name),
                venues::kind.eq(fields.kind.as_str()),
                venues::address.eq(&fields.address),
                venues::opening_hours.eq(&fields.opening_hours),
                venues::version.eq(venues::version + 1),
                venues::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Venue::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("reading_venue.update", "reading_venue", id).fields([
            "name",
            "kind",
            "address",
            "opening_hours",
        ]);
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Venue> {
    Ok(venues::table.find(id).select(Venue::as_select()).first(conn).await?)
}

/// Venues of a county (all when `None`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    county: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Venue>> {
    let mut query = venues::table.select(Venue::as_select()).order(venues::id.desc()).limit(limit).into_boxed();
    if let Some(county) = county {
        query = query.filter(venues::county_id.eq(county));
    }
    if let Some(before) = before {
        query = query.filter(venues::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// A document placed at a venue, with what identifies it.
#[derive(Debug, Clone, Queryable)]
pub struct Placement {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub document_id: Uuid,
    pub placed_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub doc_number: Option<String>,
    pub title: String,
}

type PlacementColumns = (
    placements::id,
    placements::venue_id,
    placements::document_id,
    placements::placed_on,
    placements::created_at,
    documents::doc_number,
    documents::title,
);

const PLACEMENT_COLUMNS: PlacementColumns = (
    placements::id,
    placements::venue_id,
    placements::document_id,
    placements::placed_on,
    placements::created_at,
    documents::doc_number,
    documents::title,
);

/// Records that a published, public document was placed at the venue on `placed_on`.
pub async fn place(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    venue_id: Uuid,
    document_id: Uuid,
    placed_on: NaiveDate,
) -> StoreResult<Placement> {
    conn.transaction(async |conn| {
        let county: Uuid = venues::table.find(venue_id).select(venues::county_id).for_update().first(conn).await?;
        let document: Option<(Option<Uuid>, Option<DateTime<Utc>>)> = documents::table
            .filter(documents::id.eq(document_id))
            .filter(documents::status.eq(DocumentStatus::Published.as_str()))
            .filter(documents::disclosure.eq_any(PUBLIC_ATTRIBUTES))
            .select((documents::county_id, documents::published_at))
            .first(conn)
            .await
            .optional()?;
        let shanghai = chrono::FixedOffset::east_opt(8 * 3600).ok_or(StoreError::Refused("placed_on"))?;
        match document {
            None => return Err(StoreError::InvalidField { field: "document_id", code: "not_public" }),
            // A county's venues hold its own documents (seed §4.4: 本级政府及其部门的政府文件).
            Some((other, _)) if other != Some(county) => {
                return Err(StoreError::InvalidField { field: "document_id", code: "document_of_other_county" })
            }
            // Nothing is placed before it was published.
            Some((_, Some(published))) if placed_on < published.with_timezone(&shanghai).date_naive() => {
                return Err(StoreError::InvalidField { field: "placed_on", code: "before_publication" })
            }
            Some(_) => {}
        }
        let existing: i64 = placements::table
            .filter(placements::venue_id.eq(venue_id))
            .filter(placements::document_id.eq(document_id))
            .count()
            .get_result(conn)
            .await?;
        if existing > 0 {
            return Err(StoreError::Refused("placement_exists"));
        }
        let id = Uuid::now_v7();
        diesel::insert_into(placements::table)
            .values((
                placements::id.eq(id),
                placements::venue_id.eq(venue_id),
                placements::document_id.eq(document_id),
                placements::placed_on.eq(placed_on),
                placements::created_by.eq(actor.id),
            ))
            .execute(conn)
            .await?;
        let change = Change::new("reading_venue.place", "reading_venue", venue_id)
            .details(serde_json::json!({"placement_id": id, "document_id": document_id, "placed_on": placed_on}));
        audit::record(conn, actor, change).await?;
        Ok(placements::table
            .inner_join(documents::table)
            .filter(placements::id.eq(id))
            .select(PLACEMENT_COLUMNS)
            .first(conn)
            .await?)
    })
    .await
}

/// Every placement at the venue (for the office), newest first.
pub async fn placements_of(conn: &mut AsyncPgConnection, venue_id: Uuid) -> StoreResult<Vec<Placement>> {
    Ok(placements::table
        .inner_join(documents::table)
        .filter(placements::venue_id.eq(venue_id))
        .order(placements::id.desc())
        .select(PLACEMENT_COLUMNS)
        .load(conn)
        .await?)
}

/// The placements at these venues whose documents are public now, newest first.
pub async fn public_placements(conn: &mut AsyncPgConnection, venue_ids: &[Uuid]) -> StoreResult<Vec<Placement>> {
    Ok(placements::table
        .inner_join(documents::table)
        .filter(placements::venue_id.eq_any(venue_ids.to_vec()))
        .filter(documents::status.eq(DocumentStatus::Published.as_str()))
        .filter(documents::disclosure.eq_any(PUBLIC_ATTRIBUTES))
        .order(placements::id.desc())
        .select(PLACEMENT_COLUMNS)
        .load(conn)
        .await?)
}
