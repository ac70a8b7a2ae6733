//! Issue 11: which searches a connection keeps prepared with their words as literals.
//!
//! The search statements are planned for their own words on every run (a plan kept for a
//! *parameter* word walks the whole index for a rare word, or reads the whole bitmap for a common
//! one; see `search`), and planning and parsing cost about twice the execution: pgbench on the
//! 扶贫 statement ran 1,178–1,248 tps planned per execution and 4,121–4,284 prepared, at 8 clients.
//! A search asked often is therefore sent with its words, its limit and its filters as literals,
//! in a statement diesel keeps prepared on the connection (keyed by its text): PostgreSQL plans it
//! once per connection, and the plan is the one it would choose for those words on each run.
//!
//! Each kept statement costs its PostgreSQL session about 330 KB (`pg_backend_memory_contexts`:
//! the plan, the query and its source), and diesel never evicts one, so the number is bounded
//! twice: at most [`HOT_CAPACITY`] statements are kept per period of [`PERIOD`], and the pool drops
//! connections older than about [`PERIOD`] (`pool::CONNECTION_MAX_AGE`), so a connection holds the
//! statements of about two periods: with the default pools on two cores (4 connections for public
//! searches, 8 for staff ones), at most about 12 × 16 × 330 KB ≈ 63 MB of PostgreSQL memory,
//! 126 MB with the largest defaults (8 and 16).
//!
//! The places are statements, not searches: a search whose title hits do not fill its page runs
//! two, and each page size or depth is its own. They go to the first statements asked three times
//! in a period, so a burst at the start of a period can hold them until the next one; the answers
//! are the same either way, only their cost differs.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a set of kept searches lasts before the counting starts again.
pub const PERIOD: Duration = Duration::from_secs(30 * 60);
/// Statements kept prepared per period: a connection holds about twice this at most.
pub const HOT_CAPACITY: usize = 8;
/// A statement is kept from its this-many-th run in a period on (one run once or twice is
/// never prepared).
pub const ADMIT_AFTER: u32 = 3;
/// Distinct statements counted per period (by a 64-bit hash of what determines their text); the count starts
/// again when it is reached, so memory stays bounded whatever the public sends.
const SEEN_CAPACITY: usize = 4096;

/// Counts searches and says which are asked often enough to keep prepared.
#[derive(Debug)]
pub struct HotSearches {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    period_started: Instant,
    seen: HashMap<u64, u32>,
    hot: HashSet<u64>,
}

impl Default for HotSearches {
    fn default() -> Self {
        HotSearches::new(Instant::now())
    }
}

impl HotSearches {
    pub fn new(now: Instant) -> HotSearches {
        HotSearches { state: Mutex::new(State { period_started: now, seen: HashMap::new(), hot: HashSet::new() }) }
    }

    /// Records one run of the statement `statement` identifies (its text, or what determines
    /// it) and says whether to send it prepared.
    pub fn keep(&self, statement: impl Hash) -> bool {
        self.keep_at(statement, Instant::now())
    }

    pub fn keep_at(&self, statement: impl Hash, now: Instant) -> bool {
        // A collision only keeps a statement early; what it answers does not change.
        let key = {
            let mut hasher = DefaultHasher::new();
            statement.hash(&mut hasher);
            hasher.finish()
        };
        // A poisoned lock only means another search panicked while counting; the counts are
        // advisory, so carry on with them.
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if now.saturating_duration_since(state.period_started) >= PERIOD {
            state.period_started = now;
            state.seen.clear();
            state.hot.clear();
        }
        if state.hot.contains(&key) {
            return true;
        }
        if state.hot.len() >= HOT_CAPACITY {
            return false;
        }
        if !state.seen.contains_key(&key) && state.seen.len() >= SEEN_CAPACITY {
            state.seen.clear();
        }
        let runs = state.seen.entry(key).or_insert(0);
        *runs += 1;
        if *runs < ADMIT_AFTER {
            return false;
        }
        state.seen.remove(&key);
        state.hot.insert(key);
        true
    }
}

/// `text` as an SQL string literal when it holds only what a search's `tsquery` text is made of
/// (letters and digits of any script, spaces and the operators `& | ! ( ) < - > : *`), else `None`:
/// anything else goes to PostgreSQL as a bound parameter, never spliced into a statement.
pub fn tsquery_literal(text: &str) -> Option<String> {
    let plain = |c: char| c.is_alphanumeric() || " &|!()<->:*".contains(c);
    (!text.is_empty() && text.chars().all(plain)).then(|| format!("'{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_kept_from_its_third_run_and_stays_kept() {
        let now = Instant::now();
        let hot = HotSearches::new(now);
        assert!(!hot.keep_at("a", now));
        assert!(!hot.keep_at("b", now));
        assert!(!hot.keep_at("a", now));
        assert!(hot.keep_at("a", now));
        assert!(hot.keep_at("a", now));
        assert!(!hot.keep_at("b", now));
    }

    #[test]
    fn no_more_than_the_capacity_is_kept_in_a_period_and_a_new_period_starts_afresh() {
        let start = Instant::now();
        let hot = HotSearches::new(start);
        let kept = |key: &str, at: Instant| (0..ADMIT_AFTER).map(|_| hot.keep_at(key, at)).last().unwrap();
        for n in 0..HOT_CAPACITY {
            assert!(kept(&format!("word{n}"), start), "search {n} is kept");
        }
        assert!(!kept("one too many", start));
        assert!(!hot.keep_at("one too many", start + PERIOD / 2));
        assert!(hot.keep_at("word0", start + PERIOD / 2));
        // The next period counts again from nothing: a search kept before must earn its place.
        let later = start + PERIOD;
        assert!(!hot.keep_at("word0", later));
        assert!(kept("one too many", later));
    }

    #[test]
    fn the_counts_stay_bounded_whatever_is_searched() {
        let now = Instant::now();
        let hot = HotSearches::new(now);
        for n in 0..(SEEN_CAPACITY * 3) {
            assert!(!hot.keep_at(format!("once{n}"), now));
        }
        let state = hot.state.lock().unwrap();
        assert!(state.seen.len() <= SEEN_CAPACITY);
        assert!(state.hot.is_empty());
    }

    #[test]
    fn only_tsquery_text_becomes_a_literal() {
        assert_eq!(tsquery_literal("(扶贫)").as_deref(), Some("'(扶贫)'"));
        assert_eq!(
            tsquery_literal("(乡村 <-> 村振 <-> 振兴) & abc2026 & 年:*").as_deref(),
            Some("'(乡村 <-> 村振 <-> 振兴) & abc2026 & 年:*'")
        );
        for hostile in ["", "a'b", "a\\b", "a;b", "$1", "a\u{0}b", "a\nb", "a--b'"] {
            assert_eq!(tsquery_literal(hostile), None, "{hostile:?}");
        }
    }
}
