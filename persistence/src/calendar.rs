//! The working-day calendar table: each published year's days off and make-up working days.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::calendar::{WorkCalendar, YearSchedule};
use futures_util::TryFutureExt;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::{calendar_days, calendar_years, local_holidays};

const OFF_DAY: &str = "off_day";
const MAKEUP_WORKDAY: &str = "makeup_workday";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYear {
    pub year: i32,
    pub source: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub schedule: YearSchedule,
}

type YearRow = (i32, String, i32, DateTime<Utc>);

async fn days_of(
    mut conn: &AsyncPgConnection,
    year: Option<i32>,
) -> StoreResult<Vec<(NaiveDate, i32, String, String)>> {
    let mut query = calendar_days::table
        .select((calendar_days::day, calendar_days::year, calendar_days::kind, calendar_days::name))
        .order(calendar_days::day)
        .into_boxed();
    if let Some(year) = year {
        query = query.filter(calendar_days::year.eq(year));
    }
    Ok(query.load(&mut conn).await?)
}

fn add_day(schedule: &mut YearSchedule, day: NaiveDate, kind: &str, name: String) {
    if kind == MAKEUP_WORKDAY {
        schedule.makeup_workdays.insert(day, name);
    } else {
        schedule.off_days.insert(day, name);
    }
}

/// The whole calendar (a few hundred rows at most), for computing due dates.
/// The three reads are pipelined: one round trip to the database instead of three.
pub async fn load(mut conn: &AsyncPgConnection) -> StoreResult<WorkCalendar> {
    let years = calendar_years::table.select(calendar_years::year).load::<i32>(&mut conn);
    let (years, days, holidays) =
        futures_util::try_join!(years.err_into(), days_of(conn, None), list_local_holidays(conn))?;
    let mut schedules: std::collections::BTreeMap<i32, YearSchedule> =
        years.into_iter().map(|y| (y, YearSchedule::default())).collect();
    for (day, year, kind, name) in days {
        if let Some(schedule) = schedules.get_mut(&year) {
            add_day(schedule, day, &kind, name);
        }
    }
    let mut calendar = WorkCalendar::new();
    for (year, schedule) in schedules {
        calendar.set_year(year, schedule);
    }
    for holiday in holidays {
        calendar.add_local_holiday(holiday.day, holiday.name);
    }
    Ok(calendar)
}

pub async fn list_years(conn: &mut AsyncPgConnection) -> StoreResult<Vec<CalendarYear>> {
    let rows: Vec<YearRow> = calendar_years::table
        .select((calendar_years::year, calendar_years::source, calendar_years::version, calendar_years::updated_at))
        .order(calendar_years::year)
        .load(conn)
        .await?;
    let mut years = Vec::new();
    for row in rows {
        years.push(with_days(conn, row).await?);
    }
    Ok(years)
}

async fn with_days(
    conn: &mut AsyncPgConnection,
    (year, source, version, updated_at): YearRow,
) -> StoreResult<CalendarYear> {
    let mut schedule = YearSchedule::default();
    for (day, _, kind, name) in days_of(conn, Some(year)).await? {
        add_day(&mut schedule, day, &kind, name);
    }
    Ok(CalendarYear { year, source, version, updated_at, schedule })
}

pub async fn get_year(conn: &mut AsyncPgConnection, year: i32) -> StoreResult<CalendarYear> {
    let row: YearRow = calendar_years::table
        .find(year)
        .select((calendar_years::year, calendar_years::source, calendar_years::version, calendar_years::updated_at))
        .first(conn)
        .await?;
    with_days(conn, row).await
}

/// Replaces a year's schedule (publishing it if it was not), in one transaction with its audit row
/// and the recomputation of every open due date. Returns the year and how many due dates moved.
pub async fn put_year(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    year: i32,
    source: &str,
    schedule: &YearSchedule,
    expected_version: Option<i32>,
) -> StoreResult<(CalendarYear, usize)> {
    conn.transaction(async |conn| {
        let current: Option<i32> = calendar_years::table
            .find(year)
            .select(calendar_years::version)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if let (Some(expected), Some(current)) = (expected_version, current) {
            if expected != current {
                return Err(StoreError::StaleVersion);
            }
        }
        match current {
            Some(_) => {
                diesel::update(calendar_years::table.find(year))
                    .set((
                        calendar_years::source.eq(source),
                        calendar_years::version.eq(calendar_years::version + 1),
                        calendar_years::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
                diesel::delete(calendar_days::table.filter(calendar_days::year.eq(year))).execute(conn).await?;
            }
            None => {
                diesel::insert_into(calendar_years::table)
                    .values((calendar_years::year.eq(year), calendar_years::source.eq(source)))
                    .execute(conn)
                    .await?;
            }
        }
        let rows: Vec<_> = schedule
            .off_days
            .iter()
            .map(|(day, name)| (day, OFF_DAY, name))
            .chain(schedule.makeup_workdays.iter().map(|(day, name)| (day, MAKEUP_WORKDAY, name)))
            .map(|(day, kind, name)| {
                (
                    calendar_days::day.eq(*day),
                    calendar_days::year.eq(year),
                    calendar_days::kind.eq(kind),
                    calendar_days::name.eq(name),
                )
            })
            .collect();
        if !rows.is_empty() {
            diesel::insert_into(calendar_days::table).values(rows).execute(conn).await?;
        }
        let details = serde_json::json!({
            "year": year,
            "off_days": schedule.off_days.len(),
            "makeup_workdays": schedule.makeup_workdays.len(),
        });
        let change = Change {
            action: "calendar.update",
            entity_type: "calendar_year",
            entity_id: None,
            changed_fields: vec!["schedule".into()],
            details,
        };
        let moved = record_and_recompute(conn, actor, change).await?;
        Ok((get_year(conn, year).await?, moved))
    })
    .await
}

#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = local_holidays)]
pub struct LocalHoliday {
    pub day: NaiveDate,
    pub name: String,
    pub source: String,
    pub created_at: DateTime<Utc>,
}

pub async fn list_local_holidays(mut conn: &AsyncPgConnection) -> StoreResult<Vec<LocalHoliday>> {
    Ok(local_holidays::table.order(local_holidays::day).select(LocalHoliday::as_select()).load(&mut conn).await?)
}

/// Sets (or renames) a local holiday and recomputes every open due date, in one transaction.
pub async fn put_local_holiday(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    day: NaiveDate,
    name: &str,
    source: &str,
) -> StoreResult<(LocalHoliday, usize)> {
    conn.transaction(async |conn| {
        let holiday = diesel::insert_into(local_holidays::table)
            .values((local_holidays::day.eq(day), local_holidays::name.eq(name), local_holidays::source.eq(source)))
            .on_conflict(local_holidays::day)
            .do_update()
            .set((local_holidays::name.eq(name), local_holidays::source.eq(source)))
            .returning(LocalHoliday::as_returning())
            .get_result(conn)
            .await?;
        let details = serde_json::json!({"day": day, "name": name});
        let change = Change {
            action: "calendar.local_holiday_set",
            entity_type: "calendar_year",
            entity_id: None,
            changed_fields: vec!["local_holidays".into()],
            details,
        };
        let moved = record_and_recompute(conn, actor, change).await?;
        Ok((holiday, moved))
    })
    .await
}

/// Removes a local holiday and recomputes every open due date, in one transaction.
pub async fn delete_local_holiday(conn: &mut AsyncPgConnection, actor: &Actor, day: NaiveDate) -> StoreResult<usize> {
    conn.transaction(async |conn| {
        let removed = diesel::delete(local_holidays::table.find(day)).execute(conn).await?;
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        let details = serde_json::json!({"day": day});
        let change = Change {
            action: "calendar.local_holiday_removed",
            entity_type: "calendar_year",
            entity_id: None,
            changed_fields: vec!["local_holidays".into()],
            details,
        };
        record_and_recompute(conn, actor, change).await
    })
    .await
}

/// The advisory lock that orders calendar changes against acts that compute a due date from the
/// calendar: those hold it shared for their transaction, a calendar change exclusively while it
/// recomputes. Without it a request filed during a calendar change could keep a due date computed
/// on the old calendar that the recomputation never saw.
const CALENDAR_LOCK: i64 = 0x6761_6e67_6b61_6931;

/// Holds the calendar lock shared until the transaction ends. Take it before any row lock, as the
/// calendar change takes it before locking the rows it recomputes.
pub async fn hold_shared(conn: &mut AsyncPgConnection) -> StoreResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind::<diesel::sql_types::BigInt, _>(CALENDAR_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// After any calendar change, inside its transaction: the audit row, then every open clock moved
/// with the calendar it depends on. Returns how many due dates moved.
async fn record_and_recompute(conn: &mut AsyncPgConnection, actor: &Actor, change: Change<'_>) -> StoreResult<usize> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(CALENDAR_LOCK)
        .execute(conn)
        .await?;
    audit::record(conn, actor, change).await?;
    let calendar = load(conn).await?;
    let documents = crate::documents::recompute_due_dates(conn, actor, &calendar).await?;
    let requests = crate::request_acts::recompute_due_dates(conn, actor, &calendar, "calendar_changed").await?;
    let messages = crate::messages::recompute_due_dates(conn, actor, &calendar).await?;
    let reposts = crate::reposts::recompute_due_dates(conn, actor, &calendar).await?;
    Ok(documents + requests + messages + reposts)
}
