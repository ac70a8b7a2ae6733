pub mod annual_report_views;
pub mod annual_reports;
pub mod attachment_owners;
pub mod attachments;
pub mod auth;
pub mod breaches;
pub mod calendar;
pub mod catalogs;
pub mod clients;
pub mod consultations;
pub mod document_actions;
pub mod documents;
pub mod evaluation;
pub mod evaluation_periods;
pub mod experts;
pub mod feeds;
pub mod interpretations;
pub mod legal_challenges;
pub mod meetings;
pub mod messages;
pub mod meta;
pub mod oauth;
pub mod open_days;
pub mod opinion_releases;
pub mod opinions;
pub mod organization_records;
pub mod organizations;
pub mod passwords;
pub mod public;
pub mod public_annual_reports;
pub mod public_catalogs;
pub mod public_consultations;
pub mod public_requests;
pub mod reading_venues;
pub mod rectifications;
pub mod reposts;
pub mod request_actions;
pub mod requests;
pub mod search;
pub mod self_inspections;
pub mod spot_checks;
pub mod staff_scope;
pub mod sync;
pub mod training;
pub mod users;
pub mod webhooks;
pub mod websites;
pub mod work_report_hearings;

use utoipa_actix_web::service_config::ServiceConfig;
use validator::ValidationError;

/// Refuses a query's year outside 2000–2100 (422 `year_range` on `field`): every record here is
/// dated within it, and some dates the parser accepts are beyond what PostgreSQL or chrono's
/// arithmetic can hold.
pub fn plausible_year(field: &str, year: i32) -> Result<(), crate::error::ApiError> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(crate::error::ApiError::field(
            field,
            "year_range",
            "年份超出允许范围（2000年至2100年）",
            "The year is out of the allowed range (2000 to 2100)",
        ))
    }
}

/// A query's date within the years `plausible_year` allows.
pub fn plausible_date(field: &str, date: chrono::NaiveDate) -> Result<(), crate::error::ApiError> {
    use chrono::Datelike;
    plausible_year(field, date.year())
}

/// Refuses text that is only white space.
pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(ValidationError::new("blank"))
    } else {
        Ok(())
    }
}

/// Every route of `/api/v1`, registered through utoipa so that the contract is derived from the
/// very calls that route requests.
pub fn api_v1(cfg: &mut ServiceConfig) {
    // First, and in a scope of their own: the anonymous read path is the busiest, and a scope is
    // passed over by its prefix, so neither side tries the other's route patterns one by one
    // (route matching was about a sixth of the server's CPU under the get load; issue 11).
    cfg.service(utoipa_actix_web::scope("/public").configure(public_v1));
    cfg.service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(passwords::account_policy)
        .service(passwords::change_own)
        .service(auth::me)
        .service(oauth::token)
        .service(organizations::list)
        .service(organizations::create)
        .service(organizations::get)
        .service(organizations::update)
        .service(organizations::remove)
        .service(organization_records::update_leadership)
        .service(users::list)
        .service(users::create)
        .service(users::get)
        .service(users::update)
        .service(users::remove)
        .service(users::reset_password)
        .service(clients::list)
        .service(clients::create)
        .service(clients::get)
        .service(clients::update)
        .service(clients::remove)
        .service(clients::rotate_secret)
        .service(calendar::list_years)
        .service(calendar::get_year)
        .service(calendar::put_year)
        .service(calendar::deadline)
        .service(calendar::list_local_holidays)
        .service(calendar::put_local_holiday)
        .service(calendar::delete_local_holiday)
        .service(documents::list)
        .service(documents::create)
        .service(documents::get)
        .service(documents::update)
        .service(document_actions::submit)
        .service(document_actions::openness_review)
        .service(document_actions::secrecy_review)
        .service(document_actions::confirm)
        .service(document_actions::return_document)
        .service(document_actions::approve)
        .service(document_actions::publish)
        .service(document_actions::file)
        .service(document_actions::repeal)
        .service(document_actions::history)
        .service(document_actions::publish_deadline)
        .service(document_actions::reviews)
        .service(interpretations::list)
        .service(interpretations::create)
        .service(interpretations::get)
        .service(interpretations::update)
        .service(interpretations::sign)
        .service(interpretations::publish)
        .service(interpretations::secrecy_review)
        .service(experts::list)
        .service(experts::create)
        .service(experts::get)
        .service(experts::update)
        .service(attachments::upload_to_document)
        .service(attachments::upload_to_interpretation)
        .service(attachments::list_for_document)
        .service(attachments::list_for_interpretation)
        .service(attachments::content)
        .service(attachments::remove)
        .service(attachment_owners::upload_to_request_reply)
        .service(attachment_owners::list_for_request_reply)
        .service(attachment_owners::upload_to_opinion_release)
        .service(attachment_owners::list_for_opinion_release)
        .service(attachment_owners::upload_to_consultation)
        .service(attachment_owners::list_for_consultation)
        .service(requests::list)
        .service(requests::register)
        .service(requests::get)
        .service(requests::history)
        .service(requests::deadline)
        .service(requests::groups)
        .service(requests::get_settings)
        .service(requests::put_settings)
        .service(request_actions::accept)
        .service(request_actions::request_correction)
        .service(request_actions::record_correction)
        .service(request_actions::consult)
        .service(request_actions::record_opinion)
        .service(request_actions::extend)
        .service(request_actions::fee_notice)
        .service(request_actions::record_payment)
        .service(request_actions::reply)
        .service(request_actions::archive)
        .service(request_actions::close)
        .service(request_actions::group)
        .service(consultations::list)
        .service(consultations::create)
        .service(consultations::get)
        .service(consultations::update)
        .service(consultations::open)
        .service(consultations::close)
        .service(consultations::publish_results)
        .service(consultations::comments)
        .service(consultations::create_cluster)
        .service(consultations::clusters)
        .service(consultations::moderate)
        .service(consultations::comment_result)
        .service(consultations::cluster_result)
        .service(consultations::get_settings)
        .service(consultations::put_settings)
        .service(meetings::list)
        .service(meetings::create)
        .service(meetings::get)
        .service(meetings::update)
        .service(meetings::approve)
        .service(meetings::hold)
        .service(messages::list)
        .service(messages::reply)
        .service(messages::publish)
        .service(messages::withdraw)
        .service(messages::put_settings)
        .service(opinions::create)
        .service(opinions::list)
        .service(opinions::get)
        .service(opinions::update)
        .service(opinions::name_lead)
        .service(opinions::consult)
        .service(opinions::assess)
        .service(opinions::respond)
        .service(opinions::evaluate)
        .service(opinion_releases::release)
        .service(opinion_releases::releases)
        .service(opinion_releases::refer)
        .service(opinion_releases::referrals)
        .service(opinion_releases::clocks)
        .service(opinion_releases::get_settings)
        .service(opinion_releases::put_settings)
        .service(open_days::announce)
        .service(open_days::list)
        .service(open_days::get)
        .service(open_days::update)
        .service(open_days::cancel)
        .service(open_days::registrations)
        .service(catalogs::list_areas)
        .service(catalogs::create_area)
        .service(catalogs::create)
        .service(catalogs::list)
        .service(catalogs::get)
        .service(catalogs::items)
        .service(catalogs::replace_items)
        .service(catalogs::import)
        .service(catalogs::publish)
        .service(catalogs::versions)
        .service(reposts::register)
        .service(reposts::list_documents)
        .service(reposts::get_document)
        .service(reposts::document_report)
        .service(reposts::period_report)
        .service(reposts::list_obligations)
        .service(reposts::get_obligation)
        .service(reposts::repost)
        .service(self_inspections::open)
        .service(self_inspections::list)
        .service(self_inspections::get)
        .service(self_inspections::decide)
        .service(self_inspections::submit)
        .service(rectifications::list)
        .service(rectifications::get)
        .service(rectifications::history)
        .service(rectifications::submit)
        .service(rectifications::verify)
        .service(rectifications::reopen)
        .service(websites::create)
        .service(websites::list)
        .service(websites::get)
        .service(websites::update)
        .service(websites::record_check)
        .service(websites::checks)
        .service(spot_checks::create)
        .service(spot_checks::list)
        .service(spot_checks::get)
        .service(spot_checks::record_finding)
        .service(spot_checks::complete)
        .service(reading_venues::create)
        .service(reading_venues::list)
        .service(reading_venues::get)
        .service(reading_venues::update)
        .service(reading_venues::place)
        .service(reading_venues::placements)
        .service(breaches::list)
        .service(breaches::get)
        .service(breaches::create)
        .service(breaches::decide)
        .service(annual_reports::create)
        .service(annual_reports::list)
        .service(annual_reports::get)
        .service(annual_reports::edit)
        .service(annual_reports::review)
        .service(annual_reports::reopen)
        .service(annual_reports::publish)
        .service(annual_reports::deadlines)
        .service(annual_reports::settings)
        .service(annual_reports::update_settings)
        .service(legal_challenges::create)
        .service(legal_challenges::list)
        .service(legal_challenges::get)
        .service(legal_challenges::conclude)
        .service(organization_records::create_priority)
        .service(organization_records::list_priorities)
        .service(organization_records::get_priority)
        .service(organization_records::update_priority)
        .service(organization_records::delete_priority)
        .service(work_report_hearings::record)
        .service(work_report_hearings::list)
        .service(work_report_hearings::get)
        .service(work_report_hearings::check)
        .service(training::create_plan)
        .service(training::list_plans)
        .service(training::get_plan)
        .service(training::add_session)
        .service(training::get_session)
        .service(training::record_attendance)
        .service(training::coverage)
        .service(evaluation::create_system)
        .service(evaluation::list_systems)
        .service(evaluation::get_system)
        .service(evaluation::replace_indicators)
        .service(evaluation::get_settings)
        .service(evaluation::put_settings)
        .service(evaluation_periods::create)
        .service(evaluation_periods::list)
        .service(evaluation_periods::get)
        .service(evaluation_periods::record_scores)
        .service(evaluation_periods::scores)
        .service(evaluation_periods::ranking)
        .service(sync::changes)
        .service(webhooks::create)
        .service(webhooks::list)
        .service(webhooks::get)
        .service(webhooks::update)
        .service(webhooks::remove)
        .service(webhooks::rotate_secret)
        .service(webhooks::list_deliveries)
        .service(webhooks::get_delivery)
        .service(webhooks::replay)
        .service(search::staff_search)
        .service(meta::enums)
        .service(meta::audit_log)
        .service(meta::verify_audit);
}

/// Routes outside `/api/v1`.
pub fn root(cfg: &mut ServiceConfig) {
    cfg.service(meta::healthz).service(meta::readyz).service(oauth::jwks);
}

/// The anonymous operations, under `/api/v1/public`.
fn public_v1(cfg: &mut ServiceConfig) {
    // The busiest first: a request is tried against each route in turn, and a route with a path
    // parameter is tried by a regular expression (issue 11). None of these three patterns can
    // claim another's path.
    cfg.service(public::get_document).service(public::list_documents).service(search::public_search);
    cfg.service(attachments::public_content)
        .service(messages::send)
        .service(messages::published)
        .service(opinion_releases::public_releases)
        .service(open_days::public_list)
        .service(open_days::register)
        .service(public_catalogs::list)
        .service(public_catalogs::get)
        .service(reading_venues::public_list)
        .service(reading_venues::public_get)
        .service(public_annual_reports::list)
        .service(public_annual_reports::get)
        .service(public_consultations::list)
        .service(public_consultations::get)
        .service(public_consultations::comment)
        .service(public_requests::submit)
        .service(public_requests::status)
        .service(public_requests::reply_attachment)
        .service(organization_records::public_get)
        .service(feeds::document_feed);
}
