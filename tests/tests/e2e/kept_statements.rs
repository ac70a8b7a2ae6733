//! Issue 11: a lifecycle step's UPDATE … RETURNING is kept prepared on its connection (diesel
//! never keeps an UPDATE by itself), one statement per call site however many documents pass.

use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use persistence::audit::{Actor, ActorKind};
use serde_json::json;
use uuid::Uuid;

use crate::search::Bureau;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

/// `set_status`'s UPDATE of a document, kept prepared on this connection.
async fn kept_status_updates(conn: &mut AsyncPgConnection) -> i64 {
    e2e::scalar_on(
        conn,
        "SELECT count(*) AS n FROM pg_prepared_statements \
         WHERE statement LIKE 'UPDATE \"documents\" SET \"status\" = $1, \"version\"%'",
    )
    .await
}

#[actix_web::test]
async fn a_lifecycle_update_is_kept_prepared_once_per_connection() {
    let b = Bureau::new().await;
    let mut drafts = Vec::new();
    for n in 1..=3 {
        let draft = b
            .post(
                &b.drafter,
                "/api/v1/documents",
                json!({"title": format!("元谋县民政局关于第{n}批救助资金发放的通知"), "body": "现将有关事项通知如下。",
                       "issuing_org_id": b.org, "issuing_authority": "department", "is_policy": false,
                       "category": "service", "doc_kind": "normative", "disclosure": "proactive"}),
            )
            .await;
        drafts.push(Uuid::parse_str(draft["id"].as_str().unwrap()).unwrap());
    }
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let drafter: Id =
        diesel::sql_query("SELECT id FROM users WHERE username = 'mz.drafter'").get_result(&mut conn).await.unwrap();
    let actor = Actor { kind: ActorKind::User, id: Some(drafter.id), request_id: None };
    assert_eq!(kept_status_updates(&mut conn).await, 0);
    for (n, id) in drafts.iter().enumerate() {
        let outcome = persistence::documents::submit(&mut conn, &actor, *id, None, &|_| Ok(())).await.unwrap();
        assert_eq!(outcome.document.version, 2, "the UPDATE answered with the row it wrote");
        assert_eq!(kept_status_updates(&mut conn).await, 1, "after submission {}: one kept statement", n + 1);
    }
    let statuses = b
        .app
        .scalar(&format!(
            "SELECT count(*) AS n FROM documents WHERE status = 'submitted' AND id IN ('{}', '{}', '{}')",
            drafts[0], drafts[1], drafts[2]
        ))
        .await;
    assert_eq!(statuses, 3);
}
