//! Government websites (政府网站, seed §4.1) and their monitoring checks. A check is recorded with
//! its findings in one transaction that also opens one rectification per finding, records a
//! `website_not_updated` breach for stale content and sets the site's standing.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::oversight::{self as rules, RectificationSource, WebsiteFindingKind, WebsiteStatus};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::rectifications::{self, NewRectification};
use crate::schema::{website_check_findings as findings, website_checks as checks, websites};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = websites)]
pub struct Website {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub url: String,
    pub status: String,
    pub closure_reason: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Website {
    pub fn status(&self) -> StoreResult<WebsiteStatus> {
        parse_code(&self.status)
    }
}

/// What the office writes when registering or editing a site. Closing needs a reason.
#[derive(Debug, Clone)]
pub struct WebsiteFields {
    pub name: String,
    pub url: String,
    pub status: WebsiteStatus,
    pub closure_reason: Option<String>,
}

fn closure(
    fields: &WebsiteFields,
    today: NaiveDate,
    already: Option<NaiveDate>,
) -> StoreResult<(Option<String>, Option<NaiveDate>)> {
    if fields.status != WebsiteStatus::Closed {
        return Ok((None, None));
    }
    match fields.closure_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => Ok((Some(reason.to_owned()), Some(already.unwrap_or(today)))),
        None => Err(StoreError::InvalidField { field: "closure_reason", code: "required" }),
    }
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    organization_id: Uuid,
    fields: &WebsiteFields,
    created_by: Option<Uuid>,
    today: NaiveDate,
) -> StoreResult<Website> {
    let (reason, closed_on) = closure(fields, today, None)?;
    conn.transaction(async |conn| {
        let saved: Website = diesel::insert_into(websites::table)
            .values((
                websites::id.eq(Uuid::now_v7()),
                websites::organization_id.eq(organization_id),
                websites::name.eq(&fields.name),
                websites::url.eq(&fields.url),
                websites::status.eq(fields.status.as_str()),
                websites::closure_reason.eq(reason),
                websites::closed_on.eq(closed_on),
                websites::created_by.eq(created_by),
            ))
            .returning(Website::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("website.register", "website", saved.id)).await?;
        Ok(saved)
    })
    .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: &WebsiteFields,
    today: NaiveDate,
) -> StoreResult<Website> {
    conn.transaction(async |conn| {
        let current: Website = websites::table.find(id).select(Website::as_select()).for_update().first(conn).await?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        let (reason, closed_on) = closure(fields, today, current.closed_on)?;
        let saved: Website = diesel::update(websites::table.find(id))
            .set((
                websites::name.eq(&fields.name),
                websites::url.eq(&fields.url),
                websites::status.eq(fields.status.as_str()),
                websites::closure_reason.eq(reason),
                websites::closed_on.eq(closed_on),
                websites::version.eq(websites::version + 1),
                websites::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Website::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("website.update", "website", id)
            .fields(["name", "url", "status", "closure_reason"])
            .details(serde_json::json!({"status_from": current.status, "status_to": fields.status.as_str()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Website> {
    Ok(websites::table.find(id).select(Website::as_select()).first(conn).await?)
}

/// Sites of these organizations (all when `None`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    status: Option<WebsiteStatus>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Website>> {
    let mut query = websites::table.select(Website::as_select()).order(websites::id.desc()).limit(limit).into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(websites::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(status) = status {
        query = query.filter(websites::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(websites::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = checks)]
pub struct Check {
    pub id: Uuid,
    pub website_id: Uuid,
    pub checked_on: NaiveDate,
    pub notes: Option<String>,
    pub status_after: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = findings)]
pub struct Finding {
    pub id: Uuid,
    pub check_id: Uuid,
    pub position: i32,
    pub kind: String,
    pub description: String,
    pub deadline: NaiveDate,
    pub rectification_id: Uuid,
}

impl Finding {
    pub fn kind(&self) -> StoreResult<WebsiteFindingKind> {
        parse_code(&self.kind)
    }
}

/// A problem the check found.
#[derive(Debug, Clone)]
pub struct NewFinding {
    pub kind: WebsiteFindingKind,
    pub description: String,
    pub deadline: NaiveDate,
}

/// Records a check of an open site: its findings, one rectification each, a `website_not_updated`
/// breach per stale-content finding, and the site's new standing — all or nothing.
pub async fn record_check(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    website_id: Uuid,
    checked_on: NaiveDate,
    notes: Option<&str>,
    new_findings: &[NewFinding],
) -> StoreResult<(Check, Vec<Finding>)> {
    conn.transaction(async |conn| {
        let site: Website =
            websites::table.find(website_id).select(Website::as_select()).for_update().first(conn).await?;
        if site.status()? == WebsiteStatus::Closed {
            return Err(StoreError::Refused("website_closed"));
        }
        let after = rules::status_after_check(new_findings.len());
        let check: Check = diesel::insert_into(checks::table)
            .values((
                checks::id.eq(Uuid::now_v7()),
                checks::website_id.eq(website_id),
                checks::checked_on.eq(checked_on),
                checks::notes.eq(notes),
                checks::status_after.eq(after.as_str()),
                checks::created_by.eq(actor.id),
            ))
            .returning(Check::as_returning())
            .get_result(conn)
            .await?;
        let mut saved = Vec::new();
        for (position, finding) in new_findings.iter().enumerate() {
            let finding_id = Uuid::now_v7();
            let problem = format!("【{}】{}", finding.kind.label_zh(), finding.description);
            let new = NewRectification {
                organization_id: site.organization_id,
                source: RectificationSource::WebsiteCheck,
                source_id: check.id,
                finding_id,
                problem: &problem,
                opened_on: checked_on,
                deadline: finding.deadline,
                created_by: actor.id,
            };
            let rectification = rectifications::open_in(conn, actor, &new).await?;
            let row: Finding = diesel::insert_into(findings::table)
                .values((
                    findings::id.eq(finding_id),
                    findings::check_id.eq(check.id),
                    findings::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                    findings::kind.eq(finding.kind.as_str()),
                    findings::description.eq(&finding.description),
                    findings::deadline.eq(finding.deadline),
                    findings::rectification_id.eq(rectification.id),
                ))
                .returning(Finding::as_returning())
                .get_result(conn)
                .await?;
            if let Some(breach) = rules::breach_of_finding(finding.kind) {
                let details = serde_json::json!({"website_id": website_id, "check_id": check.id, "url": site.url});
                crate::documents::record_breach(
                    conn,
                    breach,
                    site.organization_id,
                    "website_check_finding",
                    finding_id,
                    checked_on,
                    details,
                )
                .await?;
            }
            saved.push(row);
        }
        diesel::update(websites::table.find(website_id))
            .set((
                websites::status.eq(after.as_str()),
                websites::version.eq(websites::version + 1),
                websites::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        let change =
            Change::new("website.check", "website", website_id).fields(["status"]).details(serde_json::json!({
                "check_id": check.id,
                "findings": saved.len(),
                "status_from": site.status,
                "status_to": after.as_str(),
            }));
        audit::record(conn, actor, change).await?;
        Ok((check, saved))
    })
    .await
}

/// The checks of a site, newest first, each with its findings in order.
pub async fn checks_of(conn: &mut AsyncPgConnection, website_id: Uuid) -> StoreResult<Vec<(Check, Vec<Finding>)>> {
    let all: Vec<Check> = checks::table
        .filter(checks::website_id.eq(website_id))
        .order(checks::id.desc())
        .select(Check::as_select())
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = all.iter().map(|c| c.id).collect();
    let mut rows: Vec<Finding> = findings::table
        .filter(findings::check_id.eq_any(ids))
        .order((findings::check_id, findings::position))
        .select(Finding::as_select())
        .load(conn)
        .await?;
    Ok(all
        .into_iter()
        .map(|check| {
            let (mine, rest): (Vec<Finding>, Vec<Finding>) = rows.drain(..).partition(|f| f.check_id == check.id);
            rows = rest;
            (check, mine)
        })
        .collect())
}
