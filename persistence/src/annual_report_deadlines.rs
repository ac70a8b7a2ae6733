//! Who owes an annual report, by when, and who is late (条例第四十九条): late ones become
//! `annual_report_late` breaches, once per organization and year.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::annual_reports::{report_due_on, AnnualReportStatus};
use domain::OrganizationKind;
use uuid::Uuid;

use crate::error::{parse_code, StoreResult};
use crate::schema::{annual_reports, organizations};

/// One organization's report obligation for a year.
#[derive(Debug, Clone)]
pub struct Obligation {
    pub organization_id: Uuid,
    pub organization_name: String,
    pub kind: OrganizationKind,
    pub year: i32,
    pub due_on: NaiveDate,
    pub report_id: Option<Uuid>,
    pub status: Option<AnnualReportStatus>,
    pub published_on: Option<NaiveDate>,
}

impl Obligation {
    /// Published after its date, or still unpublished once the date has passed.
    pub fn late(&self, today: NaiveDate) -> bool {
        match self.published_on {
            Some(day) => day > self.due_on,
            None => today > self.due_on,
        }
    }
}

/// The obligations of these organizations (all when `None`) for `year`, in name order.
pub async fn obligations(
    conn: &mut AsyncPgConnection,
    organization_ids: Option<&[Uuid]>,
    year: i32,
) -> StoreResult<Vec<Obligation>> {
    let deadlines = crate::annual_reports::deadlines(conn).await?;
    // An organization owes the report of a year it existed in (here: was registered by its end,
    // Asia/Shanghai), so that a deployment does not charge its organizations with earlier years.
    let year_end = NaiveDate::from_ymd_opt(year + 1, 1, 1)
        .and_then(domain::calendar::shanghai_midnight)
        .ok_or(crate::error::StoreError::InvalidField { field: "year", code: "out_of_range" })?;
    let mut query = organizations::table
        .left_join(
            annual_reports::table
                .on(annual_reports::organization_id.eq(organizations::id).and(annual_reports::year.eq(year))),
        )
        .select((
            organizations::id,
            organizations::name,
            organizations::kind,
            annual_reports::id.nullable(),
            annual_reports::status.nullable(),
            annual_reports::published_on.nullable(),
        ))
        .filter(organizations::created_at.lt(year_end))
        .order((organizations::name.asc(), organizations::id.asc()))
        .into_boxed();
    if let Some(ids) = organization_ids {
        query = query.filter(organizations::id.eq_any(ids.to_vec()));
    }
    type Row = (Uuid, String, String, Option<Uuid>, Option<String>, Option<NaiveDate>);
    let rows: Vec<Row> = query.load(conn).await?;
    let mut out = Vec::new();
    for (id, name, kind, report_id, status, published_on) in rows {
        let kind: OrganizationKind = parse_code(&kind)?;
        let Some(due_on) = report_due_on(kind, year, deadlines) else { continue };
        let status = status.map(|s| parse_code(&s)).transpose()?;
        out.push(Obligation {
            organization_id: id,
            organization_name: name,
            kind,
            year,
            due_on,
            report_id,
            status,
            published_on,
        });
    }
    Ok(out)
}

/// The breach's source: one obligation per organization and year, named by a stable id.
pub fn obligation_id(organization_id: Uuid, year: i32) -> Uuid {
    Uuid::new_v5(&organization_id, format!("annual_report/{year}").as_bytes())
}

/// Late reports of last year become `annual_report_late` breaches (each once); every report is
/// due within the following year, so the hourly sweep has seen each year's before the next.
/// Returns how many were new.
pub async fn record_late(conn: &mut AsyncPgConnection, today: NaiveDate) -> StoreResult<usize> {
    let mut recorded = 0;
    let year = today.year() - 1;
    for obligation in obligations(conn, None, year).await? {
        if !obligation.late(today) {
            continue;
        }
        let details = serde_json::json!({
            "year": year,
            "report_id": obligation.report_id,
            "published_on": obligation.published_on,
            "detected_on": today,
        });
        if crate::documents::record_breach(
            conn,
            "annual_report_late",
            obligation.organization_id,
            "annual_report_obligation",
            obligation_id(obligation.organization_id, year),
            obligation.due_on,
            details,
        )
        .await?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}
