//! Evaluation (seed §6): indicator systems of a county, replaced as a whole while no period has
//! scores under them; periods; scores per organization and leaf indicator with their source; and
//! the deployment's openness share of the comprehensive assessment.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::evaluation::{CheckedTree, IndicatorSpec, ScoreSource};
use uuid::Uuid;

use crate::audit::{self, Actor, ActorKind, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::{
    evaluation_indicators as indicators, evaluation_periods as periods, evaluation_scores as scores,
    evaluation_settings as settings_table, evaluation_systems as systems,
};

pub async fn share_basis_points(conn: &mut AsyncPgConnection) -> StoreResult<i32> {
    Ok(settings_table::table.select(settings_table::openness_share_basis_points).first(conn).await?)
}

pub async fn put_share(conn: &mut AsyncPgConnection, actor: &Actor, basis_points: i32) -> StoreResult<i32> {
    conn.transaction(async |conn| {
        let saved = diesel::update(settings_table::table)
            .set((
                settings_table::openness_share_basis_points.eq(basis_points),
                settings_table::updated_at.eq(diesel::dsl::now),
            ))
            .returning(settings_table::openness_share_basis_points)
            .get_result(conn)
            .await?;
        let change = Change {
            action: "evaluation_settings.update",
            entity_type: "evaluation_settings",
            entity_id: None,
            changed_fields: vec!["openness_share_basis_points".into()],
            details: serde_json::json!({"openness_share_basis_points": basis_points}),
        };
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = systems)]
pub struct System {
    pub id: Uuid,
    pub county_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = indicators)]
pub struct Indicator {
    pub id: Uuid,
    pub system_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub weight: i32,
    pub is_leaf: bool,
    pub position: i32,
}

pub async fn create_system(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    county: Uuid,
    name: &str,
    description: Option<&str>,
    user: Option<Uuid>,
) -> StoreResult<System> {
    conn.transaction(async |conn| {
        let saved: System = diesel::insert_into(systems::table)
            .values((
                systems::id.eq(Uuid::now_v7()),
                systems::county_id.eq(county),
                systems::name.eq(name),
                systems::description.eq(description),
                systems::created_by.eq(user),
            ))
            .returning(System::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("evaluation_system.create", "evaluation_system", saved.id)).await?;
        Ok(saved)
    })
    .await
}

pub async fn get_system(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<System> {
    systems::table.find(id).select(System::as_select()).first(conn).await.optional()?.ok_or(StoreError::NotFound)
}

/// Systems of a county (all when `None`), newest first.
pub async fn list_systems(
    conn: &mut AsyncPgConnection,
    county: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<System>> {
    let mut query = systems::table.select(System::as_select()).order(systems::id.desc()).limit(limit).into_boxed();
    if let Some(county) = county {
        query = query.filter(systems::county_id.eq(county));
    }
    if let Some(before) = before {
        query = query.filter(systems::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// The indicators of a system in the order they were submitted.
pub async fn indicators_of(conn: &mut AsyncPgConnection, system: Uuid) -> StoreResult<Vec<Indicator>> {
    Ok(indicators::table
        .filter(indicators::system_id.eq(system))
        .order(indicators::position.asc())
        .select(Indicator::as_select())
        .load(conn)
        .await?)
}

/// Whether any period has scores under this system's indicators (the tree is then frozen).
pub async fn is_frozen(conn: &mut AsyncPgConnection, system: Uuid) -> StoreResult<bool> {
    let scored: i64 = scores::table
        .inner_join(indicators::table)
        .filter(indicators::system_id.eq(system))
        .count()
        .get_result(conn)
        .await?;
    Ok(scored > 0)
}

/// An indicator as submitted with its description, for storage.
#[derive(Debug, Clone)]
pub struct NewIndicator {
    pub spec: IndicatorSpec,
    pub description: Option<String>,
}

/// Replaces the whole tree, already checked by the domain; 409 `evaluation_system_frozen` once
/// scored.
pub async fn replace_indicators(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    system: Uuid,
    expected: Option<i32>,
    new: &[NewIndicator],
    tree: &CheckedTree,
) -> StoreResult<System> {
    conn.transaction(async |conn| {
        let current: System = systems::table
            .find(system)
            .select(System::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(StoreError::NotFound)?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        if is_frozen(conn, system).await? {
            return Err(StoreError::Refused("evaluation_system_frozen"));
        }
        diesel::delete(indicators::table.filter(indicators::system_id.eq(system))).execute(conn).await?;
        let ids: Vec<Uuid> = new.iter().map(|_| Uuid::now_v7()).collect();
        let rows: Vec<_> = tree
            .insertion_order()
            .into_iter()
            .map(|i| {
                (
                    indicators::id.eq(ids[i]),
                    indicators::system_id.eq(system),
                    indicators::parent_id.eq(tree.parent[i].map(|p| ids[p])),
                    indicators::code.eq(new[i].spec.code.clone()),
                    indicators::name.eq(new[i].spec.name.clone()),
                    indicators::description.eq(new[i].description.clone()),
                    indicators::weight.eq(i32::try_from(new[i].spec.weight).unwrap_or(i32::MAX)),
                    indicators::is_leaf.eq(tree.leaf[i]),
                    indicators::position.eq(i32::try_from(i + 1).unwrap_or(i32::MAX)),
                )
            })
            .collect();
        diesel::insert_into(indicators::table).values(rows).execute(conn).await?;
        let saved: System = diesel::update(systems::table.find(system))
            .set((systems::version.eq(systems::version + 1), systems::updated_at.eq(diesel::dsl::now)))
            .returning(System::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("evaluation_system.replace_indicators", "evaluation_system", system)
            .fields(["indicators"])
            .details(serde_json::json!({"indicators": new.len()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = periods)]
pub struct Period {
    pub id: Uuid,
    pub county_id: Uuid,
    pub system_id: Uuid,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn create_period(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    system: &System,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    user: Option<Uuid>,
) -> StoreResult<Period> {
    conn.transaction(async |conn| {
        let saved: Period = diesel::insert_into(periods::table)
            .values((
                periods::id.eq(Uuid::now_v7()),
                periods::county_id.eq(system.county_id),
                periods::system_id.eq(system.id),
                periods::name.eq(name),
                periods::starts_on.eq(starts_on),
                periods::ends_on.eq(ends_on),
                periods::created_by.eq(user),
            ))
            .returning(Period::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("evaluation_period.create", "evaluation_period", saved.id)
            .details(serde_json::json!({"system_id": system.id, "starts_on": starts_on, "ends_on": ends_on}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get_period(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Period> {
    periods::table.find(id).select(Period::as_select()).first(conn).await.optional()?.ok_or(StoreError::NotFound)
}

/// Periods of a county (all when `None`), newest first.
pub async fn list_periods(
    conn: &mut AsyncPgConnection,
    county: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Period>> {
    let mut query = periods::table.select(Period::as_select()).order(periods::id.desc()).limit(limit).into_boxed();
    if let Some(county) = county {
        query = query.filter(periods::county_id.eq(county));
    }
    if let Some(before) = before {
        query = query.filter(periods::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scores)]
pub struct Score {
    pub id: Uuid,
    pub period_id: Uuid,
    pub organization_id: Uuid,
    pub indicator_id: Uuid,
    pub score: i32,
    pub source: String,
    pub evaluator: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_by_kind: String,
    pub recorded_at: DateTime<Utc>,
}

impl Score {
    pub fn source(&self) -> StoreResult<ScoreSource> {
        parse_code(&self.source)
    }
}

/// A score to record; its indicator is a leaf of the period's system and its organization of the
/// period's county (checked by the caller, which names the offending entry).
#[derive(Debug, Clone)]
pub struct NewScore {
    pub organization_id: Uuid,
    pub indicator_id: Uuid,
    pub score: i32,
    pub note: Option<String>,
}

/// Records scores, replacing earlier ones of the same organization, indicator and source (409
/// `score_source_conflict` for one from the other source); all or none.
pub async fn record_scores(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    period: Uuid,
    source: ScoreSource,
    evaluator: Option<&str>,
    new: &[NewScore],
) -> StoreResult<Vec<Score>> {
    let recorder = actor.id.ok_or(StoreError::Other("a score needs its recorder".into()))?;
    let kind = if actor.kind == ActorKind::Client { "client" } else { "user" };
    conn.transaction(async |conn| {
        // Shares the period with other recordings; the tree's replacement sees these rows.
        periods::table.find(period).select(periods::id).for_share().first::<Uuid>(conn).await?;
        let mut saved = Vec::with_capacity(new.len());
        for s in new {
            // A score from the other source is not silently replaced: who scored is recorded
            // because staff and third-party evaluation are distinct findings.
            let existing: Option<String> = scores::table
                .filter(scores::period_id.eq(period))
                .filter(scores::organization_id.eq(s.organization_id))
                .filter(scores::indicator_id.eq(s.indicator_id))
                .select(scores::source)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            if existing.is_some_and(|e| e != source.as_str()) {
                return Err(StoreError::Refused("score_source_conflict"));
            }
            let row: Score = diesel::insert_into(scores::table)
                .values((
                    scores::id.eq(Uuid::now_v7()),
                    scores::period_id.eq(period),
                    scores::organization_id.eq(s.organization_id),
                    scores::indicator_id.eq(s.indicator_id),
                    scores::score.eq(s.score),
                    scores::source.eq(source.as_str()),
                    scores::evaluator.eq(evaluator),
                    scores::note.eq(s.note.as_deref()),
                    scores::recorded_by.eq(recorder),
                    scores::recorded_by_kind.eq(kind),
                ))
                .on_conflict((scores::period_id, scores::organization_id, scores::indicator_id))
                .do_update()
                .set((
                    scores::score.eq(s.score),
                    scores::source.eq(source.as_str()),
                    scores::evaluator.eq(evaluator),
                    scores::note.eq(s.note.as_deref()),
                    scores::recorded_by.eq(recorder),
                    scores::recorded_by_kind.eq(kind),
                    scores::recorded_at.eq(diesel::dsl::now),
                ))
                .returning(Score::as_returning())
                .get_result(conn)
                .await?;
            saved.push(row);
        }
        let change = Change::new("evaluation_period.record_scores", "evaluation_period", period)
            .fields(["scores"])
            .details(serde_json::json!({
                "source": source.as_str(),
                "scores": new.iter().map(|s| serde_json::json!({
                    "organization_id": s.organization_id, "indicator_id": s.indicator_id, "score": s.score,
                })).collect::<Vec<_>>(),
            }));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// Scores of a period (optionally of one organization), by id.
pub async fn list_scores(
    conn: &mut AsyncPgConnection,
    period: Uuid,
    organization_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: Option<i64>,
) -> StoreResult<Vec<Score>> {
    let mut query = scores::table
        .filter(scores::period_id.eq(period))
        .select(Score::as_select())
        .order(scores::id.asc())
        .into_boxed();
    if let Some(org) = organization_id {
        query = query.filter(scores::organization_id.eq(org));
    }
    if let Some(after) = after {
        query = query.filter(scores::id.gt(after));
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query.load(conn).await?)
}
