//! `/api/v1/calendar`: the working-day calendar the statutory clocks run on, and due-date
//! explanations. Reading is open to every caller; only system_admin edits a year.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::calendar::{check_schedule, DeadlineExplanation, YearSchedule};
use domain::Action;
use persistence::calendar::{self, CalendarYear};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult, FieldProblem, Localized};
use crate::http::conditional::{expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::routes::not_blank;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    #[schema(value_type = String, format = Date, example = "2026-02-16")]
    pub date: NaiveDate,
    /// The holiday, e.g. 春节.
    #[validate(length(min = 1, max = 50), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 50, example = "春节")]
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarYearDto {
    pub year: i32,
    /// The notice that published the schedule.
    pub source: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    /// Days off (holidays, including weekdays inside a holiday span), in date order.
    pub off_days: Vec<CalendarDay>,
    /// Weekend days that are working days (调休上班), in date order.
    pub makeup_workdays: Vec<CalendarDay>,
    /// Working days in the year under this schedule.
    pub working_days: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYearList {
    pub items: Vec<CalendarYearDto>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "国办发明电〔2024〕12号《国务院办公厅关于2025年部分节假日安排的通知》"
    )]
    pub source: String,
    #[validate(length(max = 366), nested)]
    #[schema(max_items = 366)]
    pub off_days: Vec<CalendarDay>,
    #[validate(length(max = 60), nested)]
    #[schema(max_items = 60)]
    pub makeup_workdays: Vec<CalendarDay>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// The day the period starts from (not counted), e.g. the receipt date.
    #[param(value_type = String, format = Date, example = "2026-02-10")]
    pub from: NaiveDate,
    /// Working days to add, 0–400.
    #[param(minimum = 0, maximum = 400, example = 20)]
    pub working_days: u32,
}

fn to_dto(year: CalendarYear, working_days: u32) -> CalendarYearDto {
    let days =
        |map: BTreeMap<NaiveDate, String>| map.into_iter().map(|(date, name)| CalendarDay { date, name }).collect();
    CalendarYearDto {
        year: year.year,
        source: year.source,
        version: year.version,
        updated_at: year.updated_at,
        off_days: days(year.schedule.off_days),
        makeup_workdays: days(year.schedule.makeup_workdays),
        working_days,
    }
}

fn working_days_in(calendar: &domain::calendar::WorkCalendar, year: i32) -> u32 {
    let last_day_before = NaiveDate::from_ymd_opt(year - 1, 12, 31);
    let last_day = NaiveDate::from_ymd_opt(year, 12, 31);
    match (last_day_before, last_day) {
        (Some(from), Some(to)) => calendar.working_days_between(from, to),
        _ => 0,
    }
}

fn year_param(year: i32) -> ApiResult<i32> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::bad_request("invalid_path_parameter")
            .detail("年份须在 2000 到 2100 之间", "The year must be between 2000 and 2100"))
    }
}

/// Every published year with its schedule.
#[utoipa::path(operation_id = "list_calendar_years", tag = "calendar", responses((status = 200, description = "Published years", body = CalendarYearList)), security(()))]
#[get("/calendar/years")]
pub async fn list_years(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let calendar = calendar::load(&conn).await?;
    let items = calendar::list_years(&mut conn)
        .await?
        .into_iter()
        .map(|y| {
            let n = working_days_in(&calendar, y.year);
            to_dto(y, n)
        })
        .collect();
    Ok(HttpResponse::Ok().json(CalendarYearList { items }))
}

/// One year's schedule; 404 `calendar_year_not_published` when the State Council's schedule has not been entered.
#[utoipa::path(operation_id = "get_calendar_year", tag = "calendar", params(("year" = i32, Path, description = "e.g. 2026", minimum = 2000, maximum = 2100)), responses((status = 200, description = "The year's schedule", body = CalendarYearDto)), security(()))]
#[get("/calendar/years/{year}")]
pub async fn get_year(state: web::Data<AppState>, year: web::Path<i32>) -> ApiResult<HttpResponse> {
    let year = year_param(*year)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let found = match calendar::get_year(&mut conn, year).await {
        Err(persistence::StoreError::NotFound) => {
            return Err(ApiError::new(actix_web::http::StatusCode::NOT_FOUND, "calendar_year_not_published"))
        }
        other => other?,
    };
    let calendar = calendar::load(&conn).await?;
    let version = found.version;
    Ok(ok_with_etag(&to_dto(found, working_days_in(&calendar, year)), version))
}

fn field_problem(code: &str, zh: String, en: String) -> FieldProblem {
    FieldProblem { code: code.to_owned(), message: Localized::new(zh, en) }
}

/// Turns the input into a schedule, collecting every problem (duplicates, dates of another year,
/// make-up days that are not weekends, days both off and working).
fn schedule_from(year: i32, input: &CalendarYearInput) -> ApiResult<YearSchedule> {
    let mut errors: BTreeMap<String, Vec<FieldProblem>> = BTreeMap::new();
    let mut schedule = YearSchedule::default();
    for (field, list, target) in [
        ("off_days", &input.off_days, &mut schedule.off_days),
        ("makeup_workdays", &input.makeup_workdays, &mut schedule.makeup_workdays),
    ] {
        let mut seen = BTreeSet::new();
        for (index, day) in list.iter().enumerate() {
            if !seen.insert(day.date) {
                errors.entry(format!("{field}[{index}].date")).or_default().push(field_problem(
                    "duplicate_date",
                    format!("日期 {} 重复", day.date),
                    format!("{} is listed twice", day.date),
                ));
            }
            target.insert(day.date, day.name.trim().to_owned());
        }
    }
    for problem in check_schedule(year, &schedule) {
        let date = problem.date();
        let (zh, en) = match problem.code() {
            "date_outside_year" => (format!("{date} 不属于 {year} 年"), format!("{date} is not in {year}")),
            "makeup_day_not_weekend" => (
                format!("{date} 不是周末，不能作为调休上班日"),
                format!("{date} is not a weekend day, so it cannot be a make-up working day"),
            ),
            _ => (format!("{date} 不能既放假又上班"), format!("{date} cannot be both a day off and a working day")),
        };
        errors.entry("schedule".into()).or_default().push(field_problem(problem.code(), zh, en));
    }
    if errors.is_empty() {
        Ok(schedule)
    } else {
        Err(ApiError {
            errors: Some(errors),
            ..ApiError::new(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        })
    }
}

/// Enter or replace a year's schedule (system_admin). Send `If-Match` to avoid overwriting a concurrent edit.
#[utoipa::path(
    operation_id = "put_calendar_year",
    tag = "calendar",
    params(("year" = i32, Path, description = "e.g. 2027", minimum = 2000, maximum = 2100), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = CalendarYearInput,
    responses((status = 200, description = "The year as stored", body = CalendarYearDto))
)]
#[put("/calendar/years/{year}")]
pub async fn put_year(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    year: web::Path<i32>,
    body: ValidJson<CalendarYearInput>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageCalendar)?;
    let year = year_param(*year)?;
    let expected = expected_version(&req)?;
    let schedule = schedule_from(year, &body.0)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let (stored, _moved) =
        calendar::put_year(&mut conn, &auth.actor(), year, body.0.source.trim(), &schedule, expected).await?;
    let calendar = calendar::load(&conn).await?;
    let version = stored.version;
    Ok(ok_with_etag(&to_dto(stored, working_days_in(&calendar, year)), version))
}

/// Compute a due date: `working_days` after `from` (not counted), with every skipped day explained.
#[utoipa::path(operation_id = "explain_deadline", tag = "calendar", params(DeadlineQuery), responses((status = 200, description = "The due date and how it was computed", body = DeadlineExplanation)), security(()))]
#[get("/calendar/deadline")]
pub async fn deadline(state: web::Data<AppState>, query: web::Query<DeadlineQuery>) -> ApiResult<HttpResponse> {
    if query.working_days > 400 {
        return Err(ApiError::field(
            "working_days",
            "range",
            "工作日数须在 0 到 400 之间",
            "working_days must be between 0 and 400",
        ));
    }
    if !(2000..=2099).contains(&query.from.year()) {
        return Err(ApiError::field(
            "from",
            "range",
            "日期须在 2000 到 2099 年之间",
            "from must be between 2000 and 2099",
        ));
    }
    let conn = persistence::connection(&state.pool).await?;
    let calendar = calendar::load(&conn).await?;
    Ok(HttpResponse::Ok().json(calendar.explain(query.from, query.working_days, &[])))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocalHolidayDto {
    #[schema(value_type = String, format = Date, example = "2026-08-07")]
    pub date: NaiveDate,
    #[schema(example = "彝族火把节")]
    pub name: String,
    /// The local notice that set it.
    #[schema(example = "楚雄州人民政府关于2026年彝族火把节放假的通知")]
    pub source: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocalHolidayList {
    pub items: Vec<LocalHolidayDto>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalHolidayInput {
    #[validate(length(min = 1, max = 50), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 50, example = "彝族火把节")]
    pub name: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "楚雄州人民政府关于2026年彝族火把节放假的通知")]
    pub source: String,
}

fn local_dto(h: persistence::calendar::LocalHoliday) -> LocalHolidayDto {
    LocalHolidayDto { date: h.day, name: h.name, source: h.source }
}

/// Local days off (e.g. 彝族火把节), which count in every year, published or not.
#[utoipa::path(operation_id = "list_local_holidays", tag = "calendar", responses((status = 200, description = "Local holidays", body = LocalHolidayList)), security(()))]
#[get("/calendar/local-holidays")]
pub async fn list_local_holidays(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let conn = persistence::connection(&state.pool).await?;
    let items = calendar::list_local_holidays(&conn).await?.into_iter().map(local_dto).collect();
    Ok(HttpResponse::Ok().json(LocalHolidayList { items }))
}

/// Set a local holiday (system_admin); every open due date is recomputed with it.
#[utoipa::path(operation_id = "put_local_holiday", tag = "calendar", params(("date" = String, Path, format = Date, description = "e.g. 2026-08-07")), request_body = LocalHolidayInput, responses((status = 200, description = "Stored", body = LocalHolidayDto)))]
#[put("/calendar/local-holidays/{date}")]
pub async fn put_local_holiday(
    state: web::Data<AppState>,
    auth: Auth,
    date: web::Path<NaiveDate>,
    body: ValidJson<LocalHolidayInput>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageCalendar)?;
    year_param(date.year())?;
    let mut conn = persistence::connection(&state.pool).await?;
    let (holiday, _) =
        calendar::put_local_holiday(&mut conn, &auth.actor(), *date, body.0.name.trim(), body.0.source.trim()).await?;
    Ok(HttpResponse::Ok().json(local_dto(holiday)))
}

/// Remove a local holiday (system_admin); every open due date is recomputed without it.
#[utoipa::path(operation_id = "delete_local_holiday", tag = "calendar", params(("date" = String, Path, format = Date, description = "e.g. 2026-08-07")), responses((status = 204, description = "Removed")))]
#[delete("/calendar/local-holidays/{date}")]
pub async fn delete_local_holiday(
    state: web::Data<AppState>,
    auth: Auth,
    date: web::Path<NaiveDate>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageCalendar)?;
    let mut conn = persistence::connection(&state.pool).await?;
    calendar::delete_local_holiday(&mut conn, &auth.actor(), *date).await?;
    Ok(HttpResponse::NoContent().finish())
}
