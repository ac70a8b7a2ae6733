//! Each server worker answers from a pool it opened on its own thread (issue 11): the shared
//! pool, whose connections would be driven by whichever thread opened them, serves only the work
//! outside requests.

use std::net::TcpListener;

use persistence::test_databases::TestDatabase;
use persistence::{Pool, PoolSpec};

/// Serves on two workers (each with a pool of its own when `per_worker`), asks for pages that
/// read the database, and says how many connections the state's pool opened meanwhile.
async fn connections_the_shared_pool_opened(per_worker: bool) -> usize {
    let db = TestDatabase::create().await;
    let worker_pools = per_worker.then(|| PoolSpec::new(&db.url, 2));
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
        let url = format!("{base}/api/v1/public/documents");
        async move { reqwest::Client::new().get(&url).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let opened = pool.status().size;
    handle.stop(true).await;
    opened
}

#[actix_web::test]
async fn requests_are_answered_from_the_workers_own_pools() {
    // The control: without worker pools the same requests open the shared pool's connections.
    assert!(connections_the_shared_pool_opened(false).await > 0);
    assert_eq!(connections_the_shared_pool_opened(true).await, 0);
}
