//! The statutory annual report: counted from the documents, requests, fees and legal challenges
//! of its organization (the whole county for the county government's own report), reviewed,
//! then published by the principal, after which the database refuses any change.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::annual_reports::{
    self as rules, AnnualReportStatus, ChallengeFact, ComputedSections, IssuedDocumentFact, ReportDeadlines,
    RequestFact,
};
use domain::OrganizationKind;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::{annual_report_settings, annual_reports, legal_challenges};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = annual_reports)]
pub struct AnnualReport {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub year: i32,
    pub status: String,
    pub scope: String,
    pub overview: String,
    pub problems_and_improvements: String,
    pub other_matters: String,
    pub licensing_decisions: i64,
    pub penalty_decisions: i64,
    pub enforcement_decisions: i64,
    pub administrative_fees_fen: i64,
    pub computed: serde_json::Value,
    pub computed_at: DateTime<Utc>,
    pub due_on: Option<NaiveDate>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub published_by: Option<Uuid>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_on: Option<NaiveDate>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AnnualReport {
    pub fn status(&self) -> StoreResult<AnnualReportStatus> {
        parse_code(&self.status)
    }

    pub fn sections(&self) -> StoreResult<ComputedSections> {
        serde_json::from_value(self.computed.clone()).map_err(|e| StoreError::Other(e.to_string()))
    }
}

pub async fn deadlines(conn: &mut AsyncPgConnection) -> StoreResult<ReportDeadlines> {
    let (month, day): (i32, i32) = annual_report_settings::table
        .select((annual_report_settings::township_due_month, annual_report_settings::township_due_day))
        .first(conn)
        .await?;
    Ok(ReportDeadlines { township_month: month as u32, township_day: day as u32 })
}

/// The system administrator sets the townships' deadline.
pub async fn set_deadlines(conn: &mut AsyncPgConnection, actor: &Actor, value: ReportDeadlines) -> StoreResult<()> {
    if !rules::valid_township_deadline(value.township_month, value.township_day) {
        return Err(StoreError::InvalidField { field: "township_due", code: "invalid_deadline" });
    }
    conn.transaction(async |conn| {
        diesel::update(annual_report_settings::table)
            .set((
                annual_report_settings::township_due_month.eq(value.township_month as i32),
                annual_report_settings::township_due_day.eq(value.township_day as i32),
                annual_report_settings::version.eq(annual_report_settings::version + 1),
                annual_report_settings::updated_by.eq(actor.id),
                annual_report_settings::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        let change = Change::new("annual_report_settings.update", "annual_report_settings", Uuid::nil())
            .fields(["township_due_month", "township_due_day"]);
        audit::record(conn, actor, change).await?;
        Ok(())
    })
    .await
}

#[derive(QueryableByName)]
struct RequestRow {
    #[diesel(sql_type = Text)]
    applicant_type: String,
    #[diesel(sql_type = Date)]
    received_on: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    concluded_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    outcome: Option<String>,
}

#[derive(QueryableByName)]
struct DocumentRow {
    #[diesel(sql_type = Text)]
    doc_kind: String,
    #[diesel(sql_type = Date)]
    formed_on: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    ended_on: Option<NaiveDate>,
}

#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

fn year_bounds(year: i32) -> StoreResult<(NaiveDate, NaiveDate)> {
    domain::calendar::year_bounds(year).ok_or(StoreError::InvalidField { field: "year", code: "out_of_range" })
}

/// Counts every computed section of `year`'s report over these organizations.
pub async fn compute(conn: &mut AsyncPgConnection, organizations: &[Uuid], year: i32) -> StoreResult<ComputedSections> {
    let (first, last) = year_bounds(year)?;
    // A request is concluded on the day it was replied to, or closed without a reply.
    let requests: Vec<RequestRow> = diesel::sql_query(
        "SELECT r.applicant_type, r.received_on, coalesce(r.closed_on, rp.replied_on) AS concluded_on, r.outcome \
         FROM disclosure_requests r LEFT JOIN request_replies rp ON rp.request_id = r.id \
         WHERE r.organization_id = ANY($1) AND r.received_on <= $3 \
           AND (coalesce(r.closed_on, rp.replied_on) IS NULL OR coalesce(r.closed_on, rp.replied_on) >= $2)",
    )
    .bind::<Array<SqlUuid>, _>(organizations)
    .bind::<Date, _>(first)
    .bind::<Date, _>(last)
    .load(conn)
    .await?;
    let mut request_facts = Vec::with_capacity(requests.len());
    for r in requests {
        let concluded = match (r.concluded_on, r.outcome) {
            (Some(day), Some(outcome)) => Some((day, parse_code(&outcome)?)),
            _ => None,
        };
        request_facts.push(RequestFact {
            applicant_type: parse_code(&r.applicant_type)?,
            received_on: r.received_on,
            concluded,
        });
    }
    // Issued means 印发: published or issued without publication, dated by its formation.
    let documents: Vec<DocumentRow> = diesel::sql_query(
        "SELECT doc_kind, formed_on, CASE WHEN validity <> 'valid' THEN validity_changed_on END AS ended_on \
         FROM documents \
         WHERE issuing_org_id = ANY($1) AND doc_kind IN ('regulation', 'normative') \
           AND status IN ('published', 'filed') AND formed_on IS NOT NULL AND formed_on <= $2",
    )
    .bind::<Array<SqlUuid>, _>(organizations)
    .bind::<Date, _>(last)
    .load(conn)
    .await?;
    let document_facts: Vec<IssuedDocumentFact> = documents
        .iter()
        .map(|d| IssuedDocumentFact {
            is_regulation: d.doc_kind == "regulation",
            issued_on: d.formed_on,
            ended_on: d.ended_on,
        })
        .collect();
    let (regulations, normative) = rules::issuance_counts(year, &document_facts);
    type ChallengeRow = (String, String, NaiveDate, Option<String>, Option<NaiveDate>);
    let challenges: Vec<ChallengeRow> = legal_challenges::table
        .filter(legal_challenges::organization_id.eq_any(organizations.to_vec()))
        .filter(legal_challenges::filed_on.between(first, last))
        .select((
            legal_challenges::kind,
            legal_challenges::role,
            legal_challenges::filed_on,
            legal_challenges::result,
            legal_challenges::concluded_on,
        ))
        .load(conn)
        .await?;
    let mut challenge_facts = Vec::with_capacity(challenges.len());
    for (kind, role, filed_on, result, concluded_on) in challenges {
        let concluded = match (concluded_on, result) {
            (Some(day), Some(result)) => Some((day, parse_code(&result)?)),
            _ => None,
        };
        challenge_facts.push(ChallengeFact { kind: parse_code(&kind)?, role: parse_code(&role)?, filed_on, concluded });
    }
    let fees: Sum = diesel::sql_query(
        "SELECT coalesce(sum(n.amount_fen), 0)::bigint AS total \
         FROM request_fee_notices n JOIN disclosure_requests r ON r.id = n.request_id \
         WHERE r.organization_id = ANY($1) AND n.paid_on BETWEEN $2 AND $3",
    )
    .bind::<Array<SqlUuid>, _>(organizations)
    .bind::<Date, _>(first)
    .bind::<Date, _>(last)
    .get_result(conn)
    .await?;
    Ok(ComputedSections {
        organization_name: String::new(),
        regulations,
        normative,
        requests: rules::request_table(year, &request_facts),
        challenges: rules::challenge_table(year, &challenge_facts),
        information_fees_fen: fees.total,
    })
}

/// The organizations a report counts. The county government's own report covers the county's
/// administrative organs (本级政府: itself, its office, departments and townships), as county reports
/// usually do; public institutions (not 行政机关) and higher-level authorities are left out. Every
/// other organization reports on itself.
async fn scope_of(
    conn: &mut AsyncPgConnection,
    org: &crate::organizations::Organization,
) -> StoreResult<(&'static str, Vec<Uuid>)> {
    if org.kind != OrganizationKind::CountyGovernment {
        return Ok(("organization", vec![org.id]));
    }
    let members = crate::organizations::in_county(conn, org.id).await?;
    let organs: Vec<Uuid> = crate::schema::organizations::table
        .filter(crate::schema::organizations::id.eq_any(members))
        .filter(
            crate::schema::organizations::kind
                .ne_all([OrganizationKind::PublicInstitution.as_str(), OrganizationKind::HigherLevel.as_str()]),
        )
        .select(crate::schema::organizations::id)
        .load(conn)
        .await?;
    Ok(("county", organs))
}

/// Counts the report's sections now, with the organization's name as it stands (kept with the
/// report, so that a later renaming does not rewrite a published title).
async fn count_for(
    conn: &mut AsyncPgConnection,
    org: &crate::organizations::Organization,
    year: i32,
) -> StoreResult<(&'static str, serde_json::Value)> {
    let (scope, organizations) = scope_of(conn, org).await?;
    let mut sections = compute(conn, &organizations, year).await?;
    sections.organization_name = org.name.clone();
    let computed = serde_json::to_value(&sections).map_err(|e| StoreError::Other(e.to_string()))?;
    Ok((scope, computed))
}

/// Creates `year`'s draft for the organization, or recounts its existing draft; a reviewed or
/// published report is not recounted. Returns the report and whether it was created.
pub async fn create_or_recompute(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    organization_id: Uuid,
    year: i32,
    today: NaiveDate,
) -> StoreResult<(AnnualReport, bool)> {
    if year >= today.year() {
        return Err(StoreError::InvalidField { field: "year", code: "year_not_ended" });
    }
    year_bounds(year)?;
    let org = crate::organizations::get(conn, organization_id).await.map_err(|e| match e {
        StoreError::NotFound => StoreError::InvalidField { field: "organization_id", code: "not_found" },
        e => e,
    })?;
    let deadlines = deadlines(conn).await?;
    let Some(due_on) = rules::report_due_on(org.kind, year, deadlines) else {
        return Err(StoreError::InvalidField { field: "organization_id", code: "no_annual_report" });
    };
    conn.transaction(async |conn| {
        let existing: Option<AnnualReport> = annual_reports::table
            .filter(annual_reports::organization_id.eq(organization_id))
            .filter(annual_reports::year.eq(year))
            .select(AnnualReport::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if existing.as_ref().is_some_and(|r| r.status != AnnualReportStatus::Draft.as_str()) {
            return Err(StoreError::Refused("annual_report_not_draft"));
        }
        let (scope, computed) = count_for(conn, &org, year).await?;
        let (saved, created): (AnnualReport, bool) = match existing {
            Some(current) => {
                let saved = diesel::update(annual_reports::table.find(current.id))
                    .set((
                        annual_reports::computed.eq(&computed),
                        annual_reports::computed_at.eq(diesel::dsl::now),
                        annual_reports::scope.eq(scope),
                        annual_reports::due_on.eq(due_on),
                        annual_reports::version.eq(annual_reports::version + 1),
                        annual_reports::updated_at.eq(diesel::dsl::now),
                    ))
                    .returning(AnnualReport::as_returning())
                    .get_result(conn)
                    .await?;
                (saved, false)
            }
            None => {
                let saved = diesel::insert_into(annual_reports::table)
                    .values((
                        annual_reports::id.eq(Uuid::now_v7()),
                        annual_reports::organization_id.eq(organization_id),
                        annual_reports::year.eq(year),
                        annual_reports::scope.eq(scope),
                        annual_reports::computed.eq(&computed),
                        annual_reports::computed_at.eq(diesel::dsl::now),
                        annual_reports::due_on.eq(due_on),
                        annual_reports::created_by.eq(actor.id),
                    ))
                    .returning(AnnualReport::as_returning())
                    .get_result(conn)
                    .await?;
                (saved, true)
            }
        };
        let action = if created { "annual_report.create" } else { "annual_report.recompute" };
        let change = Change::new(action, "annual_report", saved.id)
            .fields(["computed"])
            .details(serde_json::json!({"organization_id": organization_id, "year": year, "scope": scope}));
        audit::record(conn, actor, change).await?;
        Ok((saved, created))
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<AnnualReport> {
    Ok(annual_reports::table.find(id).select(AnnualReport::as_select()).first(conn).await?)
}

#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub organization_id: Option<Uuid>,
    pub year: Option<i32>,
    pub status: Option<AnnualReportStatus>,
}

/// Reports of these organizations (all when `None`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    filter: &ReportFilter,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<AnnualReport>> {
    let mut query = annual_reports::table
        .select(AnnualReport::as_select())
        .order(annual_reports::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(annual_reports::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(annual_reports::organization_id.eq(org));
    }
    if let Some(year) = filter.year {
        query = query.filter(annual_reports::year.eq(year));
    }
    if let Some(status) = filter.status {
        query = query.filter(annual_reports::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(annual_reports::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// The entered parts of a draft: table 二's numbers from other systems and the text sections.
#[derive(Debug, Clone)]
pub struct ReportEdits {
    pub overview: String,
    pub problems_and_improvements: String,
    pub other_matters: String,
    pub licensing_decisions: i64,
    pub penalty_decisions: i64,
    pub enforcement_decisions: i64,
    pub administrative_fees_fen: i64,
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<AnnualReport> {
    let current: AnnualReport =
        annual_reports::table.find(id).select(AnnualReport::as_select()).for_update().first(conn).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(current)
}

pub async fn edit(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    edits: &ReportEdits,
) -> StoreResult<AnnualReport> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        if current.status()? != AnnualReportStatus::Draft {
            return Err(StoreError::Refused("annual_report_not_draft"));
        }
        let saved: AnnualReport = diesel::update(annual_reports::table.find(id))
            .set((
                annual_reports::overview.eq(&edits.overview),
                annual_reports::problems_and_improvements.eq(&edits.problems_and_improvements),
                annual_reports::other_matters.eq(&edits.other_matters),
                annual_reports::licensing_decisions.eq(edits.licensing_decisions),
                annual_reports::penalty_decisions.eq(edits.penalty_decisions),
                annual_reports::enforcement_decisions.eq(edits.enforcement_decisions),
                annual_reports::administrative_fees_fen.eq(edits.administrative_fees_fen),
                annual_reports::version.eq(annual_reports::version + 1),
                annual_reports::updated_at.eq(diesel::dsl::now),
            ))
            .returning(AnnualReport::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("annual_report.edit", "annual_report", id).fields([
            "overview",
            "problems_and_improvements",
            "other_matters",
            "licensing_decisions",
            "penalty_decisions",
            "enforcement_decisions",
            "administrative_fees_fen",
        ]);
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// The report's moves: `review` (draft → reviewed), `reopen` (reviewed → draft) and `publish`
/// (reviewed → published, on `today`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAct {
    Review,
    Reopen,
    Publish,
}

pub async fn act(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    act: ReportAct,
    today: NaiveDate,
) -> StoreResult<AnnualReport> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        let from = current.status()?;
        let to = match (act, from) {
            (ReportAct::Review, AnnualReportStatus::Draft) => AnnualReportStatus::Reviewed,
            (ReportAct::Reopen, AnnualReportStatus::Reviewed) => AnnualReportStatus::Draft,
            (ReportAct::Publish, AnnualReportStatus::Reviewed) => AnnualReportStatus::Published,
            _ => return Err(StoreError::Refused("annual_report_state_conflict")),
        };
        if act == ReportAct::Review && current.overview.trim().is_empty() {
            return Err(StoreError::InvalidField { field: "overview", code: "required" });
        }
        // What is reviewed is what gets published: the numbers are counted again now, so that
        // records dated back into the year since the draft was counted are in.
        let org = crate::organizations::get(conn, current.organization_id).await?;
        let computed = match act {
            ReportAct::Review => count_for(conn, &org, current.year).await?.1,
            _ => {
                let mut computed = current.computed.clone();
                computed["organization_name"] = serde_json::Value::String(org.name.clone());
                computed
            }
        };
        let update = diesel::update(annual_reports::table.find(id));
        let stamped = (
            annual_reports::status.eq(to.as_str()),
            annual_reports::computed.eq(&computed),
            annual_reports::version.eq(annual_reports::version + 1),
            annual_reports::updated_at.eq(diesel::dsl::now),
        );
        let saved: AnnualReport = match act {
            ReportAct::Review => {
                update
                    .set((
                        stamped,
                        annual_reports::reviewed_by.eq(actor.id),
                        annual_reports::reviewed_at.eq(diesel::dsl::now),
                    ))
                    .returning(AnnualReport::as_returning())
                    .get_result(conn)
                    .await?
            }
            ReportAct::Reopen => {
                let cleared = (
                    annual_reports::reviewed_by.eq(None::<Uuid>),
                    annual_reports::reviewed_at.eq(None::<DateTime<Utc>>),
                );
                update.set((stamped, cleared)).returning(AnnualReport::as_returning()).get_result(conn).await?
            }
            ReportAct::Publish => {
                let published = (
                    annual_reports::published_by.eq(actor.id),
                    annual_reports::published_at.eq(diesel::dsl::now),
                    annual_reports::published_on.eq(today),
                );
                update.set((stamped, published)).returning(AnnualReport::as_returning()).get_result(conn).await?
            }
        };
        let action = match act {
            ReportAct::Review => "annual_report.review",
            ReportAct::Reopen => "annual_report.reopen",
            ReportAct::Publish => "annual_report.publish",
        };
        let late = act == ReportAct::Publish && current.due_on.is_some_and(|due| today > due);
        let change = Change::new(action, "annual_report", id)
            .fields(["status"])
            .details(serde_json::json!({"from": from.as_str(), "to": to.as_str(), "late": late}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}
