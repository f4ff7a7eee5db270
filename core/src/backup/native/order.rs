//! Dependency order: each object after the objects it uses, as pg_depend
//! records them; objects that do not depend on each other by pg_dump's
//! type priority, then by name order as the catalog listed them.

use std::collections::{BTreeSet, HashMap};

use super::plan::Entry;

/// Sorts `entries` so that for every edge `(a, b)` ("a depends on b")
/// between two of them, b comes first. A dependency loop is broken at its
/// lowest-priority object, and said in the returned warnings.
pub(crate) fn sort(entries: Vec<Entry>, edges: &[(String, String)]) -> (Vec<Entry>, Vec<String>) {
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.as_str(), i))
        .collect();
    let mut waiting_on = vec![0usize; entries.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); entries.len()];
    let mut seen = BTreeSet::new();
    for (a, b) in edges {
        if let (Some(&ai), Some(&bi)) = (index.get(a.as_str()), index.get(b.as_str())) {
            if ai != bi && seen.insert((ai, bi)) {
                waiting_on[ai] += 1;
                dependents[bi].push(ai);
            }
        }
    }
    let rank = |i: usize| (entries[i].priority, i);
    let mut ready: BTreeSet<(u8, usize)> = (0..entries.len())
        .filter(|&i| waiting_on[i] == 0)
        .map(rank)
        .collect();
    let mut done = vec![false; entries.len()];
    let mut order = Vec::with_capacity(entries.len());
    let mut warnings = Vec::new();
    while order.len() < entries.len() {
        let next = match ready.pop_first() {
            Some((_, i)) => i,
            None => {
                // A loop: take the first object still waiting.
                let Some(i) = (0..entries.len())
                    .filter(|&i| !done[i])
                    .min_by_key(|&i| rank(i))
                else {
                    break;
                };
                warnings.push(format!(
                    "dependency loop broken at {}; the restore may report an error there",
                    entries[i].key
                ));
                i
            }
        };
        if done[next] {
            continue;
        }
        done[next] = true;
        order.push(next);
        for &d in &dependents[next] {
            waiting_on[d] = waiting_on[d].saturating_sub(1);
            if waiting_on[d] == 0 && !done[d] {
                ready.insert(rank(d));
            }
        }
    }
    let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    let sorted = order.into_iter().filter_map(|i| slots[i].take()).collect();
    (sorted, warnings)
}
