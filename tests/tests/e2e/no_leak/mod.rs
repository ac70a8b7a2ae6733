//! No leak (issue 10, item 2): a property test over random worlds. Each world holds documents,
//! interpretations, files, disclosure requests, consultations and comments, public-opinion
//! incidents and releases, messages, open days, catalogs, annual reports and the organizations'
//! records, in every state and attribute, every non-public text a canary and every personal datum
//! unique; then every `/api/v1/public/…` operation of the live contract is walked anonymously
//! (lists under every filter to the last cursor, gets by every id, search for public words and
//! for every canary, the Atom feeds, downloads, the applicants' own views with right and wrong
//! tokens, the refused public writes) together with the change feed, and every answer is scanned.
//!
//! `NO_LEAK_CASES` (default 4) sets the number of worlds, `NO_LEAK_SEED` (a number) the seed of
//! the generator (fixed by default, so that a run is reproducible), `NO_LEAK_SHRINK` (default 0)
//! how many smaller worlds proptest may try after a failure.

mod canary;
mod organization;
mod records;
mod spec;
mod walk;
mod walk_more;
mod world;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

const DEFAULT_SEED: u64 = 0x6f6e_6b61_6967_6e6f;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

async fn check(index: u32, spec: spec::Spec) -> Result<(), String> {
    let started = Instant::now();
    let world = world::World::build(index, spec).await;
    let built = started.elapsed();
    let report = walk::walk(&world).await;
    let (secrets, numbers, ids, markers) = world.ledger.counts();
    let s = &world.spec;
    let comments: usize = s.consultations.iter().map(|(_, b)| b.comments.len()).sum();
    eprintln!(
        "no-leak world {index}: {} documents, {} files, {} requests, {} consultations with {comments} comments, \
         {} incidents, {} messages, {} open days, {} catalogs, {} annual reports; {secrets} text canaries, \
         {numbers} personal numbers, {ids} non-public ids, {markers} public markers; built in {built:.1?}, \
         walked {} public operations with {} requests in {:.1?}",
        world.documents.len(),
        world.files.len(),
        world.requests.len(),
        world.consultations.len(),
        s.incidents.len(),
        s.messages.len(),
        world.open_days.len(),
        world.catalogs.len(),
        world.reports.len(),
        report.operations.keys().filter(|op| !op.starts_with("sync_changes")).count(),
        report.calls,
        started.elapsed() - built,
    );
    if std::env::var_os("NO_LEAK_VERBOSE").is_some() {
        eprintln!("no-leak world {index}: calls per operation {:?}", report.operations);
    }
    if report.failures.is_empty() {
        return Ok(());
    }
    let shown: Vec<&String> = report.failures.iter().take(80).collect();
    Err(format!(
        "world {index} (page size {}): {} failures{}:\n{}",
        s.page_limit,
        report.failures.len(),
        if report.failures.len() > shown.len() { ", the first 80" } else { "" },
        shown.iter().map(|f| f.as_str()).collect::<Vec<_>>().join("\n")
    ))
}

#[test]
fn nothing_non_public_or_personal_reaches_any_public_operation() {
    let config = Config {
        cases: env_number("NO_LEAK_CASES", 4) as u32,
        max_shrink_iters: env_number("NO_LEAK_SHRINK", 0) as u32,
        failure_persistence: None,
        ..Config::default()
    };
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_mut(8) {
        chunk.copy_from_slice(&env_number("NO_LEAK_SEED", DEFAULT_SEED).to_le_bytes());
    }
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let worlds = AtomicU32::new(0);
    let started = Instant::now();
    let result = runner.run(&spec::spec(), |spec| {
        let index = worlds.fetch_add(1, Ordering::SeqCst);
        let system = actix_web::rt::System::new();
        system.block_on(check(index, spec)).map_err(TestCaseError::fail)
    });
    eprintln!("no-leak: {} worlds in {:.1?}", worlds.load(Ordering::SeqCst), started.elapsed());
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, _)) => panic!("{reason}"),
        Err(TestError::Abort(reason)) => panic!("aborted: {reason}"),
    }
}
