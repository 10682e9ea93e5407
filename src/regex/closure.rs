//! What glibc's epsilon-closure pass would cost on a pattern, found by running it on a model.
//!
//! `regcomp` computes, for every node of the automaton it builds, the set of nodes
//! reachable without consuming a byte. It memoizes a node's set only when the
//! computation did not run into a node still being computed (a cycle through a loop);
//! such "incomplete" sets are computed again every time they are reached. Small
//! patterns whose loops nest over empty-matching parts make that exponential: `a??`
//! under ten `+` takes 15 s, `a????` under eight longer than a minute, and fuzzing found
//! shapes without any nullable atom that stall as well (`[0-9]++{5,10}+??+{0,100}`).
//! No closed formula follows those paths, so [`work`] builds the same kind of graph
//! glibc builds (`x+` as `x x*`, `x{m,n}` as `m` copies and `n - m` nested optional
//! ones, a node for each `*`, `?`, `|` and group boundary) and runs the same
//! algorithm on it, counting steps, and stops once a budget is spent.

use super::syntax::Node;

/// A node of the model: an epsilon node's edges lead to nodes reached without a byte.
#[derive(Clone, Copy)]
struct Vertex {
    epsilon: bool,
    /// At most two: a loop, an alternative and an optional copy each have two.
    edges: [u32; 2],
    count: u8,
}

impl Vertex {
    fn new(epsilon: bool, edges: &[u32]) -> Vertex {
        let mut v = Vertex { epsilon, edges: [0; 2], count: 0 };
        for (slot, &e) in v.edges.iter_mut().zip(edges) {
            *slot = e;
            v.count += 1;
        }
        v
    }

    fn edges(&self) -> &[u32] {
        &self.edges[..usize::from(self.count).min(2)]
    }
}

/// The automaton being built, back to front: each fragment is built knowing what follows it.
struct Graph {
    vertices: Vec<Vertex>,
    /// Vertices allowed before giving up (the expansion limit applies first).
    cap: usize,
}

/// How a node's closure stands during the pass.
#[derive(Clone)]
enum Closure {
    NotYet,
    InProgress,
    Done(std::rc::Rc<Vec<u32>>),
}

impl Graph {
    fn add(&mut self, epsilon: bool, edges: &[u32]) -> Option<u32> {
        if self.vertices.len() >= self.cap {
            return None;
        }
        self.vertices.push(Vertex::new(epsilon, edges));
        u32::try_from(self.vertices.len() - 1).ok()
    }

    /// Builds `node` followed by vertex `next`, returning the fragment's entry.
    fn build(&mut self, node: &Node, next: u32) -> Option<u32> {
        match node {
            Node::Empty => Some(next),
            Node::Literal(_) | Node::Class(_) | Node::Any | Node::Backref(_) => self.add(false, &[next]),
            Node::Assert(_) => self.add(true, &[next]),
            Node::Group { node, .. } => {
                let close = self.add(true, &[next])?;
                let inner = self.build(node, close)?;
                self.add(true, &[inner])
            }
            Node::Concat(nodes) => {
                let mut at = next;
                for n in nodes.iter().rev() {
                    at = self.build(n, at)?;
                }
                Some(at)
            }
            Node::Alternate(nodes) => {
                // glibc joins alternatives pairwise: `a|b|c` is `(a|b)|c`.
                let entries = nodes.iter().map(|n| self.build(n, next)).collect::<Option<Vec<u32>>>()?;
                let mut it = entries.into_iter();
                let mut at = it.next()?;
                for e in it {
                    at = self.add(true, &[at, e])?;
                }
                Some(at)
            }
            Node::Repeat { node, min, max } => {
                let mut at = next;
                match max {
                    None => {
                        // The loop: its node leads into the body and on; the body leads back.
                        let star = self.add(true, &[])?;
                        let body = self.build(node, star)?;
                        *self.vertices.get_mut(star as usize)? = Vertex::new(true, &[body, next]);
                        at = star;
                    }
                    Some(max) => {
                        for _ in *min..*max {
                            let body = self.build(node, at)?;
                            at = self.add(true, &[body, next])?;
                        }
                    }
                }
                for _ in 0..*min {
                    at = self.build(node, at)?;
                }
                Some(at)
            }
        }
    }

    /// Runs the closure pass as glibc does, counting node visits and set elements
    /// merged; returns the count, or `None` once it exceeds `budget`.
    fn closure_pass(&self, budget: u64) -> Option<u64> {
        let n = self.vertices.len();
        let mut state = vec![Closure::NotYet; n];
        let mut spent = 0u64;
        let mut incomplete_any = true;
        while incomplete_any {
            incomplete_any = false;
            for root in 0..n {
                if matches!(state[root], Closure::Done(_)) {
                    continue;
                }
                let complete = self.closure_of(root as u32, &mut state, &mut spent, budget)?;
                if !complete {
                    incomplete_any = true;
                }
            }
        }
        Some(spent)
    }

    /// One root's closure, with an explicit stack (the recursion can be as deep as the
    /// graph is large). Returns whether the root's closure was complete.
    fn closure_of(&self, root: u32, state: &mut [Closure], spent: &mut u64, budget: u64) -> Option<bool> {
        struct Frame {
            node: u32,
            next_edge: usize,
            set: Vec<u32>,
            incomplete: bool,
        }
        let start = |node: u32, state: &mut [Closure]| -> Frame {
            if let Some(s) = state.get_mut(node as usize) {
                *s = Closure::InProgress;
            }
            Frame { node, next_edge: 0, set: vec![node], incomplete: false }
        };
        let mut stack = vec![start(root, state)];
        loop {
            *spent += 1;
            if *spent > budget {
                return None;
            }
            let top = stack.last_mut()?;
            let v = self.vertices.get(top.node as usize)?;
            let edge = if v.epsilon { v.edges().get(top.next_edge).copied() } else { None };
            match edge {
                Some(dest) => {
                    top.next_edge += 1;
                    match state.get(dest as usize)? {
                        Closure::InProgress => top.incomplete = true,
                        Closure::Done(set) => {
                            let set = set.clone();
                            merge(&mut top.set, &set, spent);
                        }
                        Closure::NotYet => stack.push(start(dest, state)),
                    }
                }
                None => {
                    let done = stack.pop()?;
                    let is_root = stack.is_empty();
                    let finished = std::rc::Rc::new(done.set);
                    state[done.node as usize] =
                        if done.incomplete && !is_root { Closure::NotYet } else { Closure::Done(finished.clone()) };
                    match stack.last_mut() {
                        Some(parent) => {
                            merge(&mut parent.set, &finished, spent);
                            parent.incomplete |= done.incomplete;
                        }
                        None => return Some(!done.incomplete),
                    }
                }
            }
            if *spent > budget {
                return None;
            }
        }
    }
}

/// Merges sorted `src` into sorted `dest`, counting both sizes as glibc's merge costs.
fn merge(dest: &mut Vec<u32>, src: &[u32], spent: &mut u64) {
    *spent += (dest.len() + src.len()) as u64;
    let mut out = Vec::with_capacity(dest.len() + src.len());
    let (mut i, mut j) = (0, 0);
    while i < dest.len() && j < src.len() {
        let (a, b) = (dest[i], src[j]);
        out.push(a.min(b));
        i += usize::from(a <= b);
        j += usize::from(b <= a);
    }
    out.extend_from_slice(&dest[i..]);
    out.extend_from_slice(&src[j..]);
    *dest = out;
}

/// The steps glibc's closure pass would take on `root`'s automaton, or `None` when
/// more than `budget` (or when the automaton has more than `max_nodes` nodes).
pub(crate) fn work(root: &Node, budget: u64, max_nodes: usize) -> Option<u64> {
    let mut g = Graph { vertices: Vec::new(), cap: max_nodes };
    let end = g.add(false, &[])?;
    let start = g.build(root, end)?;
    // glibc numbers nodes as it parses, front to back: visit them in that order.
    let order = front_to_back(&g, start);
    let mut renumber = vec![u32::MAX; g.vertices.len()];
    for (new, &old) in order.iter().enumerate() {
        renumber[old as usize] = new as u32;
    }
    let mut vertices: Vec<Vertex> = Vec::with_capacity(order.len());
    for &old in &order {
        let v = g.vertices.get(old as usize)?;
        let edges: Vec<u32> = v.edges().iter().filter_map(|&e| renumber.get(e as usize).copied()).collect();
        vertices.push(Vertex::new(v.epsilon, &edges));
    }
    Graph { vertices, cap: max_nodes }.closure_pass(budget)
}

/// The vertices reachable from `start`, in depth-first order along the edges.
fn front_to_back(g: &Graph, start: u32) -> Vec<u32> {
    let mut seen = vec![false; g.vertices.len()];
    let mut order = Vec::with_capacity(g.vertices.len());
    let mut stack = vec![start];
    while let Some(v) = stack.pop() {
        let Some(s) = seen.get_mut(v as usize) else { continue };
        if std::mem::replace(s, true) {
            continue;
        }
        order.push(v);
        if let Some(vx) = g.vertices.get(v as usize) {
            stack.extend(vx.edges().iter().rev().copied());
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::work;
    use crate::regex::{syntax, Flags};

    fn steps(p: &str, budget: u64) -> Option<u64> {
        let ast = syntax::parse(p.as_bytes(), Flags { extended: true, insensitive: false }).expect("valid");
        work(&ast.root, budget, 1 << 20)
    }

    #[test]
    fn ordinary_patterns_cost_little() {
        for p in ["^0049([0-9]*)$", "^(00|\\+)(1|7|44|49)[0-9]{6,14}$", ".*", "^sip:([^@]*)@(.*)$", "a+++"] {
            let n = steps(p, u64::MAX).expect("no budget");
            assert!(n < 2_000, "{p}: {n}");
        }
    }

    /// Each `+` over an empty-matching body doubles the graph and more than doubles the
    /// pass: the incomplete closures inside the loops are computed again.
    #[test]
    fn stacked_loops_over_empty_matches_grow_faster_than_the_graph() {
        let at = |n: usize| steps(&format!("a??{}", "+".repeat(n)), u64::MAX).expect("no budget");
        let (six, seven, eight) = (at(6), at(7), at(8));
        assert!(seven > 2 * six && eight > 2 * seven, "{six} {seven} {eight}");
    }

    #[test]
    fn the_budget_stops_the_count() {
        assert_eq!(steps("[0-9]++{5,10}+??+{0,100}", 1_000_000), None);
        assert_eq!(steps("a", 0), None);
    }

    #[test]
    fn the_node_cap_stops_the_build() {
        let ast = syntax::parse(b"a{1000}", Flags { extended: true, insensitive: false }).expect("valid");
        assert_eq!(work(&ast.root, u64::MAX, 100), None);
        assert!(work(&ast.root, u64::MAX, 10_000).is_some());
    }
}
