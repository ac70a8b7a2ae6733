//! Enumerations of the shared contract (DOMAIN.md §10) with their zh-CN and English labels.
//!
//! Every enum is declared through [`labeled_enum!`], so its wire code, its labels and its entry in
//! `GET /api/v1/meta/enums` come from one declaration and cannot drift apart.

/// One value of an enumeration as published to front ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnumValue {
    pub code: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
}

/// A whole enumeration as published to front ends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnumCatalog {
    pub name: &'static str,
    pub values: Vec<EnumValue>,
}

/// The error of parsing an unknown code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {enum_name}")]
pub struct UnknownCode {
    pub enum_name: &'static str,
    pub value: String,
}

#[macro_export]
macro_rules! labeled_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $wire:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAME: &'static str = $wire;

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            pub fn catalog() -> $crate::enums::EnumCatalog {
                $crate::enums::EnumCatalog {
                    name: $wire,
                    values: Self::ALL
                        .iter()
                        .map(|v| $crate::enums::EnumValue {
                            code: v.as_str(),
                            label_zh: v.label_zh(),
                            label_en: v.label_en(),
                        })
                        .collect(),
                }
            }
        }

        // Written out rather than derived: utoipa's derive does not see serde renames that come
        // through a macro, and would publish the Rust variant names instead of the wire codes.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .description(Some(concat!("`", $wire, "`: see GET /api/v1/meta/enums for labels.")))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::enums::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err($crate::enums::UnknownCode { enum_name: $wire, value: other.to_owned() }),
                }
            }
        }
    };
}

labeled_enum! {
    /// 机关类型 (DOMAIN.md §1).
    pub enum OrganizationKind as "organization_kind" {
        CountyGovernment = "county_government", "县人民政府", "County government";
        GovernmentOffice = "government_office", "县政府办公室", "County government office";
        Department = "department", "县级部门", "County department";
        Township = "township", "乡镇", "Township";
        PublicInstitution = "public_institution", "公共企事业单位", "Public institution";
        HigherLevel = "higher_level", "上级机关", "Higher-level authority";
    }
}

labeled_enum! {
    /// Staff roles (DOMAIN.md §1).
    pub enum Role as "role" {
        SystemAdmin = "system_admin", "系统管理员", "System administrator";
        OpennessHead = "openness_head", "政府信息公开工作机构负责人", "Head of the openness office";
        GovOffice = "gov_office", "本级政府办公室", "Government office";
        OpennessOfficer = "openness_officer", "政务公开工作机构", "Openness officer";
        Drafter = "drafter", "起草人", "Drafter";
        Principal = "principal", "主要负责人", "Principal";
        OpinionOfficer = "opinion_officer", "舆情回应人员", "Public-opinion officer";
    }
}

labeled_enum! {
    /// Machine-client scopes (DOMAIN.md §10).
    pub enum Scope as "scope" {
        PublicRead = "public:read", "公开信息读取", "Public read";
        DocumentsRead = "documents:read", "公文读取", "Read documents";
        DocumentsWrite = "documents:write", "公文写入", "Write documents";
        RequestsRead = "requests:read", "依申请公开读取", "Read disclosure requests";
        RequestsWrite = "requests:write", "依申请公开写入", "Write disclosure requests";
        SyncRead = "sync:read", "数据同步读取", "Read the change feed";
        WebhooksManage = "webhooks:manage", "Webhook 管理", "Manage webhooks";
        ReportsRead = "reports:read", "年度报告读取", "Read annual reports";
        EvaluationWrite = "evaluation:write", "评议评分写入", "Write evaluation scores";
    }
}

/// Every enumeration the API uses, for `GET /api/v1/meta/enums`.
pub fn all_catalogs() -> Vec<EnumCatalog> {
    use crate::documents::{
        Disclosure, DocKind, DocumentCategory, DocumentStatus, Exemption, IssuingAuthority, Validity,
    };
    use crate::interpretations::{InterpretationForm, InterpretationStage, InterpretationStatus};
    vec![
        OrganizationKind::catalog(),
        Role::catalog(),
        Scope::catalog(),
        Disclosure::catalog(),
        IssuingAuthority::catalog(),
        DocumentCategory::catalog(),
        DocKind::catalog(),
        DocumentStatus::catalog(),
        Validity::catalog(),
        Exemption::catalog(),
        InterpretationForm::catalog(),
        InterpretationStage::catalog(),
        InterpretationStatus::catalog(),
        crate::requests::ApplicantType::catalog(),
        crate::requests::ReceiptChannel::catalog(),
        crate::identity::IdentityDocumentType::catalog(),
        crate::request_workflow::RequestState::catalog(),
        crate::request_workflow::InformationForm::catalog(),
        crate::request_workflow::DeliveryMethod::catalog(),
        crate::request_workflow::ConsultedParty::catalog(),
        crate::request_workflow::ConsultationOpinion::catalog(),
        crate::request_workflow::FeeMethod::catalog(),
        crate::request_outcomes::RequestOutcome::catalog(),
        crate::consultations::ConsultationMethod::catalog(),
        crate::consultations::ConsultationStatus::catalog(),
        crate::consultations::AdoptionResult::catalog(),
        crate::meetings::MeetingStatus::catalog(),
        crate::meetings::BroadcastMode::catalog(),
        crate::oversight::RectificationStatus::catalog(),
        crate::oversight::RectificationSource::catalog(),
        crate::oversight::WebsiteStatus::catalog(),
        crate::oversight::WebsiteFindingKind::catalog(),
        crate::oversight::SpotCheckStatus::catalog(),
        crate::oversight::ReadingVenueKind::catalog(),
        crate::opinions::IncidentSource::catalog(),
        crate::opinions::OpinionFocus::catalog(),
        crate::opinions::EventLevel::catalog(),
        crate::opinions::IncidentStatus::catalog(),
        crate::opinions::HandlingClass::catalog(),
        crate::opinions::ReleaseKind::catalog(),
        crate::opinions::ReferralAuthority::catalog(),
        crate::opinions::ResponsibilityRule::catalog(),
        crate::opinions::ClockKind::catalog(),
        crate::catalogs::CatalogAudience::catalog(),
        crate::catalogs::CatalogMode::catalog(),
        crate::catalogs::CatalogLevel::catalog(),
        crate::catalogs::DisclosureChannel::catalog(),
        crate::reposts::IssuerLevel::catalog(),
        crate::reposts::RepostStatus::catalog(),
        crate::reposts::RepostStanding::catalog(),
        crate::self_inspections::SelfInspectionStatus::catalog(),
        crate::self_inspections::SelfInspectionItemKind::catalog(),
        crate::self_inspections::SelfInspectionDecision::catalog(),
        crate::accountability::BreachKind::catalog(),
        crate::accountability::ManualBreachCategory::catalog(),
        crate::accountability::BreachDecisionKind::catalog(),
        crate::annual_reports::AnnualReportStatus::catalog(),
        crate::annual_reports::ChallengeKind::catalog(),
        crate::annual_reports::ChallengeResult::catalog(),
        crate::annual_reports::ChallengeRole::catalog(),
        crate::evaluation::ScoreSource::catalog(),
        crate::webhooks::WebhookEvent::catalog(),
        crate::webhooks::DeliveryStatus::catalog(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_text_and_json() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
            let json = serde_json::to_string(role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), *scope);
        }
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn the_schema_lists_the_wire_codes() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Role::schema()).unwrap();
        let codes: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(schema["enum"], serde_json::json!(codes));
    }

    #[test]
    fn unknown_code_is_refused_with_the_enum_name() {
        let err = "mayor".parse::<Role>().unwrap_err();
        assert_eq!(err.enum_name, "role");
        assert!(err.to_string().contains("mayor"));
    }

    #[test]
    fn catalogs_have_unique_names_and_labels_in_both_languages() {
        let catalogs = all_catalogs();
        let mut names: Vec<_> = catalogs.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), catalogs.len());
        for catalog in &catalogs {
            for value in &catalog.values {
                assert!(!value.label_zh.is_empty() && !value.label_en.is_empty());
                assert!(!value.label_zh.is_ascii(), "{}", value.code);
            }
        }
    }
}
