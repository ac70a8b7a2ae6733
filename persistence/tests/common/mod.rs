//! Helpers shared by the tests that write documents with SQL.

use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::OrganizationKind;
use persistence::organizations::{self, OrganizationFields};
use persistence::{Actor, ActorKind};
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// The one text column `value` of the one row `sql` answers.
pub async fn text(conn: &mut AsyncPgConnection, sql: &str) -> String {
    diesel::sql_query(sql).get_result::<Text>(conn).await.unwrap().value
}

pub async fn organization(conn: &mut AsyncPgConnection, name: &str) -> Uuid {
    let actor = Actor { kind: ActorKind::System, id: None, request_id: None };
    let fields = OrganizationFields {
        name: name.into(),
        kind: OrganizationKind::Department,
        parent_id: None,
        principal_name: None,
        openness_deputy_name: None,
        principal_duties: None,
        openness_deputy_duties: None,
    };
    organizations::create(conn, &actor, fields).await.unwrap().id
}

/// A draft issued and drafted by a new department, with `disclosure` (SQL: NULL or a quoted code).
pub async fn draft(conn: &mut AsyncPgConnection, disclosure: &str) -> Uuid {
    let org = organization(conn, "元谋县农业农村局").await;
    let id = Uuid::now_v7();
    diesel::sql_query(format!(
        "INSERT INTO documents (id, title, body, issuing_org_id, issuing_authority, lead_drafting_org_id, \
         drafting_org_ids, category, disclosure) VALUES ('{id}', '关于做好高标准农田管护工作的通知', '正文', \
         '{org}', 'department', '{org}', ARRAY['{org}'::uuid], 'execution', {disclosure})"
    ))
    .execute(conn)
    .await
    .unwrap();
    id
}
