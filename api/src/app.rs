//! Assembling the actix application: routes, contract, middleware, and the server around them.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::http::context::request_context;
use crate::http::extract::{json_config, path_config, query_config};
use crate::http::idempotency::idempotency;
use crate::openapi::{add_standard_responses, ApiDoc};

use crate::routes;
use crate::state::AppState;

/// The contract, derived from the same registrations that route requests.
pub fn contract() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::api_v1))
        .configure(routes::root)
        .split_for_parts();
    add_standard_responses(&mut api);
    api
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-query-token"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("ratelimit-limit"),
            header::HeaderName::from_static("ratelimit-remaining"),
            header::HeaderName::from_static("ratelimit-reset"),
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The contract as served: the document serialized once (workers share the bytes instead of each
/// holding its own copy of the structure, which is tens of megabytes), and the methods of every
/// path (for `Allow` on 405).
pub struct Contract {
    json: web::Bytes,
    methods: HashMap<String, String>,
}

impl Contract {
    pub fn new() -> Contract {
        let document = contract();
        let methods = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let verbs: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(verb, present)| present.then_some(verb))
                .collect();
                (path.clone(), verbs.join(", "))
            })
            .collect();
        let json = web::Bytes::from(serde_json::to_vec(&document).expect("the contract serializes to JSON"));
        Contract { json, methods }
    }

    fn allowed_methods(&self, pattern: &str) -> Option<&str> {
        self.methods.get(pattern).map(String::as_str)
    }
}

impl Default for Contract {
    fn default() -> Self {
        Contract::new()
    }
}

/// The contract as JSON: the same bytes for every request.
async fn openapi_json(contract: web::Data<Contract>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type("application/json").body(contract.json.clone())
}

const OPENAPI_JSON: &str = "/api/v1/openapi.json";

pub fn build_app(
    state: web::Data<AppState>,
    contract: Arc<Contract>,
    cors_origins: &[String],
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // The document route must be registered before the `/api/v1` scope, which would claim its
    // path; the documentation pages after it, so that API requests are not first tried against
    // their pattern (a regular expression; issue 11).
    let docs = SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::new([OPENAPI_JSON]));
    let (app, _) = App::new()
        .into_utoipa_app()
        .map(|app| app.service(web::resource(OPENAPI_JSON).get(openapi_json)))
        .app_data(web::Data::from(contract))
        .app_data(state)
        .app_data(json_config())
        .app_data(path_config())
        .app_data(query_config())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::api_v1))
        .configure(routes::root)
        .map(|app| app.service(docs))
        .split_for_parts();
    // Registering the routes built (and has just dropped) a copy of the contract; this returns
    // the freed memory of every arena, this worker's included.
    crate::allocator::release_free_memory();
    app.service(web::redirect("/docs", "/docs/"))
        .default_service(web::to(unmatched))
        .wrap(from_fn(crate::http::public_cache::public_cache))
        .wrap(from_fn(idempotency))
        .wrap(cors(cors_origins))
        .wrap(from_fn(request_context))
}

/// No route matched: 405 when the path exists under another method, else 404.
async fn unmatched(
    req: actix_web::HttpRequest,
    contract: web::Data<Contract>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let allowed =
        req.resource_map().match_pattern(req.path()).and_then(|p| contract.allowed_methods(&p).map(str::to_owned));
    match allowed {
        Some(methods) => Err(ApiError::new(actix_web::http::StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            .header(header::ALLOW, methods)),
        None => Err(ApiError::not_found()),
    }
}

/// What each worker opens for its requests: the pool of most requests and that of the anonymous
/// public reads (see `AppState::public_reads`).
#[derive(Debug, Clone)]
pub struct WorkerPools {
    pub requests: persistence::PoolSpec,
    pub public_reads: persistence::PoolSpec,
}

impl WorkerPools {
    fn build(&self) -> persistence::StoreResult<(persistence::Pool, persistence::Pool)> {
        Ok((self.requests.build()?, self.public_reads.build()?))
    }
}

/// Binds the listener and returns the running server; `await` it to serve until shutdown.
/// SIGTERM/SIGINT stop accepting, let in-flight requests finish (up to 30 s), then return.
///
/// With `worker_pools`, each worker answers from a pool of its own, opened on its thread; the
/// state's pool is left to the work done outside requests. A pooled connection's I/O runs as a
/// task of the thread that opened it (diesel-async spawns it there), so a connection shared
/// among threads made every query of a request wake another thread twice: under load the main
/// thread was busy driving the workers' connections, a context switch per query (issue 11).
pub fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    cors_origins: Vec<String>,
    workers: usize,
    worker_pools: Option<WorkerPools>,
) -> std::io::Result<Server> {
    let contract = Arc::new(Contract::new());
    let server = HttpServer::new(move || {
        let state = match worker_pools.as_ref().map(WorkerPools::build) {
            Some(Ok((pool, public_reads))) => {
                web::Data::new(AppState { pool, public_reads, ..AppState::clone(&state) })
            }
            Some(Err(e)) => {
                // Not expected: a build opens no connection, and deadpool refuses one only when
                // timeouts lack a runtime, which is always set (persistence's pool test). Should
                // that change, the worker still answers, from the shared pool.
                tracing::error!(error = %e, "a worker could not open its pool; it shares the main one");
                state.clone()
            }
            None => state.clone(),
        };
        build_app(state, contract.clone(), &cors_origins)
    })
    .listen(listener)?
    .workers(workers)
    .shutdown_timeout(30)
    .client_request_timeout(Duration::from_secs(10))
    .client_disconnect_timeout(Duration::from_secs(5))
    .run();
    Ok(server)
}
