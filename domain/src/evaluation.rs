//! Evaluation of openness work (考核评议, seed §6): an indicator system per county whose weights sum
//! to 100 at every level, scores per organization and leaf indicator, totals, rankings, and the
//! share openness carries in the comprehensive assessment (国办发〔2016〕80号: at least 4%).
//!
//! Every quantity is kept in hundredths (a weight of 12.5 is 1250, a score of 87.5 is 8750) so that
//! sums are exact and equal totals rank equally; floating point only appears at the API's edge.

use std::collections::{HashMap, HashSet};

use crate::labeled_enum;

labeled_enum! {
    /// Who produced a score.
    pub enum ScoreSource as "score_source" {
        Staff = "staff", "本级考核评分", "Scored by the government office";
        ThirdParty = "third_party", "第三方评估", "Third-party evaluation";
    }
}

/// 100.00 in hundredths: what sibling weights add up to, and the most a leaf scores.
pub const FULL: i64 = 10_000;
/// Levels an indicator tree may have; keeps exact totals within `i128`.
pub const MAX_DEPTH: usize = 4;
/// Indicators one system may hold.
pub const MAX_INDICATORS: usize = 500;
/// The default share of openness in the comprehensive assessment, in basis points (4%).
pub const DEFAULT_SHARE_BASIS_POINTS: i32 = 400;

/// A decimal with at most two places, in hundredths; `None` when it has more places or is not finite.
pub fn to_hundredths(value: f64) -> Option<i64> {
    if !value.is_finite() || value.abs() > 1e12 {
        return None;
    }
    let scaled = (value * 100.0).round();
    ((value * 100.0 - scaled).abs() < 1e-6).then_some(scaled as i64)
}

/// One indicator as submitted: its code is how children name their parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorSpec {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// Hundredths of a percent of the parent (or of the whole, for a root).
    pub weight: i64,
}

/// Why a tree is refused. `index` is the indicator's position in the submitted list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeProblem {
    Empty,
    TooMany,
    DuplicateCode {
        index: usize,
    },
    UnknownParent {
        index: usize,
    },
    /// The indicator is its own ancestor.
    Cycle {
        index: usize,
    },
    TooDeep {
        index: usize,
    },
    /// Each weight is above 0 and at most 100.
    WeightRange {
        index: usize,
    },
    /// The children of `parent` (the roots when `None`, else an index) add up to `sum`, not 100.
    WeightsNot100 {
        parent: Option<usize>,
        sum: i64,
    },
}

/// A checked tree: for each submitted indicator, its parent's index, its depth (roots are 1) and
/// whether it is a leaf (the indicators that are scored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTree {
    pub parent: Vec<Option<usize>>,
    pub depth: Vec<usize>,
    pub leaf: Vec<bool>,
}

impl CheckedTree {
    /// Indices ordered parents before children (depth, then submitted order).
    pub fn insertion_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.depth.len()).collect();
        order.sort_by_key(|&i| (self.depth[i], i));
        order
    }
}

/// Checks an indicator tree: unique codes, known parents, no cycles, at most [`MAX_DEPTH`] levels,
/// weights in (0, 100], and the weights of the roots and of each indicator's children summing to
/// exactly 100. Every problem is reported, not only the first.
pub fn check_tree(specs: &[IndicatorSpec]) -> Result<CheckedTree, Vec<TreeProblem>> {
    if specs.is_empty() {
        return Err(vec![TreeProblem::Empty]);
    }
    if specs.len() > MAX_INDICATORS {
        return Err(vec![TreeProblem::TooMany]);
    }
    let mut problems = Vec::new();
    let mut by_code: HashMap<&str, usize> = HashMap::new();
    for (index, spec) in specs.iter().enumerate() {
        if by_code.insert(spec.code.as_str(), index).is_some() {
            problems.push(TreeProblem::DuplicateCode { index });
        }
        if spec.weight <= 0 || spec.weight > FULL {
            problems.push(TreeProblem::WeightRange { index });
        }
    }
    let mut parent = vec![None; specs.len()];
    for (index, spec) in specs.iter().enumerate() {
        if let Some(code) = &spec.parent_code {
            match by_code.get(code.as_str()) {
                Some(&p) => parent[index] = Some(p),
                None => problems.push(TreeProblem::UnknownParent { index }),
            }
        }
    }
    let mut depth = vec![0; specs.len()];
    for (index, slot) in depth.iter_mut().enumerate() {
        let mut seen = HashSet::from([index]);
        let mut levels = 1;
        let mut at = index;
        let mut cyclic = false;
        while let Some(p) = parent[at] {
            if !seen.insert(p) {
                cyclic = true;
                break;
            }
            levels += 1;
            at = p;
        }
        if cyclic {
            problems.push(TreeProblem::Cycle { index });
        } else if levels > MAX_DEPTH {
            problems.push(TreeProblem::TooDeep { index });
        }
        *slot = levels;
    }
    let mut sums: Vec<(Option<usize>, i64)> = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let key = parent[index];
        match sums.iter_mut().find(|(k, _)| *k == key) {
            Some((_, sum)) => *sum += spec.weight,
            None => sums.push((key, spec.weight)),
        }
    }
    if !sums.iter().any(|(k, _)| k.is_none()) {
        problems.push(TreeProblem::WeightsNot100 { parent: None, sum: 0 });
    }
    sums.sort_by_key(|(k, _)| k.map_or(0, |i| i + 1));
    for (key, sum) in sums {
        if sum != FULL {
            problems.push(TreeProblem::WeightsNot100 { parent: key, sum });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut leaf = vec![true; specs.len()];
    for p in parent.iter().flatten() {
        leaf[*p] = false;
    }
    Ok(CheckedTree { parent, depth, leaf })
}

/// A total of weighted scores, exact: hundredths of a point scaled by `FULL^MAX_DEPTH`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Total(i128);

fn scale() -> i128 {
    i128::from(FULL).pow(MAX_DEPTH as u32)
}

fn round_div(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

impl Total {
    /// Hundredths of a point, rounded half up (87.345 → 8735).
    pub fn hundredths(self) -> i64 {
        round_div(self.0, scale()) as i64
    }

    /// Points to two places, for display.
    pub fn points(self) -> f64 {
        self.hundredths() as f64 / 100.0
    }

    /// The contribution to the comprehensive assessment at `share_basis_points` (400 = 4%), in
    /// ten-thousandths of a point, rounded half up.
    pub fn contribution_ten_thousandths(self, share_basis_points: i32) -> i64 {
        round_div(self.0 * i128::from(share_basis_points), scale() * 100) as i64
    }

    /// The contribution in points to four places, for display.
    pub fn contribution(self, share_basis_points: i32) -> f64 {
        self.contribution_ten_thousandths(share_basis_points) as f64 / 10_000.0
    }
}

/// One indicator of a stored tree, for computing totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<K> {
    pub key: K,
    pub parent: Option<K>,
    pub weight: i64,
}

/// The weighted total of one organization: each leaf's score (hundredths, 0–100.00) times the
/// product of the weights on its path to the root, each a share of 100. A leaf without a score
/// counts 0. With every leaf at 100 the total is 100.
pub fn total<K: Eq + std::hash::Hash + Clone>(nodes: &[Node<K>], scores: &HashMap<K, i64>) -> Total {
    let by_key: HashMap<&K, &Node<K>> = nodes.iter().map(|n| (&n.key, n)).collect();
    let mut sum: i128 = 0;
    for (key, score) in scores {
        let Some(mut node) = by_key.get(key).copied() else { continue };
        let mut factor: i128 = 1;
        let mut levels = 0;
        loop {
            factor *= i128::from(node.weight);
            levels += 1;
            match node.parent.as_ref().and_then(|p| by_key.get(p)) {
                Some(parent) if levels < MAX_DEPTH => node = parent,
                _ => break,
            }
        }
        let padding = i128::from(FULL).pow((MAX_DEPTH - levels) as u32);
        sum += i128::from(*score) * factor * padding;
    }
    Total(sum)
}

/// Competition ranks ("1224") for totals already sorted best first: equal totals share a rank and
/// the next total's rank skips the places they took.
pub fn ranks(sorted_totals: &[Total]) -> Vec<usize> {
    let mut out = Vec::with_capacity(sorted_totals.len());
    for (i, t) in sorted_totals.iter().enumerate() {
        let rank = if i > 0 && sorted_totals[i - 1] == *t { out[i - 1] } else { i + 1 };
        out.push(rank);
    }
    out
}

/// A share of the comprehensive assessment is above 0 and at most 100%.
pub fn share_allowed(basis_points: i32) -> bool {
    (1..=10_000).contains(&basis_points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(code: &str, parent: Option<&str>, weight: i64) -> IndicatorSpec {
        IndicatorSpec {
            code: code.into(),
            name: format!("指标{code}"),
            parent_code: parent.map(Into::into),
            weight: weight * 100,
        }
    }

    fn good_tree() -> Vec<IndicatorSpec> {
        vec![
            spec("A", None, 60),
            spec("B", None, 40),
            spec("A1", Some("A"), 50),
            spec("A2", Some("A"), 50),
            spec("A21", Some("A2"), 30),
            spec("A22", Some("A2"), 70),
        ]
    }

    #[test]
    fn a_tree_whose_levels_each_sum_to_100_is_accepted_with_its_leaves() {
        let tree = check_tree(&good_tree()).unwrap();
        assert_eq!(tree.leaf, vec![false, true, true, false, true, true]);
        assert_eq!(tree.depth, vec![1, 1, 2, 2, 3, 3]);
        assert_eq!(tree.parent[4], Some(3));
        let order = tree.insertion_order();
        assert!(order.iter().position(|&i| i == 3) < order.iter().position(|&i| i == 4));
    }

    #[test]
    fn siblings_summing_to_99_are_refused_naming_their_parent_and_the_sum() {
        let mut specs = good_tree();
        specs[3].weight = 4900;
        assert_eq!(check_tree(&specs), Err(vec![TreeProblem::WeightsNot100 { parent: Some(0), sum: 9900 }]));
    }

    #[test]
    fn roots_and_nested_levels_are_each_checked() {
        let mut specs = good_tree();
        specs[1].weight = 3900;
        specs[5].weight = 6950;
        assert_eq!(
            check_tree(&specs),
            Err(vec![
                TreeProblem::WeightsNot100 { parent: None, sum: 9900 },
                TreeProblem::WeightsNot100 { parent: Some(3), sum: 9950 },
            ])
        );
        // Decimal weights that add up exactly are fine.
        let halves = vec![spec("A", None, 100), spec("A1", Some("A"), 0), spec("A2", Some("A"), 0)];
        let mut halves = halves;
        halves[1].weight = 3350;
        halves[2].weight = 6650;
        assert!(check_tree(&halves).is_ok());
    }

    #[test]
    fn structural_problems_are_reported() {
        let specs = vec![spec("A", None, 100), spec("A", None, 0), spec("C", Some("X"), 100)];
        let problems = check_tree(&specs).unwrap_err();
        assert!(problems.contains(&TreeProblem::DuplicateCode { index: 1 }));
        assert!(problems.contains(&TreeProblem::WeightRange { index: 1 }));
        assert!(problems.contains(&TreeProblem::UnknownParent { index: 2 }));
        let cycle = vec![spec("R", None, 100), spec("A", Some("B"), 100), spec("B", Some("A"), 100)];
        let problems = check_tree(&cycle).unwrap_err();
        assert!(
            problems.contains(&TreeProblem::Cycle { index: 1 }) && problems.contains(&TreeProblem::Cycle { index: 2 })
        );
        let deep = vec![
            spec("1", None, 100),
            spec("2", Some("1"), 100),
            spec("3", Some("2"), 100),
            spec("4", Some("3"), 100),
            spec("5", Some("4"), 100),
        ];
        assert_eq!(check_tree(&deep), Err(vec![TreeProblem::TooDeep { index: 4 }]));
        assert_eq!(check_tree(&[]), Err(vec![TreeProblem::Empty]));
        assert_eq!(check_tree(&[spec("A", Some("A"), 100)]).unwrap_err()[0], TreeProblem::Cycle { index: 0 });
    }

    fn nodes() -> Vec<Node<&'static str>> {
        good_tree()
            .into_iter()
            .map(|s| Node {
                key: Box::leak(s.code.into_boxed_str()) as &str,
                parent: s.parent_code.map(|p| Box::leak(p.into_boxed_str()) as &str),
                weight: s.weight,
            })
            .collect()
    }

    #[test]
    fn the_total_multiplies_each_score_by_the_weights_on_its_path() {
        let nodes = nodes();
        let full: HashMap<&str, i64> = [("A1", FULL), ("A21", FULL), ("A22", FULL), ("B", FULL)].into();
        assert_eq!(total(&nodes, &full).hundredths(), 10_000);
        // A1 80 × .6 × .5 = 24; A21 90 × .6 × .5 × .3 = 8.1; A22 70 × .6 × .5 × .7 = 14.7; B 85 × .4 = 34.
        let scores: HashMap<&str, i64> = [("A1", 8000), ("A21", 9000), ("A22", 7000), ("B", 8500)].into();
        let t = total(&nodes, &scores);
        assert_eq!(t.hundredths(), 8080);
        assert_eq!(t.points(), 80.8);
        assert_eq!(t.contribution_ten_thousandths(400), 32_320);
        assert_eq!(t.contribution(500), 4.04);
        // A missing leaf counts 0.
        let partial: HashMap<&str, i64> = [("B", 10_000)].into();
        assert_eq!(total(&nodes, &partial).hundredths(), 4000);
        // Rounding is half up, on the exact value.
        let odd: HashMap<&str, i64> = [("A1", 1)].into();
        assert_eq!(total(&nodes, &odd).hundredths(), 0);
        let half: HashMap<&str, i64> = [("A1", 5)].into();
        assert_eq!(total(&nodes, &half).hundredths(), 2);
    }

    #[test]
    fn equal_totals_share_a_rank() {
        let t = |h: i128| Total(h);
        assert_eq!(ranks(&[t(9), t(7), t(7), t(5)]), vec![1, 2, 2, 4]);
        assert_eq!(ranks(&[]), Vec::<usize>::new());
        assert_eq!(ranks(&[t(1), t(1), t(1)]), vec![1, 1, 1]);
    }

    #[test]
    fn decimals_are_taken_to_two_places_only() {
        assert_eq!(to_hundredths(12.5), Some(1250));
        assert_eq!(to_hundredths(87.35), Some(8735));
        assert_eq!(to_hundredths(0.1 + 0.2), Some(30));
        assert_eq!(to_hundredths(1.234), None);
        assert_eq!(to_hundredths(f64::NAN), None);
        assert!(share_allowed(400) && !share_allowed(0) && !share_allowed(10_001));
    }
}
