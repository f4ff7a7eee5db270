//! Dependency order: each object after the objects it uses, as pg_depend
//! records them; objects that do not depend on each other by pg_dump's
//! type priority, then by name order as the catalog listed them.

use std::collections::{BTreeSet, HashMap};

use super::plan::Entry;

/// How a view in a dependency loop is split, as pg_dump splits it: a
/// dummy of the same columns first (its statements, with the view's
/// owner, comments and grants), the real definition once what it uses
/// exists (`CREATE OR REPLACE VIEW`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    pub(crate) dummy: String,
    pub(crate) replace: String,
    /// Only dependents whose key starts so may follow the dummy (a shell
    /// type serves its input and output functions, nothing else); `None`:
    /// all of them.
    pub(crate) early: Option<&'static str>,
}

/// Which part of an entry goes where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    Dummy,
    Replace,
}

struct Graph {
    waiting_on: Vec<usize>,
    dependents: Vec<Vec<usize>>,
    done: Vec<bool>,
    /// Dependents were told it exists (a split view's dummy was placed).
    released: Vec<bool>,
    /// Dependents told so far, per entry.
    told: Vec<Vec<bool>>,
    ready: BTreeSet<(u8, usize)>,
    priority: Vec<u8>,
}

impl Graph {
    /// Tells the dependents of `i` that it exists (those `may` accepts).
    fn release(&mut self, i: usize, may: &dyn Fn(usize) -> bool) {
        self.released[i] = true;
        for k in 0..self.dependents[i].len() {
            let d = self.dependents[i][k];
            if self.told[i][k] || !may(d) {
                continue;
            }
            self.told[i][k] = true;
            self.waiting_on[d] = self.waiting_on[d].saturating_sub(1);
            if self.waiting_on[d] == 0 && !self.done[d] {
                self.ready.insert((self.priority[d], d));
            }
        }
    }

    /// Places `i` whole, or the real definition of a view whose dummy was
    /// placed before.
    fn place(&mut self, i: usize) -> Part {
        self.done[i] = true;
        let part = if self.released[i] {
            Part::Replace
        } else {
            Part::Whole
        };
        self.release(i, &|_| true);
        part
    }
}

/// Sorts `entries` so that for every edge `(a, b)` ("a depends on b")
/// between two of them, b comes first. A dependency loop through a view
/// with a [`Split`] is broken there; any other loop at its
/// lowest-priority object, and said in the returned warnings.
pub(crate) fn sort(
    entries: Vec<Entry>,
    edges: &[(String, String)],
    splits: &HashMap<String, Split>,
) -> (Vec<Entry>, Vec<String>) {
    let n = entries.len();
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.as_str(), i))
        .collect();
    let mut graph = Graph {
        waiting_on: vec![0; n],
        dependents: vec![Vec::new(); n],
        done: vec![false; n],
        released: vec![false; n],
        told: Vec::new(),
        ready: BTreeSet::new(),
        priority: entries.iter().map(|e| e.priority).collect(),
    };
    let mut seen = BTreeSet::new();
    for (a, b) in edges {
        if let (Some(&ai), Some(&bi)) = (index.get(a.as_str()), index.get(b.as_str())) {
            if ai != bi && seen.insert((ai, bi)) {
                graph.waiting_on[ai] += 1;
                graph.dependents[bi].push(ai);
            }
        }
    }
    graph.told = graph
        .dependents
        .iter()
        .map(|d| vec![false; d.len()])
        .collect();
    graph.ready = (0..n)
        .filter(|&i| graph.waiting_on[i] == 0)
        .map(|i| (graph.priority[i], i))
        .collect();
    let mut order: Vec<(usize, Part)> = Vec::with_capacity(n);
    let mut warnings = Vec::new();
    while graph.done.iter().any(|d| !d) {
        if let Some((_, i)) = graph.ready.pop_first() {
            if !graph.done[i] {
                let part = graph.place(i);
                order.push((i, part));
            }
            continue;
        }
        // A loop: through a view, its dummy comes first.
        let stuck = |i: &usize| !graph.done[*i];
        let view = (0..n)
            .filter(stuck)
            .filter(|&i| !graph.released[i] && splits.contains_key(&entries[i].key))
            .min_by_key(|&i| (graph.priority[i], i));
        if let Some(i) = view {
            order.push((i, Part::Dummy));
            let early = splits.get(&entries[i].key).and_then(|s| s.early);
            graph.release(i, &|d| early.is_none_or(|p| entries[d].key.starts_with(p)));
            continue;
        }
        let Some(i) = (0..n).filter(stuck).min_by_key(|&i| (graph.priority[i], i)) else {
            break;
        };
        warnings.push(format!(
            "dependency loop broken at {}; the restore may report an error there",
            entries[i].key
        ));
        let part = graph.place(i);
        order.push((i, part));
    }
    let sorted = order
        .into_iter()
        .map(|(i, part)| {
            let entry = &entries[i];
            match (part, splits.get(&entry.key)) {
                (Part::Dummy, Some(split)) => Entry {
                    sql: split.dummy.clone(),
                    ..entry.clone()
                },
                (Part::Replace, Some(split)) => Entry {
                    key: format!("{}:replace", entry.key),
                    sql: split.replace.clone(),
                    ..entry.clone()
                },
                _ => entry.clone(),
            }
        })
        .collect();
    (sorted, warnings)
}
