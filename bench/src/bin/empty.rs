//! The framework's ceilings. `bench-empty 127.0.0.1:18081` serves, with the same worker count as
//! `gongkai serve`:
//! - `GET /`: a fixed JSON object, no state, no database (actix-web alone);
//! - `GET /api/v1/public/documents/{id}`, when `DATABASE_URL` is set: the minimal actix-web +
//!   diesel-async handler the issue names as a reference, with no authentication, middleware or
//!   files and interpretations: one prepared SELECT of a public document's columns by id, answered
//!   as JSON (404 when not found). Its pools are those the service answers public reads from: the
//!   default size (two connections a core, 2 to 8; four a core, 4 to 16, before the public reads
//!   had their own) shared out among the workers, each worker opening its own on its thread, so
//!   that the reference gets what the service gets from it.

use actix_web::{web, App, HttpResponse, HttpServer};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

diesel::table! {
    documents (id) {
        id -> Uuid,
        doc_number -> Nullable<Text>,
        title -> Text,
        body -> Text,
        issuing_org_id -> Uuid,
        issuing_authority -> Text,
        category -> Text,
        doc_kind -> Text,
        is_policy -> Bool,
        formed_on -> Nullable<Date>,
        published_at -> Nullable<Timestamptz>,
        validity -> Text,
        validity_changed_on -> Nullable<Date>,
        validity_reason -> Nullable<Text>,
        status -> Text,
        disclosure -> Nullable<Text>,
    }
}

#[derive(serde::Serialize)]
struct Hello {
    ok: bool,
    name: &'static str,
}

async fn hello() -> HttpResponse {
    HttpResponse::Ok().json(Hello { ok: true, name: "gongkai-bench" })
}

#[derive(Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = documents)]
struct PublicDocument {
    id: Uuid,
    doc_number: Option<String>,
    title: String,
    body: String,
    issuing_org_id: Uuid,
    issuing_authority: String,
    category: String,
    doc_kind: String,
    is_policy: bool,
    formed_on: Option<NaiveDate>,
    published_at: Option<DateTime<Utc>>,
    validity: String,
    validity_changed_on: Option<NaiveDate>,
    validity_reason: Option<String>,
}

async fn document(pool: web::Data<Pool<AsyncPgConnection>>, id: web::Path<Uuid>) -> HttpResponse {
    let Ok(mut conn) = pool.get().await else { return HttpResponse::ServiceUnavailable().finish() };
    let found = documents::table
        .filter(documents::id.eq(*id))
        .filter(documents::status.eq("published"))
        .filter(documents::disclosure.eq_any(["public_release", "proactive"]))
        .select(PublicDocument::as_select())
        .first(&mut conn)
        .await
        .optional();
    match found {
        Ok(Some(document)) => HttpResponse::Ok().json(document),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn main() -> std::io::Result<()> {
    let bind = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18081".into());
    let workers: usize = std::env::var("GONGKAI_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let database_url = std::env::var("DATABASE_URL").ok();
    let pool_size = (2 * std::thread::available_parallelism().map_or(2, usize::from)).clamp(2, 8);
    let worker_pool_size = (pool_size / workers.max(1)).max(1);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let app = App::new().route("/", web::get().to(hello));
            match &database_url {
                Some(url) => {
                    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
                    let pool = Pool::builder(manager).max_size(worker_pool_size).build().expect("a pool");
                    app.app_data(web::Data::new(pool)).route("/api/v1/public/documents/{id}", web::get().to(document))
                }
                None => app,
            }
        })
        .workers(workers)
        .bind(bind)?
        .run()
        .await
    })
}
