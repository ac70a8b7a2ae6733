//! Issue 11: the public document list answers with items PostgreSQL wrote when each document
//! changed (`public_document_list`), not with rows the service decodes and writes out again. The
//! bytes must be those the service writes for the same document, whatever its text and dates, and
//! the kept list must hold exactly the public documents as they are now.

use api::routes::public::PublicDocumentSummary;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use uuid::Uuid;

use crate::search::Bureau;

/// Kept rows that are missing, left over, or differ from what their document gives now.
const STALE_LIST_ROWS: &str = "SELECT count(*) AS n FROM documents d FULL JOIN public_document_list l ON l.id = d.id \
     WHERE CASE WHEN d.status = 'published' AND d.disclosure IN ('public_release', 'proactive') \
         THEN l.id IS NULL OR l.summary IS DISTINCT FROM public_document_summary(d) OR l.title <> d.title \
             OR l.issuing_org_id <> d.issuing_org_id OR l.category <> d.category \
             OR l.formed_year IS DISTINCT FROM formed_year(d.formed_on) \
         ELSE l.id IS NOT NULL END";

/// Text of every kind the escaping must get right: JSON's escapes, other control characters, DEL,
/// the line separators JavaScript minds, Chinese, characters outside the BMP.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("\n\r\t\u{8}\u{c}".to_owned()),
        Just("\u{1}\u{1f}\u{7f}".to_owned()),
        Just("\u{2028}\u{2029}".to_owned()),
        Just("《关于印发》〔2026〕".to_owned()),
        Just("😀𠀀".to_owned()),
        "[a-zA-Z0-9 /<>&]{1,8}",
        "\\PC{1,8}",
    ];
    prop::collection::vec(piece, 1..6).prop_map(|pieces| format!("x{}", pieces.concat()))
}

/// A date, now and then in a year PostgreSQL does not write as the service does.
fn date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        8 => (1i32..=9999, 1u32..=12, 1u32..=28),
        1 => prop_oneof![Just((0, 6, 1)), Just((-44, 3, 15)), Just((10000, 1, 1)), Just((12345, 12, 31))],
    ]
    .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

/// A time with no fraction, milliseconds or microseconds (PostgreSQL keeps microseconds).
fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    (date(), 0u32..86_400, prop_oneof![Just(0u32), (1u32..1000).prop_map(|ms| ms * 1000), 1u32..1_000_000]).prop_map(
        |(day, second, micros)| {
            let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(second, micros * 1000).unwrap();
            day.and_time(time).and_utc()
        },
    )
}

#[derive(Debug, Clone)]
struct Case {
    doc_number: Option<String>,
    title: String,
    formed_on: NaiveDate,
    published_at: DateTime<Utc>,
    repealed: Option<(NaiveDate, String)>,
}

fn case() -> impl Strategy<Value = Case> {
    (prop::option::of(text()), text(), date(), timestamp(), prop::option::of((date(), text()))).prop_map(
        |(doc_number, title, formed_on, published_at, repealed)| Case {
            doc_number,
            title,
            formed_on,
            published_at,
            repealed,
        },
    )
}

/// Whether PostgreSQL writes the case's item itself (every date in the years 1–9999).
fn kept_as_json(case: &Case) -> bool {
    let plain = |d: NaiveDate| (1..=9999).contains(&chrono::Datelike::year(&d));
    plain(case.formed_on)
        && plain(case.published_at.date_naive())
        && case.repealed.as_ref().is_none_or(|(on, _)| plain(*on))
}

async fn list_body(b: &Bureau, query: &str) -> String {
    let response = b.app.http.get(b.app.url(&format!("/api/v1/public/documents?{query}"))).send().await.unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.text().await.unwrap()
}

/// The page the service writes for these documents (newest first, no next page): each item
/// serialized by serde_json from the document's row, as the list answered before its rows were kept.
async fn expected_page(b: &Bureau, ids: &[Uuid]) -> String {
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let mut sorted = ids.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut items = Vec::new();
    for id in sorted {
        let summary = persistence::public::summary_of(&mut conn, id).await.unwrap().unwrap();
        items.push(serde_json::to_string(&PublicDocumentSummary::from(summary)).unwrap());
    }
    format!("{{\"items\":[{}],\"next_cursor\":null}}", items.join(","))
}

#[actix_web::test]
async fn every_list_item_is_the_bytes_the_service_writes_for_its_document() {
    let b = Bureau::new().await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let id = b.issue(n, &format!("元谋县民政局关于第{n}批救助资金的通知"), "正文。", "proactive", None).await;
        ids.push(Uuid::parse_str(&id).unwrap());
    }
    // What the lifecycle wrote, before any case below changes it.
    assert_eq!(list_body(&b, "limit=100").await, expected_page(&b, &ids).await);

    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let (mut kept, mut by_service) = (0, 0);
    for round in 0..40 {
        let id = ids[round % ids.len()];
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let (validity, changed_on, reason) = match &case.repealed {
            Some((on, reason)) => ("repealed", Some(*on), Some(reason.clone())),
            None => ("valid", None, None),
        };
        diesel::sql_query(
            "UPDATE documents SET doc_number = $2, title = $3, formed_on = $4, published_at = $5, \
             validity = $6, validity_changed_on = $7, validity_reason = $8 WHERE id = $1",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Nullable<Text>, _>(case.doc_number.clone())
        .bind::<Text, _>(case.title.clone())
        .bind::<Date, _>(case.formed_on)
        .bind::<Timestamptz, _>(case.published_at)
        .bind::<Text, _>(validity)
        .bind::<Nullable<Date>, _>(changed_on)
        .bind::<Nullable<Text>, _>(reason)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{case:?}: {e}"));
        // The fast path must be the one taken wherever it can be, or this test proves nothing.
        let json_kept = b
            .app
            .scalar(&format!(
                "SELECT count(*) AS n FROM public_document_list WHERE id = '{id}' AND summary IS NOT NULL"
            ))
            .await;
        assert_eq!(json_kept == 1, kept_as_json(&case), "{case:?}");
        if json_kept == 1 {
            kept += 1;
        } else {
            by_service += 1;
        }
        assert_eq!(list_body(&b, "limit=100").await, expected_page(&b, &ids).await, "{case:?}");
    }
    assert!(kept >= 20 && by_service >= 1, "kept {kept}, written by the service {by_service}");

    // Written in a session whose time zone skipped 2011-12-30 (a date is not a midnight there).
    b.app
        .execute_batch(&format!(
            "SET TimeZone = 'Pacific/Apia'; UPDATE documents SET formed_on = '2011-12-30', \
             published_at = '2011-12-29 23:30:00.5-10', validity = 'valid', validity_changed_on = NULL, \
             validity_reason = NULL WHERE id = '{}'; RESET TimeZone",
            ids[0]
        ))
        .await;
    assert_eq!(list_body(&b, "limit=100").await, expected_page(&b, &ids).await);

    // A page with a next one: the cursor is the last item's, as the service writes it.
    let mut newest = ids.clone();
    newest.sort_unstable_by(|a, b| b.cmp(a));
    let first_two = expected_page(&b, &newest[..2]).await.replace(
        "\"next_cursor\":null",
        &format!("\"next_cursor\":\"{}\"", api::http::pagination::encode_id_cursor(newest[1])),
    );
    assert_eq!(list_body(&b, "limit=2").await, first_two);
    assert_eq!(b.app.scalar(STALE_LIST_ROWS).await, 0);
}

#[actix_web::test]
async fn rows_written_or_deleted_directly_and_single_column_changes_reach_the_kept_list() {
    let b = Bureau::new().await;
    let issued = b.issue(1, "元谋县民政局关于做好低保审核工作的通知", "正文。", "proactive", None).await;

    // Inserted as published (no product path does it; the seeding of the bench does).
    let direct = Uuid::from_u128(7).to_string();
    b.app
        .execute_batch(&format!(
            "INSERT INTO documents (id, title, issuing_org_id, issuing_authority, lead_drafting_org_id, \
               drafting_org_ids, category, disclosure, status, formed_on, published_at) \
             VALUES ('{direct}', '元谋县民政局关于临时救助的通知', '{org}', 'department', '{org}', \
               ARRAY['{org}'::uuid], 'service', 'public_release', 'published', current_date, now())",
            org = b.org
        ))
        .await;
    assert_eq!(b.app.scalar(STALE_LIST_ROWS).await, 0);
    assert_eq!(b.app.scalar(&format!("SELECT count(*) AS n FROM public_document_list WHERE id = '{direct}'")).await, 1);

    // One listed column at a time.
    for change in [
        "doc_number = '元民发〔2026〕99号'",
        "doc_number = NULL",
        "issuing_org_id = (SELECT id FROM organizations WHERE name = '元谋县人民政府')",
        "issuing_authority = 'county_government'",
        "doc_kind = 'other'",
        "is_policy = true",
        "formed_on = DATE '2025-12-31'",
        "published_at = published_at - interval '1 day'",
    ] {
        b.app.execute_batch(&format!("UPDATE documents SET {change} WHERE id = '{issued}'")).await;
        assert_eq!(b.app.scalar(STALE_LIST_ROWS).await, 0, "{change}");
    }

    // The text and the version are not in the item: the kept row is not rewritten for them (the
    // transaction that wrote it last stays the same), and is for a title.
    let kept_by = format!("SELECT xmin::text::bigint AS n FROM public_document_list WHERE id = '{issued}'");
    let before = b.app.scalar(&kept_by).await;
    b.app
        .execute_batch(&format!(
            "UPDATE documents SET body = '修改后的正文。', version = version + 1 WHERE id = '{issued}'"
        ))
        .await;
    assert_eq!(b.app.scalar(&kept_by).await, before, "rewritten for its text");
    b.app
        .execute_batch(&format!("UPDATE documents SET title = '元谋县民政局关于低保审核的通知' WHERE id = '{issued}'"))
        .await;
    assert_ne!(b.app.scalar(&kept_by).await, before, "not rewritten for its title");
    assert_eq!(b.app.scalar(STALE_LIST_ROWS).await, 0);

    // Deleted (no product path does it).
    b.app.execute_batch(&format!("DELETE FROM documents WHERE id = '{direct}'")).await;
    assert_eq!(b.app.scalar(&format!("SELECT count(*) AS n FROM public_document_list WHERE id = '{direct}'")).await, 0);
    assert_eq!(b.app.scalar(STALE_LIST_ROWS).await, 0);
}

#[actix_web::test]
async fn the_kept_list_holds_exactly_the_public_documents_through_every_change() {
    let b = Bureau::new().await;
    let first = b.issue(1, "元谋县民政局关于做好低保审核工作的通知", "正文。", "public_release", None).await;
    let second = b.issue(2, "元谋县民政局关于养老服务补贴的通知", "正文。", "proactive", None).await;
    let filed = b.issue(3, "元谋县民政局内部审计整改情况", "正文。", "not_public", None).await;
    let listed = |body: String| -> Vec<String> {
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(listed(list_body(&b, "").await), [second.clone(), first.clone()]);
    assert_eq!(b.app.scalar(&format!("SELECT count(*) AS n FROM public_document_list WHERE id = '{filed}'")).await, 0);

    // The attribute changes: out of the list, and back.
    b.app.execute_batch(&format!("UPDATE documents SET disclosure = 'on_request' WHERE id = '{first}'")).await;
    assert_eq!(listed(list_body(&b, "").await), std::slice::from_ref(&second));
    b.app.execute_batch(&format!("UPDATE documents SET disclosure = 'proactive' WHERE id = '{first}'")).await;
    assert_eq!(listed(list_body(&b, "").await), [second.clone(), first.clone()]);

    // A change to a listed document reaches its item and the filters at once.
    b.app
        .execute_batch(&format!(
            "UPDATE documents SET title = '元谋县民政局关于废止养老补贴办法的通知', category = 'decision', \
             validity = 'repealed', validity_changed_on = '2026-11-20', validity_reason = '已被新办法替代' \
             WHERE id = '{second}'"
        ))
        .await;
    let page: serde_json::Value = serde_json::from_str(&list_body(&b, "category=decision").await).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], second.as_str());
    assert_eq!(page["items"][0]["validity"], "repealed");
    assert_eq!(page["items"][0]["validity_reason"], "已被新办法替代");
    assert_eq!(listed(list_body(&b, "q=%E5%BA%9F%E6%AD%A2").await), std::slice::from_ref(&second));
    assert_eq!(listed(list_body(&b, &format!("org={}", b.org)).await), [second.clone(), first.clone()]);
    assert_eq!(listed(list_body(&b, &format!("org={}", Uuid::now_v7())).await), Vec::<String>::new());
    let year =
        b.app.scalar(&format!("SELECT formed_year(formed_on)::bigint AS n FROM documents WHERE id = '{first}'")).await;
    assert_eq!(listed(list_body(&b, &format!("year={year}")).await), [second.clone(), first.clone()]);
    assert_eq!(listed(list_body(&b, &format!("year={}", year - 1)).await), Vec::<String>::new());

    // Unpublished by status.
    b.app.execute_batch(&format!("UPDATE documents SET status = 'filed' WHERE id = '{second}'")).await;
    assert_eq!(listed(list_body(&b, "").await), std::slice::from_ref(&first));
    assert_eq!(b.app.scalar(STALE_LIST_ROWS).await, 0);
}
