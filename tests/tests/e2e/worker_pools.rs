//! Each server worker answers from pools it opened on its own thread (issue 11): the shared
//! pool, whose connections would be driven by whichever thread opened them, serves only the work
//! outside requests. Anonymous public reads have a pool of their own in each worker.

use std::net::TcpListener;

use api::app::WorkerPools;
use persistence::test_databases::TestDatabase;
use persistence::{Pool, PoolSpec};

/// What a server's pools opened while it answered.
struct Opened {
    /// By the state's pool.
    shared: usize,
    /// To the database by the server in all (PostgreSQL's count of its backends).
    backends: i64,
}

/// Serves on two workers (each with pools of its own of `per_worker` connections for most
/// requests and for public reads), asks sixteen times at once for `path`, which reads the
/// database, and says what its pools opened meanwhile.
async fn connections_opened(per_worker: Option<(usize, usize)>, path: &str) -> Opened {
    let db = TestDatabase::create().await;
    let worker_pools = per_worker.map(|(requests, public_reads)| WorkerPools {
        requests: PoolSpec::new(&db.url, requests),
        public_reads: PoolSpec::new(&db.url, public_reads),
    });
    let dir = tempfile::tempdir().unwrap();
    let pool: Pool = persistence::build_pool(&db.url, 4).expect("pool");
    let keys = api::auth::keys::TokenKeys::load_or_generate(None, dir.path()).expect("keys");
    let blobs = api::bootstrap::blob_store(&api::config::S3Settings::local(), dir.path()).expect("blob store");
    let sealer = api::bootstrap::personal_data_sealer(None, dir.path()).expect("personal-data key");
    let state = api::bootstrap::app_state(pool.clone(), keys, blobs, sealer);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let server = api::app::serve(listener, state, Vec::new(), 2, worker_pools).expect("serve");
    let handle = server.handle();
    actix_web::rt::spawn(server);
    // Concurrent requests, each on a connection of its own, so that both workers answer some.
    let requests = (0..16).map(|_| {
        let url = format!("{base}{path}");
        async move { reqwest::Client::new().get(&url).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let shared = pool.status().size;
    let mut conn = persistence::connection(&pool).await.unwrap();
    let backends = e2e::scalar_on(
        &mut conn,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
         AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    .await;
    drop(conn);
    handle.stop(true).await;
    Opened { shared, backends }
}

#[actix_web::test]
async fn requests_are_answered_from_the_workers_own_pools() {
    // The control: without worker pools the same requests open the shared pool's connections.
    assert!(connections_opened(None, "/readyz").await.shared > 0);
    let opened = connections_opened(Some((2, 1)), "/readyz").await;
    assert_eq!(opened.shared, 0);
    // Sixteen requests at once on two workers: each worker's request pool opens its two
    // connections. One pool shared by the workers, or the public reads' pools of one each, would
    // hold two at most.
    assert!((3..=4).contains(&opened.backends), "the workers' pools opened {} connections", opened.backends);
}

#[actix_web::test]
async fn public_reads_are_answered_from_their_own_connections() {
    // Sixteen public reads at once on two workers whose public pools hold one connection each:
    // two backends. Had they used the request pools (three each), up to six would have opened.
    let opened = connections_opened(Some((3, 1)), "/api/v1/public/documents").await;
    assert_eq!(opened.shared, 0);
    assert_eq!(opened.backends, 2, "the public reads opened {} connections", opened.backends);
}
