//! Disclosure requests: intake (online by the applicant, or registered by staff), reading and
//! listing, the county's request settings and the art. 44 groups. The workflow acts are in
//! `request_acts`. Personal data is sealed before it reaches a row and opened only on demand.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::identity::IdentityDocumentType;
use domain::request_outcomes::RequestOutcome;
use domain::request_workflow::{
    ClockFacts, ConsultationSpan, DeliveryMethod, FeeSettings, FeeSpan, InformationForm, RequestState,
};
use domain::requests::{ApplicantType, ReceiptChannel};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code as parse, StoreError, StoreResult};
use crate::personal_data::Sealer;
use crate::schema::{
    disclosure_requests as dr, request_consultations, request_events, request_fee_notices, request_settings,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dr)]
pub(crate) struct RequestRow {
    id: Uuid,
    tracking_code: String,
    organization_id: Uuid,
    applicant_type: String,
    applicant_name: String,
    identity_document_type: String,
    identity_number_sealed: Vec<u8>,
    identity_number_masked: String,
    applicant_key: String,
    phone_sealed: Option<Vec<u8>>,
    phone_masked: Option<String>,
    email_sealed: Option<Vec<u8>>,
    email_masked: Option<String>,
    address_sealed: Option<Vec<u8>>,
    description: String,
    document_number: Option<String>,
    information_form: String,
    delivery_method: String,
    channel: String,
    arrived_on: NaiveDate,
    signed_for_on: Option<NaiveDate>,
    confirmed_on: Option<NaiveDate>,
    proxy_filled: bool,
    needs_assistance: bool,
    received_on: NaiveDate,
    corrected_on: Option<NaiveDate>,
    state: String,
    due_on: NaiveDate,
    due_provisional: bool,
    correction_requested_on: Option<NaiveDate>,
    correction_items: Option<Vec<String>>,
    correction_deadline: Option<NaiveDate>,
    extension_days: i32,
    extension_reason: Option<String>,
    extension_approved_by: Option<Uuid>,
    extended_on: Option<NaiveDate>,
    outcome: Option<String>,
    closed_on: Option<NaiveDate>,
    archived_on: Option<NaiveDate>,
    group_id: Uuid,
    registered_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A disclosure request. Sealed personal data stays sealed until [`DisclosureRequest::unseal`].
#[derive(Debug, Clone)]
pub struct DisclosureRequest {
    pub id: Uuid,
    pub tracking_code: String,
    pub organization_id: Uuid,
    pub applicant_type: ApplicantType,
    pub applicant_name: String,
    pub identity_document_type: IdentityDocumentType,
    pub identity_number_masked: String,
    pub applicant_key: String,
    pub phone_masked: Option<String>,
    pub email_masked: Option<String>,
    pub description: String,
    pub document_number: Option<String>,
    pub information_form: InformationForm,
    pub delivery_method: DeliveryMethod,
    pub channel: ReceiptChannel,
    pub arrived_on: NaiveDate,
    pub signed_for_on: Option<NaiveDate>,
    pub confirmed_on: Option<NaiveDate>,
    pub proxy_filled: bool,
    pub needs_assistance: bool,
    pub received_on: NaiveDate,
    pub corrected_on: Option<NaiveDate>,
    pub state: RequestState,
    pub due_on: NaiveDate,
    pub due_provisional: bool,
    pub correction_requested_on: Option<NaiveDate>,
    pub correction_items: Vec<String>,
    pub correction_deadline: Option<NaiveDate>,
    pub extension_days: i32,
    pub extension_reason: Option<String>,
    pub extension_approved_by: Option<Uuid>,
    pub extended_on: Option<NaiveDate>,
    pub outcome: Option<RequestOutcome>,
    pub closed_on: Option<NaiveDate>,
    pub archived_on: Option<NaiveDate>,
    pub group_id: Uuid,
    pub registered_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    sealed: SealedContact,
}

#[derive(Debug, Clone)]
struct SealedContact {
    identity_number: Vec<u8>,
    phone: Option<Vec<u8>>,
    email: Option<Vec<u8>>,
    address: Option<Vec<u8>>,
}

/// The applicant's personal data in clear, for the handling officers only. Its `Debug` hides the
/// values, so that no log line can carry them by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalData {
    pub identity_number: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

fn context(column: &str, id: Uuid) -> String {
    format!("disclosure_requests.{column}:{id}")
}

impl DisclosureRequest {
    pub fn unseal(&self, sealer: &Sealer) -> StoreResult<PersonalData> {
        let open = |column: &str, sealed: &Option<Vec<u8>>| {
            sealed.as_deref().map(|s| sealer.open(&context(column, self.id), s)).transpose()
        };
        Ok(PersonalData {
            identity_number: sealer.open(&context("identity_number", self.id), &self.sealed.identity_number)?,
            phone: open("phone", &self.sealed.phone)?,
            email: open("email", &self.sealed.email)?,
            address: open("address", &self.sealed.address)?,
        })
    }

    /// The day the answer period counts from: the corrected request's arrival, or the receipt.
    pub fn clock_start(&self) -> NaiveDate {
        self.corrected_on.unwrap_or(self.received_on)
    }

    /// Whether the answer clock runs: it stops for good once the request is answered or closed,
    /// and waits for the corrected request while a correction is outstanding.
    pub fn clock_runs(&self) -> bool {
        matches!(self.state, RequestState::Received | RequestState::InProgress | RequestState::Paused)
    }
}

impl TryFrom<RequestRow> for DisclosureRequest {
    type Error = StoreError;
    fn try_from(r: RequestRow) -> StoreResult<Self> {
        Ok(DisclosureRequest {
            id: r.id,
            tracking_code: r.tracking_code,
            organization_id: r.organization_id,
            applicant_type: parse(&r.applicant_type)?,
            applicant_name: r.applicant_name,
            identity_document_type: parse(&r.identity_document_type)?,
            identity_number_masked: r.identity_number_masked,
            applicant_key: r.applicant_key,
            phone_masked: r.phone_masked,
            email_masked: r.email_masked,
            description: r.description,
            document_number: r.document_number,
            information_form: parse(&r.information_form)?,
            delivery_method: parse(&r.delivery_method)?,
            channel: parse(&r.channel)?,
            arrived_on: r.arrived_on,
            signed_for_on: r.signed_for_on,
            confirmed_on: r.confirmed_on,
            proxy_filled: r.proxy_filled,
            needs_assistance: r.needs_assistance,
            received_on: r.received_on,
            corrected_on: r.corrected_on,
            state: parse(&r.state)?,
            due_on: r.due_on,
            due_provisional: r.due_provisional,
            correction_requested_on: r.correction_requested_on,
            correction_items: r.correction_items.unwrap_or_default(),
            correction_deadline: r.correction_deadline,
            extension_days: r.extension_days,
            extension_reason: r.extension_reason,
            extension_approved_by: r.extension_approved_by,
            extended_on: r.extended_on,
            outcome: r.outcome.as_deref().map(parse).transpose()?,
            closed_on: r.closed_on,
            archived_on: r.archived_on,
            group_id: r.group_id,
            registered_by: r.registered_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            sealed: SealedContact {
                identity_number: r.identity_number_sealed,
                phone: r.phone_sealed,
                email: r.email_sealed,
                address: r.address_sealed,
            },
        })
    }
}

impl std::fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalData(<redacted>)")
    }
}

/// Who asks (art. 29 ¶2(一)); numbers already validated and normalized. `Debug` is redacted.
#[derive(Clone)]
pub struct Applicant {
    pub applicant_type: ApplicantType,
    pub name: String,
    pub identity_document_type: IdentityDocumentType,
    pub identity_number: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

impl std::fmt::Debug for Applicant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applicant").field("applicant_type", &self.applicant_type).finish_non_exhaustive()
    }
}

/// What is asked, and how it should come (art. 29 ¶2(二)(三)).
#[derive(Debug, Clone)]
pub struct Asked {
    pub organization_id: Uuid,
    pub description: String,
    pub document_number: Option<String>,
    pub information_form: InformationForm,
    pub delivery_method: DeliveryMethod,
    /// Art. 43: the applicant has reading, sight or hearing difficulties.
    pub needs_assistance: bool,
}

/// How and when it arrived; `received_on` already decided by the art. 31 rules.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub channel: ReceiptChannel,
    pub arrived_on: NaiveDate,
    pub signed_for_on: Option<NaiveDate>,
    pub confirmed_on: Option<NaiveDate>,
    pub proxy_filled: bool,
    pub received_on: NaiveDate,
}

/// The applicant's receipt: the tracking code and, shown once, the secret query token.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub request: DisclosureRequest,
    pub query_token: String,
}

/// The purpose string of the applicant index.
pub const APPLICANT_INDEX: &str = "applicant";

/// What makes two requests ask for the same information (art. 44): the document number when one
/// is given, otherwise the description without spacing and punctuation.
pub fn subject_key(description: &str, document_number: Option<&str>) -> String {
    let squash =
        |text: &str| -> String { text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect() };
    match document_number.map(squash).filter(|n| !n.is_empty()) {
        Some(number) => format!("doc:{number}"),
        None => format!("text:{}", squash(description)),
    }
}

/// Crockford's base32 without I, L, O, U: readable over the phone.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn tracking_code(received_on: NaiveDate) -> String {
    let mut random = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let tail: String = random.iter().map(|b| CODE_ALPHABET[usize::from(b % 32)] as char).collect();
    format!("YSQ{}-{tail}", received_on.format("%Y%m%d"))
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub async fn settings(conn: &mut AsyncPgConnection) -> StoreResult<RequestSettings> {
    Ok(request_settings::table.select(RequestSettings::as_select()).first(conn).await?)
}

#[derive(Debug, Clone, Copy, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = request_settings)]
pub struct RequestSettings {
    pub fee_payment_working_days: i32,
    pub pause_while_fee_unpaid: bool,
    pub submissions_per_address_per_hour: i32,
    pub submissions_per_applicant_per_day: i32,
    pub updated_at: DateTime<Utc>,
}

impl RequestSettings {
    pub fn fee(&self) -> FeeSettings {
        FeeSettings {
            payment_working_days: self.fee_payment_working_days.max(1) as u32,
            pause_while_unpaid: self.pause_while_fee_unpaid,
        }
    }
}

/// Replaces the settings. They apply to fee notices issued from now on; a notice keeps the
/// settings it was issued under, so no running clock moves.
pub async fn put_settings(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    fee_payment_working_days: i32,
    pause_while_fee_unpaid: bool,
    submissions_per_address_per_hour: i32,
    submissions_per_applicant_per_day: i32,
) -> StoreResult<RequestSettings> {
    conn.transaction(async |conn| {
        let updated: RequestSettings = diesel::update(request_settings::table)
            .set((
                request_settings::fee_payment_working_days.eq(fee_payment_working_days),
                request_settings::pause_while_fee_unpaid.eq(pause_while_fee_unpaid),
                request_settings::submissions_per_address_per_hour.eq(submissions_per_address_per_hour),
                request_settings::submissions_per_applicant_per_day.eq(submissions_per_applicant_per_day),
                request_settings::updated_at.eq(diesel::dsl::now),
            ))
            .returning(RequestSettings::as_returning())
            .get_result(conn)
            .await?;
        let details = serde_json::json!({
            "fee_payment_working_days": fee_payment_working_days,
            "pause_while_fee_unpaid": pause_while_fee_unpaid,
            "submissions_per_address_per_hour": submissions_per_address_per_hour,
            "submissions_per_applicant_per_day": submissions_per_applicant_per_day,
        });
        let change = Change {
            action: "request_settings.update",
            entity_type: "request_settings",
            entity_id: None,
            changed_fields: vec!["request_settings".into()],
            details,
        };
        audit::record(conn, actor, change).await?;
        Ok(updated)
    })
    .await
}

/// Files a request: online by the applicant (`registered_by` none) or registered by an officer.
/// The due date, the group and the first history entry are written with it.
pub async fn file(
    conn: &mut AsyncPgConnection,
    sealer: &Sealer,
    actor: &Actor,
    applicant: &Applicant,
    asked: &Asked,
    arrival: &Arrival,
    registered_by: Option<Uuid>,
) -> StoreResult<Receipt> {
    let id = Uuid::now_v7();
    let token = new_token();
    let seal = |column: &str, value: &Option<String>| value.as_deref().map(|v| sealer.seal(&context(column, id), v));
    let subject = subject_key(&asked.description, asked.document_number.as_deref());
    let applicant_key = sealer.index(APPLICANT_INDEX, &applicant.identity_number);
    conn.transaction(async |conn| {
        crate::calendar::hold_shared(conn).await?;
        let organization = crate::organizations::get(conn, asked.organization_id).await.map_err(|e| match e {
            StoreError::NotFound => StoreError::Refused("organization_not_found"),
            other => other,
        })?;
        // Art. 27: requests go to people's governments and their departments.
        use domain::OrganizationKind as K;
        if matches!(organization.kind, K::HigherLevel | K::PublicInstitution) {
            return Err(StoreError::Refused("organization_takes_no_requests"));
        }
        let calendar = crate::calendar::load(conn).await?;
        let due = ClockFacts::new(arrival.received_on).answer_due(&calendar);
        let group_id: Uuid = dr::table
            .filter(dr::organization_id.eq(asked.organization_id))
            .filter(dr::subject_key.eq(&subject))
            .order(dr::id.asc())
            .select(dr::group_id)
            .first(conn)
            .await
            .optional()?
            .unwrap_or(id);
        let mut code = tracking_code(arrival.received_on);
        while diesel::select(diesel::dsl::exists(dr::table.filter(dr::tracking_code.eq(&code))))
            .get_result::<bool>(conn)
            .await?
        {
            code = tracking_code(arrival.received_on);
        }
        let row: RequestRow = diesel::insert_into(dr::table)
            .values((
                (
                    dr::id.eq(id),
                    dr::tracking_code.eq(&code),
                    dr::query_token_hash.eq(hash_token(&token)),
                    dr::organization_id.eq(asked.organization_id),
                    dr::applicant_type.eq(applicant.applicant_type.as_str()),
                    dr::applicant_name.eq(&applicant.name),
                    dr::identity_document_type.eq(applicant.identity_document_type.as_str()),
                    dr::identity_number_sealed
                        .eq(sealer.seal(&context("identity_number", id), &applicant.identity_number)),
                    dr::identity_number_masked.eq(domain::identity::mask_identity_number(&applicant.identity_number)),
                    dr::applicant_key.eq(&applicant_key),
                    dr::phone_sealed.eq(seal("phone", &applicant.phone)),
                    dr::phone_masked.eq(applicant.phone.as_deref().map(domain::identity::mask_phone)),
                    dr::email_sealed.eq(seal("email", &applicant.email)),
                    dr::email_masked.eq(applicant.email.as_deref().map(mask_email)),
                    dr::address_sealed.eq(seal("address", &applicant.address)),
                ),
                (
                    dr::description.eq(&asked.description),
                    dr::document_number.eq(asked.document_number.as_deref()),
                    dr::information_form.eq(asked.information_form.as_str()),
                    dr::delivery_method.eq(asked.delivery_method.as_str()),
                    dr::channel.eq(arrival.channel.as_str()),
                    dr::arrived_on.eq(arrival.arrived_on),
                    dr::signed_for_on.eq(arrival.signed_for_on),
                    dr::confirmed_on.eq(arrival.confirmed_on),
                    dr::proxy_filled.eq(arrival.proxy_filled),
                    dr::needs_assistance.eq(asked.needs_assistance),
                    dr::received_on.eq(arrival.received_on),
                    dr::state.eq(RequestState::Received.as_str()),
                    dr::due_on.eq(due.due_on),
                    dr::due_provisional.eq(due.provisional),
                    dr::subject_key.eq(&subject),
                    dr::group_id.eq(group_id),
                    dr::registered_by.eq(registered_by),
                ),
            ))
            .returning(RequestRow::as_returning())
            .get_result(conn)
            .await?;
        let request: DisclosureRequest = row.try_into()?;
        let details = serde_json::json!({
            "channel": arrival.channel.as_str(),
            "received_on": arrival.received_on,
            "reason": "received",
            "working_days": due.working_days,
        });
        let user = (actor.kind == crate::audit::ActorKind::User).then_some(actor.id).flatten();
        record_event(conn, &request, "file", None, None, details, user).await?;
        let change = Change::new("disclosure_request.file", "disclosure_request", id).fields([
            "applicant",
            "description",
            "received_on",
            "due_on",
        ]);
        audit::record(conn, actor, change).await?;
        Ok(Receipt { request, query_token: token })
    })
    .await
}

fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Appends a history entry; the due date before and after tell whether the act moved it.
pub(crate) async fn record_event(
    conn: &mut AsyncPgConnection,
    request: &DisclosureRequest,
    action: &str,
    state_from: Option<RequestState>,
    due_from: Option<NaiveDate>,
    details: serde_json::Value,
    actor_id: Option<Uuid>,
) -> StoreResult<()> {
    diesel::insert_into(request_events::table)
        .values((
            request_events::request_id.eq(request.id),
            request_events::action.eq(action),
            request_events::state_from.eq(state_from.map(RequestState::as_str)),
            request_events::state_to.eq(request.state.as_str()),
            request_events::due_from.eq(due_from),
            request_events::due_to.eq(request.due_on),
            request_events::details.eq(details),
            request_events::actor_id.eq(actor_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<DisclosureRequest> {
    dr::table.find(id).select(RequestRow::as_select()).first(conn).await?.try_into()
}

/// The request with this tracking code and query token; anything else is not found, so that a
/// wrong token and an unknown code cannot be told apart.
pub async fn find_for_applicant(
    conn: &mut AsyncPgConnection,
    tracking_code: &str,
    token: &str,
) -> StoreResult<DisclosureRequest> {
    // Code and token hash are matched in one query: an unknown code and a wrong token are the
    // same miss, and comparing SHA-256 digests of 256-bit tokens leaks nothing worth timing.
    dr::table
        .filter(dr::tracking_code.eq(tracking_code.trim().to_uppercase()))
        .filter(dr::query_token_hash.eq(hash_token(token)))
        .select(RequestRow::as_select())
        .first(conn)
        .await?
        .try_into()
}

pub(crate) async fn lock(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: Option<i32>,
) -> StoreResult<DisclosureRequest> {
    let request: DisclosureRequest =
        dr::table.find(id).select(RequestRow::as_select()).for_update().first(conn).await?.try_into()?;
    if expected_version.is_some_and(|v| v != request.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(request)
}

/// Which requests a caller may list.
#[derive(Debug, Clone)]
pub enum RequestScope {
    All,
    /// Requests to these organizations.
    Organizations(Vec<Uuid>),
}

#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub organization_id: Option<Uuid>,
    pub state: Option<RequestState>,
    /// Open requests due between these dates (inclusive), clock running.
    pub due_between: Option<(NaiveDate, NaiveDate)>,
    /// Open requests whose due date is before this day.
    pub overdue_on: Option<NaiveDate>,
    pub group_id: Option<Uuid>,
    pub tracking_code: Option<String>,
    /// Only requests whose answer clock runs.
    pub clock_running: bool,
}

const CLOCK_STATES: [&str; 3] = ["received", "in_progress", "paused"];

/// Newest first, keyset on the id (UUIDv7).
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &RequestScope,
    filter: &RequestFilter,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<DisclosureRequest>> {
    let mut query = dr::table.select(RequestRow::as_select()).order(dr::id.desc()).limit(limit).into_boxed();
    if let RequestScope::Organizations(orgs) = scope {
        query = query.filter(dr::organization_id.eq_any(orgs.clone()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(dr::organization_id.eq(org));
    }
    if let Some(state) = filter.state {
        query = query.filter(dr::state.eq(state.as_str()));
    }
    if let Some((from, to)) = filter.due_between {
        query = query.filter(dr::state.eq_any(CLOCK_STATES)).filter(dr::due_on.between(from, to));
    }
    if let Some(today) = filter.overdue_on {
        query = query.filter(dr::state.eq_any(CLOCK_STATES)).filter(dr::due_on.lt(today));
    }
    if filter.clock_running {
        query = query.filter(dr::state.eq_any(CLOCK_STATES));
    }
    if let Some(group) = filter.group_id {
        query = query.filter(dr::group_id.eq(group));
    }
    if let Some(code) = &filter.tracking_code {
        query = query.filter(dr::tracking_code.eq(code.clone()));
    }
    if let Some(before) = before {
        query = query.filter(dr::id.lt(before));
    }
    query.load(conn).await?.into_iter().map(TryInto::try_into).collect()
}

/// A history entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = request_events)]
pub struct RequestEvent {
    pub id: i64,
    pub action: String,
    pub state_from: Option<String>,
    pub state_to: String,
    pub due_from: Option<NaiveDate>,
    pub due_to: NaiveDate,
    pub details: serde_json::Value,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub async fn history(conn: &mut AsyncPgConnection, request_id: Uuid) -> StoreResult<Vec<RequestEvent>> {
    Ok(request_events::table
        .filter(request_events::request_id.eq(request_id))
        .order(request_events::id.asc())
        .select(RequestEvent::as_select())
        .load(conn)
        .await?)
}

/// A consultation as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = request_consultations)]
pub struct Consultation {
    pub id: Uuid,
    pub request_id: Uuid,
    pub party: String,
    pub party_name: String,
    pub sent_on: NaiveDate,
    pub window_due_on: NaiveDate,
    pub answered_on: Option<NaiveDate>,
    pub opinion: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn consultations(conn: &mut AsyncPgConnection, request_id: Uuid) -> StoreResult<Vec<Consultation>> {
    Ok(request_consultations::table
        .filter(request_consultations::request_id.eq(request_id))
        .order(request_consultations::created_at.asc())
        .select(Consultation::as_select())
        .load(conn)
        .await?)
}

/// A fee notice as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = request_fee_notices)]
pub struct FeeNotice {
    pub request_id: Uuid,
    pub method: String,
    pub nth_request_this_month: i32,
    pub pages: Option<i32>,
    pub amount_fen: i64,
    pub notified_on: NaiveDate,
    pub payment_due_on: NaiveDate,
    pub payment_working_days: i32,
    pub pauses_clock: bool,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
}

impl FeeNotice {
    pub fn span(&self) -> FeeSpan {
        FeeSpan {
            notified_on: self.notified_on,
            paid_on: self.paid_on,
            payment_working_days: self.payment_working_days.max(0) as u32,
            pauses_clock: self.pauses_clock,
        }
    }
}

pub async fn fee_notice(conn: &mut AsyncPgConnection, request_id: Uuid) -> StoreResult<Option<FeeNotice>> {
    Ok(request_fee_notices::table.find(request_id).select(FeeNotice::as_select()).first(conn).await.optional()?)
}

/// Every fact that moves the clock of `request`, read from its rows.
pub(crate) async fn clock_facts(conn: &mut AsyncPgConnection, request: &DisclosureRequest) -> StoreResult<ClockFacts> {
    let consultations = consultations(conn, request.id)
        .await?
        .into_iter()
        .map(|c| ConsultationSpan { sent_on: c.sent_on, answered_on: c.answered_on })
        .collect();
    let fee = fee_notice(conn, request.id).await?.map(|f| f.span());
    Ok(ClockFacts {
        received_on: request.received_on,
        corrected_on: request.corrected_on,
        extension_days: request.extension_days.max(0) as u32,
        consultations,
        fee,
    })
}

/// The applicant's position among their requests to this organization in the calendar month of
/// this request's receipt (1 for the first), for the per-request fee of 109号 art. 4.
pub async fn nth_request_this_month(conn: &mut AsyncPgConnection, request: &DisclosureRequest) -> StoreResult<u32> {
    let month_start = request.received_on.with_day(1).expect("day 1 exists");
    let count: i64 = dr::table
        .filter(dr::applicant_key.eq(&request.applicant_key))
        .filter(dr::organization_id.eq(request.organization_id))
        .filter(dr::received_on.ge(month_start))
        .filter(dr::received_on.le(request.received_on))
        .filter(dr::received_on.lt(request.received_on).or(dr::id.le(request.id)))
        .count()
        .get_result(conn)
        .await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// Requests for the same information (art. 44), with how many distinct applicants asked.
#[derive(Debug, Clone)]
pub struct RequestGroup {
    pub group_id: Uuid,
    pub organization_id: Uuid,
    pub requests: i64,
    pub applicants: i64,
    pub first_received_on: NaiveDate,
    pub last_received_on: NaiveDate,
    pub sample_description: String,
}

/// Groups of `organizations` (all when `None`) asked by at least `min_applicants` applicants,
/// largest first: candidates for proactive disclosure.
pub async fn groups(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    min_applicants: i64,
    limit: i64,
) -> StoreResult<Vec<RequestGroup>> {
    use diesel::dsl::{count, count_star, max, min};
    let applicants = || count(dr::applicant_key).aggregate_distinct();
    let mut query = dr::table
        .group_by((dr::group_id, dr::organization_id))
        .select((
            dr::group_id,
            dr::organization_id,
            count_star(),
            applicants(),
            min(dr::received_on),
            max(dr::received_on),
            min(dr::description),
        ))
        // Requests not processed as information requests (petitions, publications …) are not
        // asking for government information that could be published.
        .filter(dr::outcome.is_null().or(dr::outcome.not_like("not_processed%")))
        .having(applicants().ge(min_applicants))
        .order((applicants().desc(), dr::group_id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(dr::organization_id.eq_any(orgs.to_vec()));
    }
    type GroupRow = (Uuid, Uuid, i64, i64, Option<NaiveDate>, Option<NaiveDate>, Option<String>);
    let rows: Vec<GroupRow> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(group_id, organization_id, requests, applicants, first, last, sample)| RequestGroup {
            group_id,
            organization_id,
            requests,
            applicants,
            first_received_on: first.unwrap_or_default(),
            last_received_on: last.unwrap_or_default(),
            sample_description: sample.unwrap_or_default(),
        })
        .collect())
}

/// The reply as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::request_replies)]
pub struct Reply {
    pub request_id: Uuid,
    pub reply_text: String,
    pub legal_basis: Option<String>,
    pub responsible_agency_name: Option<String>,
    pub responsible_agency_contact: Option<String>,
    pub provided_document_ids: Vec<Uuid>,
    pub replied_on: NaiveDate,
}

pub async fn reply(conn: &mut AsyncPgConnection, request_id: Uuid) -> StoreResult<Option<Reply>> {
    use crate::schema::request_replies;
    Ok(request_replies::table.find(request_id).select(Reply::as_select()).first(conn).await.optional()?)
}

/// What is stored beside a set of requests, read in three queries whatever their number.
#[derive(Debug, Default)]
pub struct RequestParts {
    pub consultations: std::collections::HashMap<Uuid, Vec<Consultation>>,
    pub fee_notices: std::collections::HashMap<Uuid, FeeNotice>,
    pub replies: std::collections::HashMap<Uuid, Reply>,
}

pub async fn parts_of(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<RequestParts> {
    use crate::schema::request_replies;
    let mut parts = RequestParts::default();
    let consultations: Vec<Consultation> = request_consultations::table
        .filter(request_consultations::request_id.eq_any(ids))
        .order(request_consultations::created_at.asc())
        .select(Consultation::as_select())
        .load(conn)
        .await?;
    for c in consultations {
        parts.consultations.entry(c.request_id).or_default().push(c);
    }
    let notices: Vec<FeeNotice> = request_fee_notices::table
        .filter(request_fee_notices::request_id.eq_any(ids))
        .select(FeeNotice::as_select())
        .load(conn)
        .await?;
    parts.fee_notices = notices.into_iter().map(|n| (n.request_id, n)).collect();
    let replies: Vec<Reply> = request_replies::table
        .filter(request_replies::request_id.eq_any(ids))
        .select(Reply::as_select())
        .load(conn)
        .await?;
    parts.replies = replies.into_iter().map(|r| (r.request_id, r)).collect();
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_information_is_recognised_through_spacing_and_punctuation() {
        assert_eq!(
            subject_key("2026年 城乡低保 资金发放明细。", None),
            subject_key("2026年城乡低保资金发放明细", None)
        );
        assert_eq!(
            subject_key("任意描述", Some("元政办发〔2026〕12号")),
            subject_key("另一描述", Some("元政办发〔2026〕 12 号"))
        );
        assert_ne!(subject_key("低保名单", None), subject_key("医保名单", None));
    }

    #[test]
    fn tracking_codes_are_dated_and_readable() {
        let code = tracking_code(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert!(code.starts_with("YSQ20261126-"));
        assert_eq!(code.len(), "YSQ20261126-".len() + 8);
        assert!(!code.contains(['I', 'L', 'O', 'U']));
    }

    #[test]
    fn emails_are_masked() {
        assert_eq!(mask_email("zhang.san@example.cn"), "z***@example.cn");
    }
}
