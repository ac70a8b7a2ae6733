//! The hash-chained audit log (issue 10, item 7): concurrent writers' rows are sealed into one
//! chain; the database refuses UPDATE, DELETE and TRUNCATE; tampering through SQL (with the
//! triggers switched off, as only a superuser can) is reported at the first broken link.

use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};

async fn verify(app: &TestApp, admin: &str) -> Value {
    app.get_ok(admin, "/api/v1/audit/verify").await
}

/// Runs `sql` with the table's triggers off, as a superuser tampering with the data would.
async fn tamper(app: &TestApp, sql: &str) {
    app.execute_batch(&format!("BEGIN; SET LOCAL session_replication_role = replica; {sql}; COMMIT;")).await;
}

async fn id_at(app: &TestApp, seq: i64) -> i64 {
    app.scalar(&format!("SELECT id AS n FROM audit_log WHERE chain_seq = {seq}")).await
}

#[actix_web::test]
async fn concurrent_writes_are_sealed_into_one_chain_and_tampering_is_reported_at_its_first_broken_link() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    // Twenty writers at once: none waits for another to seal its row.
    let names: Vec<String> = (0..20).map(|n| format!("元谋县第{n}局")).collect();
    let writes = names.iter().map(|name| app.create_organization(&admin, name, "department", Some(county)));
    futures_util::future::join_all(writes).await;
    let total = app.scalar("SELECT count(*) AS n FROM audit_log").await;
    assert!(total >= 21, "{total}");

    let intact = verify(&app, &admin).await;
    assert_eq!(intact["intact"], true, "{intact}");
    assert_eq!(intact["first_broken"], Value::Null);
    // Reading the log writes nothing, so every row counted above is sealed, in one unbroken chain.
    assert_eq!((intact["verified_rows"].as_i64(), intact["unsealed_rows"].as_i64()), (Some(total), Some(0)));
    assert_eq!(intact["head_seq"].as_i64(), Some(total));
    assert_eq!(intact["head_hash"].as_str().unwrap().len(), 64);
    let gapless = "SELECT count(*) AS n FROM audit_log WHERE chain_seq BETWEEN 1 AND (SELECT count(*) FROM audit_log)";
    assert_eq!(app.scalar(gapless).await, total);
    // Sealed in the order the rows were written, as the chain was first defined.
    let out_of_order = "SELECT count(*) AS n FROM (SELECT id, lag(id) OVER (ORDER BY chain_seq) AS before \
                        FROM audit_log WHERE chain_seq IS NOT NULL) chain WHERE before > id";
    assert_eq!(app.scalar(out_of_order).await, 0);

    // The database itself refuses every change but sealing.
    for sql in [
        "UPDATE audit_log SET details = '{\"forged\": true}' WHERE chain_seq = 3",
        "UPDATE audit_log SET chain_seq = 999 WHERE chain_seq = 3",
        "UPDATE audit_log SET chain_seq = NULL, prev_hash = NULL, row_hash = NULL WHERE chain_seq = 3",
        "DELETE FROM audit_log WHERE chain_seq = 3",
        "TRUNCATE audit_log",
    ] {
        assert!(app.refused_batch(sql).await.contains("append-only"), "{sql}");
    }
    assert_eq!(verify(&app, &admin).await["intact"], true);

    let original = |seq: i64| format!("(SELECT details FROM audit_log WHERE chain_seq = {seq})");

    // 1. A row's content changed: reported at that row.
    app.execute_batch(&format!("CREATE TABLE kept AS SELECT {} AS details", original(3))).await;
    tamper(&app, "UPDATE audit_log SET details = '{\"name\": \"伪造\"}' WHERE chain_seq = 3").await;
    let broken = verify(&app, &admin).await;
    assert_eq!(broken["intact"], false);
    assert_eq!(
        broken["first_broken"],
        json!({"chain_seq": 3, "audit_id": id_at(&app, 3).await, "reason": "content_changed"})
    );
    tamper(&app, "UPDATE audit_log SET details = (SELECT details FROM kept) WHERE chain_seq = 3").await;
    assert_eq!(verify(&app, &admin).await["intact"], true, "restored, the chain holds again");

    // 2. Changed and re-hashed to match: the next row's link to it breaks.
    tamper(
        &app,
        "UPDATE audit_log a SET details = '{\"name\": \"伪造\"}' WHERE chain_seq = 5;
         UPDATE audit_log a SET row_hash = sha256(a.prev_hash || audit_canonical(a)) WHERE chain_seq = 5",
    )
    .await;
    let broken = verify(&app, &admin).await;
    assert_eq!(
        broken["first_broken"],
        json!({"chain_seq": 6, "audit_id": id_at(&app, 6).await, "reason": "previous_hash_mismatch"})
    );

    // 3. A row removed from the middle, on top: the earlier break is still the first reported;
    // a row removed before it would be reported first.
    tamper(&app, "DELETE FROM audit_log WHERE chain_seq = 4").await;
    let broken = verify(&app, &admin).await;
    assert_eq!(
        broken["first_broken"],
        json!({"chain_seq": 5, "audit_id": id_at(&app, 5).await, "reason": "missing_rows"})
    );

    // New rows keep being sealed after the break.
    app.create_organization(&admin, "元谋县新设局", "department", Some(county)).await;
    let later = verify(&app, &admin).await;
    assert_eq!(later["unsealed_rows"], 0);
    assert_eq!(later["verified_rows"].as_i64(), Some(app.scalar("SELECT count(*) AS n FROM audit_log").await));
    assert_eq!(later["verified_rows"].as_i64(), Some(total), "one row removed, one added");

    // Only the system administrator verifies.
    let bureau = app.create_organization(&admin, "元谋县审计局", "department", Some(county)).await;
    app.create_user(&admin, "aud.officer", Some(bureau), &["openness_officer"]).await;
    let officer = app.token_of("aud.officer").await;
    let response = app.http.get(app.url("/api/v1/audit/verify")).bearer_auth(&officer).send().await.unwrap();
    expect_problem(response, 403, "forbidden").await;
    assert_eq!(app.http.get(app.url("/api/v1/audit/verify")).send().await.unwrap().status(), 401);
}
