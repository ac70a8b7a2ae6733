//! JSON answers of the hot public reads (the document list, a document's page, search) and of the
//! public catalogs.
//!
//! - The buffer is sized for the answer: `HttpResponse::json` starts small and doubles, and a
//!   24 KB list page was copied through seven growing buffers, each large reallocation also
//!   making glibc consolidate its free lists (callgrind, issue 11).
//! - The text is written by sonic-rs, whose string escaping scans 16 bytes at a time (SSE2, in
//!   every x86-64 CPU). serde_json looks at each byte on its own, and escaping the Chinese titles
//!   was a quarter of a list page's instructions. The bytes are serde_json's: the tests below
//!   hold every public answer type to them, with arbitrary text.

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// `value` as JSON, in a buffer of `expected_bytes` to begin with (it still grows if the guess
/// is short).
fn serialize<T: Serialize>(value: &T, expected_bytes: usize) -> sonic_rs::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(expected_bytes);
    sonic_rs::to_writer(&mut body, value)?;
    // sonic-rs reserves six times a string's length before escaping it, and the response keeps
    // the buffer's whole capacity: a document of 100 KB of text would hold about 700 KB while
    // it is sent. glibc shrinks the block in place.
    if body.capacity() > body.len() + body.len() / 4 + 4096 {
        body.shrink_to_fit();
    }
    Ok(body)
}

/// A 200 with `value` as JSON and the given `Cache-Control`. For the types the tests below
/// compare with serde_json; a new caller adds its type there (floating-point numbers, which the
/// two libraries format by different code, are in none of them).
pub fn json_ok<T: Serialize>(cache_control: &'static str, value: &T, expected_bytes: usize) -> ApiResult<HttpResponse> {
    let body = serialize(value, expected_bytes).map_err(serialization_failed)?;
    Ok(ok_with_body(cache_control, body))
}

/// The 500 of an answer that could not be written as JSON, logged.
pub fn serialization_failed(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "an answer could not be serialized");
    ApiError::internal()
}

fn ok_with_body(cache_control: &'static str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, cache_control)).content_type("application/json").body(body)
}

/// A 200 with a page (`{"items":[…],"next_cursor":…}`, as [`Page`](crate::http::pagination::Page)
/// serializes) whose items are already JSON, written in as they are.
pub fn json_page_of_items(
    cache_control: &'static str,
    items: &[String],
    next_cursor: Option<&str>,
) -> ApiResult<HttpResponse> {
    let mut body = Vec::with_capacity(items.iter().map(String::len).sum::<usize>() + items.len() + 64);
    body.extend_from_slice(b"{\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item.as_bytes());
    }
    body.extend_from_slice(b"],\"next_cursor\":");
    serde_json::to_writer(&mut body, &next_cursor).map_err(serialization_failed)?;
    body.push(b'}');
    Ok(ok_with_body(cache_control, body))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use domain::documents::{DocKind, DocumentCategory, IssuingAuthority, Validity};
    use domain::interpretations::{InterpretationForm, InterpretationStage};
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::http::pagination::Page;
    use crate::routes::catalogs::CatalogItemDto;
    use crate::routes::public::{
        PublicAttachment, PublicDocument, PublicDocumentDetail, PublicDocumentSummary, PublicInterpretation,
    };
    use crate::routes::public_catalogs::{PublicCatalogDto, PublicCatalogSummary};
    use crate::routes::search::SearchHit;
    use domain::catalogs::{CatalogAudience, CatalogItemDraft, CatalogLevel, CatalogMode, DisclosureChannel};

    /// The answer's bytes must be serde_json's, byte for byte: the contract and every client were
    /// written against them.
    fn assert_as_serde_json<T: Serialize>(value: &T) {
        let ours = serialize(value, 16).unwrap();
        let reference = serde_json::to_vec(value).unwrap();
        // Bytes, not text: a lossy view would hide an invalid UTF-8 sequence behind U+FFFD.
        assert!(
            ours == reference,
            "ours:\n{}\nserde_json:\n{}",
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&reference)
        );
    }

    /// Any text, and text dense in what JSON escapes (controls, quotes, backslashes) or leaves
    /// alone but others escape (`/`, U+2028, U+2029, DEL), mixed with Chinese and astral characters.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[\\x00-\\x7f]{0,80}",
            "[\\x00-\\x20\"\\\\/\\x7f\u{2028}\u{2029}一-龥😀]{0,100}",
            "[一-龥]{0,600}",
        ]
    }

    fn day() -> impl Strategy<Value = NaiveDate> {
        (-100_000i32..4_000_000).prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).unwrap())
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (-10_000_000_000i64..300_000_000_000, 0u32..1_000_000_000)
            .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
    }

    fn uuid() -> impl Strategy<Value = Uuid> {
        any::<u128>().prop_map(Uuid::from_u128)
    }

    prop_compose! {
        fn summary()(
            ids in (uuid(), uuid()),
            doc_number in proptest::option::of(text()),
            title in text(),
            validity_reason in proptest::option::of(text()),
            is_policy in any::<bool>(),
            formed_on in proptest::option::of(day()),
            published_at in proptest::option::of(instant()),
            validity_changed_on in proptest::option::of(day()),
            pick in 0usize..3,
        ) -> PublicDocumentSummary {
            PublicDocumentSummary {
                id: ids.0,
                doc_number,
                title,
                issuing_org_id: ids.1,
                issuing_authority: [IssuingAuthority::CountyGovernment, IssuingAuthority::GovernmentOffice, IssuingAuthority::Department][pick],
                category: [DocumentCategory::Service, DocumentCategory::Decision, DocumentCategory::Result][pick],
                doc_kind: [DocKind::Regulation, DocKind::Normative, DocKind::Other][pick],
                is_policy,
                formed_on,
                published_at,
                validity: [Validity::Valid, Validity::Repealed, Validity::Expired][pick],
                validity_changed_on,
                validity_reason,
            }
        }
    }

    prop_compose! {
        fn attachment()(id in uuid(), filename in text(), media_type in text(), size_bytes in any::<i64>(), sha256 in text())
            -> PublicAttachment {
            PublicAttachment { id, filename, media_type, size_bytes, sha256 }
        }
    }

    prop_compose! {
        fn interpretation()(
            id in uuid(),
            title in text(),
            elements in proptest::collection::vec(proptest::option::of(text()), 9),
            published_at in proptest::option::of(instant()),
            attachments in proptest::collection::vec(attachment(), 0..3),
        ) -> PublicInterpretation {
            let mut e = elements.into_iter();
            PublicInterpretation {
                id,
                stage: InterpretationStage::Initial,
                title,
                forms: vec![InterpretationForm::Article, InterpretationForm::Qa],
                background_basis: e.next().flatten(),
                objectives: e.next().flatten(),
                main_content: e.next().flatten(),
                scope: e.next().flatten(),
                standards: e.next().flatten(),
                notes: e.next().flatten(),
                key_terms: e.next().flatten(),
                benefits: e.next().flatten(),
                changes: e.next().flatten(),
                published_at,
                attachments,
            }
        }
    }

    prop_compose! {
        fn hit()(
            ids in (uuid(), uuid(), uuid()),
            texts in proptest::collection::vec(text(), 7),
            doc_number in proptest::option::of(text()),
            published_at in proptest::option::of(instant()),
            title_hit in any::<bool>(),
        ) -> SearchHit {
            let mut t = texts.into_iter();
            let mut next = || t.next().unwrap_or_default();
            SearchHit {
                kind: next(),
                id: ids.0,
                document_id: ids.1,
                title: next(),
                title_highlighted: next(),
                snippet: next(),
                doc_number,
                organization_id: ids.2,
                category: next(),
                status: next(),
                published_at,
                title_hit,
                url: next(),
            }
        }
    }

    prop_compose! {
        fn catalog_item()(
            position in any::<i32>(),
            area_id in uuid(),
            texts in proptest::collection::vec(text(), 7),
            item_level2 in proptest::option::of(text()),
            pick in 0usize..2,
        ) -> CatalogItemDto {
            let mut t = texts.into_iter();
            let mut next = || t.next().unwrap_or_default();
            CatalogItemDto {
                position,
                area_id,
                item: CatalogItemDraft {
                    area: next(),
                    item_level1: next(),
                    item_level2,
                    content_elements: next(),
                    basis: next(),
                    time_limit: next(),
                    owner: next(),
                    channels: [vec![], vec![DisclosureChannel::GovernmentWebsite, DisclosureChannel::ReadingVenue]][pick].clone(),
                    audience: [CatalogAudience::WholeSociety, CatalogAudience::SpecificGroups][pick],
                    mode: [CatalogMode::Proactive, CatalogMode::OnRequest][pick],
                    level: [None, Some(CatalogLevel::Township)][pick],
                    openness_category: [DocumentCategory::Service, DocumentCategory::Result][pick],
                },
            }
        }
    }

    prop_compose! {
        fn catalog_summary()(
            ids in (uuid(), uuid()),
            organization_name in text(),
            title in text(),
            numbers in (any::<i32>(), any::<i32>()),
            published_at in instant(),
        ) -> PublicCatalogSummary {
            PublicCatalogSummary {
                id: ids.0,
                organization_id: ids.1,
                organization_name,
                title,
                latest_version: numbers.0,
                item_count: numbers.1,
                published_at,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn a_public_catalog_page_is_written_as_serde_json_writes_it(
            items in proptest::collection::vec(catalog_summary(), 0..6),
            next_cursor in proptest::option::of(text()),
        ) {
            assert_as_serde_json(&Page { items, next_cursor });
        }

        #[test]
        fn a_public_catalog_is_written_as_serde_json_writes_it(
            summary in catalog_summary(),
            items in proptest::collection::vec(catalog_item(), 0..5),
        ) {
            assert_as_serde_json(&PublicCatalogDto {
                id: summary.id,
                organization_id: summary.organization_id,
                organization_name: summary.organization_name,
                title: summary.title,
                version: summary.latest_version,
                published_at: summary.published_at,
                items,
            });
        }

        #[test]
        fn a_list_page_is_written_as_serde_json_writes_it(
            items in proptest::collection::vec(summary(), 0..8),
            next_cursor in proptest::option::of(text()),
        ) {
            assert_as_serde_json(&Page { items, next_cursor });
        }

        #[test]
        fn a_document_page_is_written_as_serde_json_writes_it(
            summary in summary(),
            body in text(),
            attachments in proptest::collection::vec(attachment(), 0..3),
            interpretations in proptest::collection::vec(interpretation(), 0..3),
        ) {
            let document = PublicDocument { summary, body };
            assert_as_serde_json(&PublicDocumentDetail { document, attachments, interpretations });
        }

        #[test]
        fn a_search_page_is_written_as_serde_json_writes_it(
            items in proptest::collection::vec(hit(), 0..6),
            next_cursor in proptest::option::of(text()),
        ) {
            assert_as_serde_json(&Page { items, next_cursor });
        }
    }

    #[test]
    fn a_long_text_does_not_leave_the_answer_holding_six_times_its_size() {
        let body = "公".repeat(100_000);
        let json = serialize(&body, body.len() + 2048).unwrap();
        assert_eq!(json.len(), body.len() + 2);
        assert!(json.capacity() <= json.len() + json.len() / 4 + 4096, "{} for {}", json.capacity(), json.len());
    }

    #[test]
    fn every_ascii_character_is_escaped_as_serde_json_escapes_it_wherever_it_falls() {
        // Each character at every offset of a run longer than the widest SIMD block (64 bytes),
        // after ASCII and after three-byte characters, so that it meets every block edge.
        for byte in 0u8..0x80 {
            for offset in 0..70 {
                for filler in ["a", "公"] {
                    let mut s = filler.repeat(offset);
                    s.push(char::from(byte));
                    s.push_str(&filler.repeat(70 - offset));
                    assert_as_serde_json(&s);
                }
            }
        }
    }
}
