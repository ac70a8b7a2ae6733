//! The framework's ceiling: actix-web answering a fixed JSON object, no state, no database.
//! `bench-empty 127.0.0.1:18081` serves `GET /` with the same worker count as `gongkai serve`.

use actix_web::{web, App, HttpResponse, HttpServer};

#[derive(serde::Serialize)]
struct Hello {
    ok: bool,
    name: &'static str,
}

async fn hello() -> HttpResponse {
    HttpResponse::Ok().json(Hello { ok: true, name: "gongkai-bench" })
}

fn main() -> std::io::Result<()> {
    let bind = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18081".into());
    let workers: usize = std::env::var("GONGKAI_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().route("/", web::get().to(hello))).workers(workers).bind(bind)?.run().await
    })
}
