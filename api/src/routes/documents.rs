//! `/api/v1/documents`: drafting, listing and reading documents. The lifecycle acts are in
//! `document_actions`. Visibility (404) and permission (403) come from `domain::document_access`.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use domain::document_access::{Caller, DocumentAction, DocumentParties};
use domain::documents::{Disclosure, DocKind, DocumentCategory, DocumentStatus, Exemption, IssuingAuthority, Validity};
use domain::{OrganizationKind, Principal, Role};
use persistence::documents::{self, Document, DocumentFields, DocumentFilter, Scope};
use persistence::{organizations, PooledConnection, StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::state::AppState;

/// Statutory dates are calendar dates in Asia/Shanghai (UTC+8 all year).
pub fn shanghai_today(now: DateTime<Utc>) -> NaiveDate {
    let offset = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    now.with_timezone(&offset).date_naive()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentDto {
    pub id: Uuid,
    /// 文号, e.g. 元政办发〔2026〕12号.
    #[schema(example = "元政办发〔2026〕12号")]
    pub doc_number: Option<String>,
    #[schema(example = "元谋县人民政府办公室关于进一步做好城乡居民最低生活保障工作的通知")]
    pub title: String,
    pub body: String,
    pub issuing_org_id: Uuid,
    pub issuing_authority: IssuingAuthority,
    pub lead_drafting_org_id: Uuid,
    pub drafting_org_ids: Vec<Uuid>,
    pub involved_org_ids: Vec<Uuid>,
    /// 政策性文件: needs an interpretation (三同步).
    pub is_policy: bool,
    pub category: DocumentCategory,
    pub doc_kind: DocKind,
    pub disclosure: Option<Disclosure>,
    pub disclosure_reason: Option<String>,
    pub legal_basis: Option<String>,
    pub exemption: Option<Exemption>,
    pub status: DocumentStatus,
    /// Bumped by every content edit; reviews apply to one revision.
    pub revision: i32,
    /// The approval (审签) date.
    pub formed_on: Option<NaiveDate>,
    /// formed_on + 20 working days, for information to publish (条例第二十六条).
    pub publish_due_on: Option<NaiveDate>,
    /// True when the due date crosses a year whose State Council schedule is not yet entered: it
    /// may move when the schedule is (GET …/publish-deadline explains it day by day).
    pub publish_due_provisional: bool,
    /// Set when the publication clock runs from a conversion to proactive (self-inspection) rather than the approval.
    pub publish_clock_from: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    pub validity: Validity,
    pub validity_changed_on: Option<NaiveDate>,
    pub validity_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Document> for DocumentDto {
    fn from(d: Document) -> Self {
        DocumentDto {
            id: d.id,
            doc_number: d.doc_number,
            title: d.title,
            body: d.body,
            issuing_org_id: d.issuing_org_id,
            issuing_authority: d.issuing_authority,
            lead_drafting_org_id: d.lead_drafting_org_id,
            drafting_org_ids: d.drafting_org_ids,
            involved_org_ids: d.involved_org_ids,
            is_policy: d.is_policy,
            category: d.category,
            doc_kind: d.doc_kind,
            disclosure: d.disclosure,
            disclosure_reason: d.disclosure_reason,
            legal_basis: d.legal_basis,
            exemption: d.exemption,
            status: d.status,
            revision: d.revision,
            formed_on: d.formed_on,
            publish_due_on: d.publish_due_on,
            publish_due_provisional: d.publish_due_provisional,
            publish_clock_from: d.publish_clock_from,
            published_at: d.published_at,
            validity: d.validity,
            validity_changed_on: d.validity_changed_on,
            validity_reason: d.validity_reason,
            version: d.version,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A draft's fields (create and full replacement).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "元政办发〔2026〕12号")]
    pub doc_number: Option<String>,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "元谋县人民政府办公室关于进一步做好城乡居民最低生活保障工作的通知"
    )]
    pub title: String,
    #[validate(length(max = 200000))]
    #[schema(max_length = 200000, example = "各乡（镇）人民政府，县直各部门：为进一步规范城乡低保工作……")]
    pub body: String,
    pub issuing_org_id: Uuid,
    pub issuing_authority: IssuingAuthority,
    /// The lead drafting organization (牵头部门); defaults to the drafter's own.
    pub lead_drafting_org_id: Option<Uuid>,
    /// Other drafting organizations; the lead is always included.
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    #[serde(default)]
    pub drafting_org_ids: Vec<Uuid>,
    /// Organizations the content concerns; each must confirm before publication (P2).
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub involved_org_ids: Vec<Uuid>,
    #[serde(default)]
    pub is_policy: bool,
    pub category: DocumentCategory,
    /// Defaults to `other`; counties cannot make `regulation` (规章).
    pub doc_kind: Option<DocKind>,
    pub disclosure: Option<Disclosure>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000, example = "涉及特定低保对象的个人信息，仅向申请人公开")]
    pub disclosure_reason: Option<String>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000, example = "《中华人民共和国政府信息公开条例》第十五条")]
    pub legal_basis: Option<String>,
    /// For `not_public`: which exemption of arts. 14–16 applies.
    pub exemption: Option<Exemption>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    pub status: Option<DocumentStatus>,
    pub disclosure: Option<Disclosure>,
    /// Issued or drafted by this organization.
    pub org: Option<Uuid>,
    pub category: Option<DocumentCategory>,
    /// Year of the approval date (formed_on).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Text contained in the title.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Only approved documents whose publication date has passed.
    pub overdue: Option<bool>,
}

/// The caller with the county of their organization (for county-wide roles).
pub struct CallerContext {
    pub principal: Principal,
    pub county_id: Option<Uuid>,
}

impl CallerContext {
    /// Machine clients need `documents:read` here: `public:read` grants nothing beyond the
    /// anonymous public API.
    pub async fn of(conn: &mut PooledConnection, auth: &Auth) -> ApiResult<CallerContext> {
        if matches!(auth.principal, Principal::Client { .. }) && !auth.principal.has_scope(domain::Scope::DocumentsRead)
        {
            return Err(ApiError::forbidden());
        }
        // Tokens state the county since issue 11; older ones (and users outside any county) look it up.
        let county_id = match &auth.principal {
            Principal::User { organization_id: Some(_), .. } if auth.county_id.is_some() => auth.county_id,
            Principal::User { organization_id: Some(org), .. } => organizations::county_of(conn, *org).await?,
            _ => None,
        };
        Ok(CallerContext { principal: auth.principal.clone(), county_id })
    }

    pub fn caller(&self) -> Caller<'_> {
        Caller { principal: &self.principal, county_id: self.county_id }
    }

    pub fn organization_id(&self) -> Option<Uuid> {
        match &self.principal {
            Principal::User { organization_id, .. } => *organization_id,
            Principal::Client { .. } => None,
        }
    }

    pub fn scope(&self) -> Scope {
        if self.principal.has_role(Role::SystemAdmin) {
            return Scope::All;
        }
        let county_id = if self.principal.has_role(Role::GovOffice) { self.county_id } else { None };
        Scope::Parties { organization_id: self.organization_id(), county_id }
    }
}

pub fn parties(document: &Document) -> DocumentParties {
    DocumentParties {
        issuing_org_id: document.issuing_org_id,
        lead_drafting_org_id: document.lead_drafting_org_id,
        drafting_org_ids: document.drafting_org_ids.clone(),
        involved_org_ids: document.involved_org_ids.clone(),
        county_id: document.county_id,
        government_level: document.issuing_authority.is_government_level(),
        is_public: document.is_public(),
    }
}

/// `NotFound` (404, exactly like an unknown id) unless the caller may see the document.
fn sees(ctx: &CallerContext, parties: &DocumentParties) -> StoreResult<()> {
    if ctx.caller().can_see(parties) {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// `Forbidden` (403) unless the caller may perform `action` on the document.
fn may(ctx: &CallerContext, parties: &DocumentParties, action: DocumentAction) -> StoreResult<()> {
    if ctx.caller().can(parties, action) {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

/// Loads a document the caller may see; anything else is 404, exactly like an unknown id.
pub async fn visible(conn: &mut PooledConnection, ctx: &CallerContext, id: Uuid) -> ApiResult<Document> {
    let document = documents::get(conn, id).await?;
    sees(ctx, &parties(&document))?;
    Ok(document)
}

/// Whether the caller sees the document as one of its parties (not merely because it is public).
pub fn is_party(ctx: &CallerContext, document: &Document) -> bool {
    let mut as_party = parties(document);
    as_party.is_public = false;
    ctx.caller().can_see(&as_party)
}

/// Loads a document the caller sees as a party; 404 otherwise, even when it is public.
pub async fn party_document(conn: &mut PooledConnection, ctx: &CallerContext, id: Uuid) -> ApiResult<Document> {
    let document = documents::get(conn, id).await?;
    if is_party(ctx, &document) {
        Ok(document)
    } else {
        Err(ApiError::not_found())
    }
}

/// The document as this caller may read it: the internal reasoning (reason, legal basis,
/// exemption) only for its own organizations.
pub fn for_caller(ctx: &CallerContext, document: Document) -> DocumentDto {
    let party = is_party(ctx, &document);
    let mut dto = DocumentDto::from(document);
    if !party {
        dto.disclosure_reason = None;
        dto.legal_basis = None;
        dto.exemption = None;
    }
    dto
}

/// 403 unless the caller may perform `action` on a document they can see.
pub fn require(ctx: &CallerContext, document: &Document, action: DocumentAction) -> ApiResult<()> {
    Ok(may(ctx, &parties(document), action)?)
}

/// What `visible` and `require` decide, as a guard the store runs on the row an act locks:
/// `NotFound` (404, exactly like an unknown id) for a document the caller may not see,
/// `Forbidden` (403) for an act they may not perform on it.
pub fn may_act(
    ctx: &CallerContext,
    action: DocumentAction,
) -> impl Fn(&Document) -> StoreResult<()> + Send + Sync + '_ {
    move |document| {
        let parties = parties(document);
        sees(ctx, &parties)?;
        may(ctx, &parties, action)
    }
}

/// Years are 2000–2100, as documented.
pub fn check_year(year: Option<i32>) -> ApiResult<()> {
    match year {
        Some(y) if !(2000..=2100).contains(&y) => {
            Err(ApiError::field("year", "range", "年份须在 2000 到 2100 之间", "year must be between 2000 and 2100"))
        }
        _ => Ok(()),
    }
}

fn authority_fits(authority: IssuingAuthority, kind: OrganizationKind) -> bool {
    match authority {
        IssuingAuthority::CountyGovernment => kind == OrganizationKind::CountyGovernment,
        IssuingAuthority::GovernmentOffice => kind == OrganizationKind::GovernmentOffice,
        IssuingAuthority::Department => {
            matches!(kind, OrganizationKind::Department | OrganizationKind::PublicInstitution)
        }
        IssuingAuthority::Township => kind == OrganizationKind::Township,
    }
}

fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Checks the organizations named by the input and turns it into stored fields.
async fn fields_from(
    conn: &mut PooledConnection,
    ctx: &CallerContext,
    input: DocumentInput,
) -> ApiResult<(DocumentFields, Option<Uuid>)> {
    let lead = input.lead_drafting_org_id.or(ctx.organization_id()).ok_or_else(|| {
        ApiError::field(
            "lead_drafting_org_id",
            "required",
            "须指定牵头起草单位",
            "The lead drafting organization is required",
        )
    })?;
    let mut drafting = vec![lead];
    drafting.extend(input.drafting_org_ids.iter().copied().filter(|o| *o != lead));
    drafting.dedup();
    let mut involved: Vec<Uuid> = input.involved_org_ids.clone();
    involved.sort();
    involved.dedup();
    let mut named: Vec<Uuid> = drafting.iter().chain(involved.iter()).copied().collect();
    named.push(input.issuing_org_id);
    // The three reads are pipelined: one round trip (issue 11).
    let (known, issuer, county) = futures_util::join!(
        organizations::existing(conn, &named),
        organizations::get(conn, input.issuing_org_id),
        organizations::county_of(conn, input.issuing_org_id)
    );
    let known = known?;
    if let Some(missing) = named.iter().find(|id| !known.contains(id)) {
        return Err(ApiError::field(
            "organization_ids",
            "not_found",
            format!("机关 {missing} 不存在"),
            format!("Organization {missing} does not exist"),
        ));
    }
    let issuer = issuer?;
    if !authority_fits(input.issuing_authority, issuer.kind) {
        return Err(ApiError::field(
            "issuing_authority",
            "authority_mismatch",
            "发文名义与发文机关类型不符",
            "The issuing authority does not fit the issuing organization's kind",
        ));
    }
    let doc_kind = input.doc_kind.unwrap_or(DocKind::Other);
    if !domain::documents::doc_kind_allowed(doc_kind) {
        return Err(ApiError::field(
            "doc_kind",
            "regulation_not_allowed",
            "县、乡两级不能制定规章",
            "Counties and townships cannot make regulations (规章)",
        ));
    }
    let county = county?;
    // A drafter drafts for their own county: a department's documents are issued by one of the
    // drafting organizations; government-level ones by the government (office) of that county.
    let own_county = ctx.county_id;
    let issuer_fits = if input.issuing_authority.is_government_level() {
        county.is_some() && county == own_county
    } else {
        drafting.contains(&input.issuing_org_id) && county == own_county
    };
    // Whoever edits stays among the drafters: a document cannot be handed to other organizations.
    if !ctx.organization_id().is_some_and(|org| drafting.contains(&org)) {
        return Err(ApiError::forbidden()
            .detail("本单位须为起草单位之一", "Your organization must stay among the drafting organizations"));
    }
    if !issuer_fits {
        return Err(ApiError::forbidden().detail(
            "部门、乡镇文件须由起草单位之一印发；以政府或政府办名义的文件须为本县政府（办）印发",
            "A department's or township's document is issued by one of its drafters; a government-level one by the government of the drafter's county",
        ));
    }
    let fields = DocumentFields {
        doc_number: trimmed(input.doc_number),
        title: input.title.trim().to_owned(),
        body: input.body,
        issuing_org_id: input.issuing_org_id,
        issuing_authority: input.issuing_authority,
        lead_drafting_org_id: lead,
        drafting_org_ids: drafting,
        involved_org_ids: involved,
        is_policy: input.is_policy,
        category: input.category,
        doc_kind,
        disclosure: input.disclosure,
        disclosure_reason: trimmed(input.disclosure_reason),
        legal_basis: trimmed(input.legal_basis),
        exemption: input.exemption,
    };
    Ok((fields, county))
}

fn map_number_conflict(err: StoreError) -> ApiError {
    match err {
        StoreError::Conflict { constraint } if constraint == "documents_number_per_issuer_idx" => {
            ApiError::conflict("doc_number_taken")
                .detail("该机关已有相同文号的公文", "This organization already has a document with this number")
        }
        other => other.into(),
    }
}

/// List the documents the caller may see (their organizations', their county's for gov_office, and every public one), newest first.
#[utoipa::path(operation_id = "list_documents", tag = "documents", params(DocumentQuery, PageParams), responses((status = 200, description = "A page of documents", body = Page<DocumentDto>)))]
#[get("/documents")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<DocumentQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let before = page.after_id()?;
    if query.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::field("q", "length", "检索词不得超过 100 个字符", "q must be at most 100 characters"));
    }
    check_year(query.year)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    let filter = DocumentFilter {
        status: query.status,
        disclosure: query.disclosure,
        organization_id: query.org,
        category: query.category,
        year: query.year,
        title_contains: query.q.clone(),
        overdue_on: query.overdue.unwrap_or(false).then(|| shanghai_today(Utc::now())),
    };
    let rows = documents::list(&mut conn, &ctx.scope(), &filter, before, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |d| d.id, |d| for_caller(&ctx, d))))
}

/// Draft a document (drafter of the lead drafting organization).
#[utoipa::path(operation_id = "create_document", tag = "documents", request_body = DocumentInput, responses((status = 201, description = "The draft", body = DocumentDto)))]
#[post("/documents")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<DocumentInput>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    if !auth.principal.has_role(Role::Drafter) {
        return Err(ApiError::forbidden());
    }
    let (fields, county) = fields_from(&mut conn, &ctx, body.0).await?;
    let probe = DocumentParties { drafting_org_ids: fields.drafting_org_ids.clone(), ..Default::default() };
    if !ctx.caller().can(&probe, DocumentAction::Create) {
        return Err(ApiError::forbidden()
            .detail("只能起草本单位参与起草的公文", "You can only draft documents your organization drafts"));
    }
    let created = documents::create(&mut conn, &auth.actor(), fields, county).await.map_err(map_number_conflict)?;
    let location = format!("/api/v1/documents/{}", created.id);
    let version = created.version;
    Ok(created_with_etag(&DocumentDto::from(created), version, &location))
}

/// Get one document (404 unless the caller may see it).
#[utoipa::path(operation_id = "get_document", tag = "documents", params(("id" = Uuid, Path, description = "Document id")), responses((status = 200, description = "The document", body = DocumentDto)))]
#[get("/documents/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    let document = visible(&mut conn, &ctx, *id).await?;
    let version = document.version;
    Ok(ok_with_etag(&for_caller(&ctx, document), version))
}

/// Replace a draft's fields (drafter of a drafting organization). Editing a returned document makes it a draft again.
#[utoipa::path(
    operation_id = "update_document",
    tag = "documents",
    params(("id" = Uuid, Path, description = "Document id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = DocumentInput,
    responses((status = 200, description = "The draft", body = DocumentDto))
)]
#[put("/documents/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<DocumentInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    let document = visible(&mut conn, &ctx, *id).await?;
    require(&ctx, &document, DocumentAction::Edit)?;
    let (fields, county) = fields_from(&mut conn, &ctx, body.0).await?;
    let updated = documents::update(&mut conn, &auth.actor(), *id, expected, fields, county)
        .await
        .map_err(map_number_conflict)?;
    let version = updated.version;
    Ok(ok_with_etag(&DocumentDto::from(updated), version))
}
