//! Proactive-disclosure catalogs: the area reference list, one catalog per organization whose
//! draft items are replaced as a whole (from JSON, CSV or XLSX), and publication of the draft as a
//! new immutable version. Readers of the public catalog only ever see published snapshots.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::catalogs::CatalogItemDraft;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::{catalog_areas, catalog_items, catalog_versions, catalogs, organizations};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = catalog_areas)]
pub struct CatalogArea {
    pub id: Uuid,
    pub name: String,
    /// None for the 26 standard areas.
    pub county_id: Option<Uuid>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
}

/// The standard areas and the county's local ones, standard first.
pub async fn areas(conn: &mut AsyncPgConnection, county: Option<Uuid>) -> StoreResult<Vec<CatalogArea>> {
    let mut query = catalog_areas::table.select(CatalogArea::as_select()).into_boxed();
    query = match county {
        Some(county) => query.filter(catalog_areas::county_id.is_null().or(catalog_areas::county_id.eq(county))),
        None => query.filter(catalog_areas::county_id.is_null()),
    };
    Ok(query
        .order((catalog_areas::county_id.is_not_null(), catalog_areas::position, catalog_areas::id))
        .load(conn)
        .await?)
}

/// Area name → id, for reading items written by name.
pub async fn area_ids(conn: &mut AsyncPgConnection, county: Option<Uuid>) -> StoreResult<HashMap<String, Uuid>> {
    Ok(areas(conn, county).await?.into_iter().map(|a| (a.name, a.id)).collect())
}

/// Adds a local area for the county (the seed names 宅基地审批, 税费收缴 …); a name already on the
/// list, standard or local, is refused.
pub async fn add_area(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    county: Uuid,
    name: &str,
) -> StoreResult<CatalogArea> {
    conn.transaction(async |conn| {
        if area_ids(conn, Some(county)).await?.contains_key(name) {
            return Err(StoreError::InvalidField { field: "name", code: "area_exists" });
        }
        let position: Option<i32> = catalog_areas::table
            .filter(catalog_areas::county_id.eq(county))
            .select(diesel::dsl::max(catalog_areas::position))
            .first(conn)
            .await?;
        let area: CatalogArea = diesel::insert_into(catalog_areas::table)
            .values((
                catalog_areas::id.eq(Uuid::now_v7()),
                catalog_areas::name.eq(name),
                catalog_areas::county_id.eq(county),
                catalog_areas::position.eq(position.unwrap_or(100) + 1),
            ))
            .returning(CatalogArea::as_returning())
            .get_result(conn)
            .await?;
        let change =
            Change::new("catalog_area.create", "catalog_area", area.id).details(serde_json::json!({"name": name}));
        audit::record(conn, actor, change).await?;
        Ok(area)
    })
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = catalogs)]
pub struct Catalog {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub draft_revision: i32,
    pub published_revision: Option<i32>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Catalog {
    /// The draft differs from the last published version (or nothing was published yet).
    pub fn has_unpublished_changes(&self) -> bool {
        self.published_revision != Some(self.draft_revision)
    }
}

/// One item, as kept in the draft and in every published snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogItem {
    pub position: i32,
    pub area_id: Uuid,
    #[serde(flatten)]
    pub item: CatalogItemDraft,
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    organization_id: Uuid,
    title: &str,
    user: Option<Uuid>,
) -> StoreResult<Catalog> {
    conn.transaction(async |conn| {
        let exists: i64 =
            catalogs::table.filter(catalogs::organization_id.eq(organization_id)).count().get_result(conn).await?;
        if exists > 0 {
            return Err(StoreError::Refused("catalog_exists"));
        }
        let catalog: Catalog = diesel::insert_into(catalogs::table)
            .values((
                catalogs::id.eq(Uuid::now_v7()),
                catalogs::organization_id.eq(organization_id),
                catalogs::title.eq(title),
                catalogs::created_by.eq(user),
            ))
            .returning(Catalog::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("catalog.create", "catalog", catalog.id)).await?;
        Ok(catalog)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Catalog> {
    catalogs::table.find(id).select(Catalog::as_select()).first(conn).await.optional()?.ok_or(StoreError::NotFound)
}

/// Catalogs of the given organizations (None: all), by id, after the cursor.
pub async fn list(
    conn: &mut AsyncPgConnection,
    orgs: Option<&[Uuid]>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Catalog>> {
    let mut query = catalogs::table.select(Catalog::as_select()).order(catalogs::id.asc()).limit(limit).into_boxed();
    if let Some(orgs) = orgs {
        query = query.filter(catalogs::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(after) = after {
        query = query.filter(catalogs::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

type ItemRow = (
    i32,
    Uuid,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Vec<String>,
    String,
    String,
    Option<String>,
    String,
);

/// The draft items, in order.
pub async fn items(conn: &mut AsyncPgConnection, catalog_id: Uuid) -> StoreResult<Vec<CatalogItem>> {
    let rows: Vec<ItemRow> = catalog_items::table
        .inner_join(catalog_areas::table)
        .filter(catalog_items::catalog_id.eq(catalog_id))
        .order(catalog_items::position.asc())
        .select((
            catalog_items::position,
            catalog_items::area_id,
            catalog_areas::name,
            catalog_items::item_level1,
            catalog_items::item_level2,
            catalog_items::content_elements,
            catalog_items::basis,
            catalog_items::time_limit,
            catalog_items::owner,
            catalog_items::channels,
            catalog_items::audience,
            catalog_items::mode,
            catalog_items::level,
            catalog_items::openness_category,
        ))
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let item = CatalogItemDraft {
                area: r.2,
                item_level1: r.3,
                item_level2: r.4,
                content_elements: r.5,
                basis: r.6,
                time_limit: r.7,
                owner: r.8,
                channels: r.9.iter().map(|c| parse_code(c)).collect::<StoreResult<_>>()?,
                audience: parse_code(&r.10)?,
                mode: parse_code(&r.11)?,
                level: r.12.as_deref().map(parse_code).transpose()?,
                openness_category: parse_code(&r.13)?,
            };
            Ok(CatalogItem { position: r.0, area_id: r.1, item })
        })
        .collect()
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<Catalog> {
    let current: Catalog = catalogs::table
        .find(id)
        .select(Catalog::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(StoreError::NotFound)?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(current)
}

/// Replaces the draft items as a whole, every draft already validated (areas named by the given
/// map). One transaction: a failure leaves the previous draft untouched.
pub async fn replace_items(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    drafts: &[CatalogItemDraft],
    area_ids: &HashMap<String, Uuid>,
    source: &str,
) -> StoreResult<Catalog> {
    conn.transaction(async |conn| {
        lock(conn, id, expected_version).await?;
        let mut rows = Vec::with_capacity(drafts.len());
        for (index, draft) in drafts.iter().enumerate() {
            let area = *area_ids
                .get(draft.area.trim())
                .ok_or(StoreError::InvalidField { field: "area", code: "unknown_area" })?;
            let position = i32::try_from(index + 1).map_err(|_| StoreError::Refused("too_many_rows"))?;
            let channels: Vec<String> = draft.channels.iter().map(|c| c.as_str().to_owned()).collect();
            rows.push((
                catalog_items::id.eq(Uuid::now_v7()),
                catalog_items::catalog_id.eq(id),
                catalog_items::position.eq(position),
                catalog_items::area_id.eq(area),
                catalog_items::item_level1.eq(draft.item_level1.trim().to_owned()),
                catalog_items::item_level2.eq(draft
                    .item_level2
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)),
                catalog_items::content_elements.eq(draft.content_elements.trim().to_owned()),
                catalog_items::basis.eq(draft.basis.trim().to_owned()),
                catalog_items::time_limit.eq(draft.time_limit.trim().to_owned()),
                catalog_items::owner.eq(draft.owner.trim().to_owned()),
                catalog_items::channels.eq(channels),
                catalog_items::audience.eq(draft.audience.as_str()),
                catalog_items::mode.eq(draft.mode.as_str()),
                catalog_items::level.eq(draft.level.map(|l| l.as_str())),
                catalog_items::openness_category.eq(draft.openness_category.as_str()),
            ));
        }
        diesel::delete(catalog_items::table.filter(catalog_items::catalog_id.eq(id))).execute(conn).await?;
        // Inserted in slices: PostgreSQL takes at most 65,535 bind parameters per statement.
        for chunk in rows.chunks(1000) {
            diesel::insert_into(catalog_items::table).values(chunk).execute(conn).await?;
        }
        let saved: Catalog = diesel::update(catalogs::table.find(id))
            .set((
                catalogs::draft_revision.eq(catalogs::draft_revision + 1),
                catalogs::version.eq(catalogs::version + 1),
                catalogs::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Catalog::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("catalog.items_replace", "catalog", id)
            .fields(["items"])
            .details(serde_json::json!({"items": drafts.len(), "source": source}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = catalog_versions)]
pub struct CatalogVersionRow {
    pub id: Uuid,
    pub catalog_id: Uuid,
    pub number: i32,
    pub item_count: i32,
    pub items: serde_json::Value,
    pub published_by: Option<Uuid>,
    pub published_at: DateTime<Utc>,
}

/// A published version: its items are the snapshot taken when it was published.
#[derive(Debug, Clone)]
pub struct CatalogVersion {
    pub number: i32,
    pub published_at: DateTime<Utc>,
    pub published_by: Option<Uuid>,
    pub items: Vec<CatalogItem>,
}

impl TryFrom<CatalogVersionRow> for CatalogVersion {
    type Error = StoreError;
    fn try_from(row: CatalogVersionRow) -> StoreResult<Self> {
        let items =
            serde_json::from_value(row.items).map_err(|e| StoreError::Other(format!("catalog snapshot: {e}")))?;
        Ok(CatalogVersion { number: row.number, published_at: row.published_at, published_by: row.published_by, items })
    }
}

/// Publishes the draft as the next version, as a whole; an empty draft or one identical to the last
/// version is refused.
pub async fn publish(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    user: Option<Uuid>,
) -> StoreResult<(Catalog, CatalogVersion)> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        if !current.has_unpublished_changes() {
            return Err(StoreError::Refused("catalog_unchanged"));
        }
        let items = items(conn, id).await?;
        if items.is_empty() {
            return Err(StoreError::Refused("catalog_empty"));
        }
        let last: Option<i32> = catalog_versions::table
            .filter(catalog_versions::catalog_id.eq(id))
            .select(diesel::dsl::max(catalog_versions::number))
            .first(conn)
            .await?;
        let number = last.unwrap_or(0) + 1;
        let snapshot = serde_json::to_value(&items).map_err(|e| StoreError::Other(e.to_string()))?;
        let row: CatalogVersionRow = diesel::insert_into(catalog_versions::table)
            .values((
                catalog_versions::id.eq(Uuid::now_v7()),
                catalog_versions::catalog_id.eq(id),
                catalog_versions::number.eq(number),
                catalog_versions::item_count.eq(i32::try_from(items.len()).unwrap_or(i32::MAX)),
                catalog_versions::items.eq(snapshot),
                catalog_versions::published_by.eq(user),
            ))
            .returning(CatalogVersionRow::as_returning())
            .get_result(conn)
            .await?;
        let saved: Catalog = diesel::update(catalogs::table.find(id))
            .set((
                catalogs::published_revision.eq(current.draft_revision),
                catalogs::version.eq(catalogs::version + 1),
                catalogs::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Catalog::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("catalog.publish", "catalog", id)
            .fields(["published_revision"])
            .details(serde_json::json!({"version": number, "items": items.len()}));
        audit::record(conn, actor, change).await?;
        Ok((saved, row.try_into()?))
    })
    .await
}

/// (number, item count, published at) of every version, newest first.
pub async fn versions(conn: &mut AsyncPgConnection, catalog_id: Uuid) -> StoreResult<Vec<(i32, i32, DateTime<Utc>)>> {
    Ok(catalog_versions::table
        .filter(catalog_versions::catalog_id.eq(catalog_id))
        .order(catalog_versions::number.desc())
        .select((catalog_versions::number, catalog_versions::item_count, catalog_versions::published_at))
        .load(conn)
        .await?)
}

/// One published version (the latest when `number` is None).
pub async fn version(
    conn: &mut AsyncPgConnection,
    catalog_id: Uuid,
    number: Option<i32>,
) -> StoreResult<CatalogVersion> {
    let mut query = catalog_versions::table
        .filter(catalog_versions::catalog_id.eq(catalog_id))
        .select(CatalogVersionRow::as_select())
        .order(catalog_versions::number.desc())
        .into_boxed();
    if let Some(number) = number {
        query = query.filter(catalog_versions::number.eq(number));
    }
    query.first(conn).await.optional()?.ok_or(StoreError::NotFound)?.try_into()
}

/// A catalog as the public sees it: only one with a published version.
#[derive(Debug, Clone)]
pub struct PublishedCatalog {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub title: String,
    pub latest_version: i32,
    pub item_count: i32,
    pub published_at: DateTime<Utc>,
}

/// Catalogs with at least one published version, by id after the cursor; `orgs` narrows them.
pub async fn published(
    conn: &mut AsyncPgConnection,
    orgs: Option<&[Uuid]>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<PublishedCatalog>> {
    let mut query = catalogs::table
        .inner_join(organizations::table)
        .filter(catalogs::published_revision.is_not_null())
        .select((catalogs::id, catalogs::organization_id, organizations::name, catalogs::title))
        .order(catalogs::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = orgs {
        query = query.filter(catalogs::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(after) = after {
        query = query.filter(catalogs::id.gt(after));
    }
    let rows: Vec<(Uuid, Uuid, String, String)> = query.load(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let latest: HashMap<Uuid, (i32, i32, DateTime<Utc>)> = catalog_versions::table
        .filter(catalog_versions::catalog_id.eq_any(ids))
        .distinct_on(catalog_versions::catalog_id)
        .order((catalog_versions::catalog_id, catalog_versions::number.desc()))
        .select((
            catalog_versions::catalog_id,
            catalog_versions::number,
            catalog_versions::item_count,
            catalog_versions::published_at,
        ))
        .load::<(Uuid, i32, i32, DateTime<Utc>)>(conn)
        .await?
        .into_iter()
        .map(|(id, number, count, at)| (id, (number, count, at)))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, organization_id, organization_name, title)| {
            let (latest_version, item_count, published_at) = *latest.get(&id)?;
            Some(PublishedCatalog {
                id,
                organization_id,
                organization_name,
                title,
                latest_version,
                item_count,
                published_at,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_item_reads_back_whole() {
        let item = CatalogItem {
            position: 1,
            area_id: Uuid::now_v7(),
            item: CatalogItemDraft {
                area: "社会救助".into(),
                item_level1: "最低生活保障".into(),
                item_level2: None,
                content_elements: "申请条件".into(),
                basis: "《社会救助暂行办法》".into(),
                time_limit: "20个工作日内".into(),
                owner: "县民政局".into(),
                channels: vec![domain::catalogs::DisclosureChannel::GovernmentWebsite],
                audience: domain::catalogs::CatalogAudience::WholeSociety,
                mode: domain::catalogs::CatalogMode::Proactive,
                level: Some(domain::catalogs::CatalogLevel::County),
                openness_category: domain::documents::DocumentCategory::Service,
            },
        };
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(json["area"], "社会救助", "one flat object, as published");
        assert_eq!(serde_json::from_value::<CatalogItem>(json).unwrap(), item);
    }
}
