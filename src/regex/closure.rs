//! What glibc's epsilon-closure pass would cost on a pattern, found by running it on a model.
//!
//! `regcomp` computes, for every node of the automaton it builds, the set of nodes
//! reachable without consuming a byte. It memoizes a node's set only when the
//! computation did not run into a node still being computed (a cycle through a loop);
//! such "incomplete" sets are computed again every time they are reached. Small
//! patterns whose loops nest over empty-matching parts make that exponential: `a??`
//! under ten `+` takes 15 s, `a????` under eight longer than a minute, `(){0,100}++`
//! longer than half a minute; long optional chains make it quadratic
//! (`[0-9]{1,32767}` 15 s). No closed formula follows those paths, so [`work`] builds
//! the tree glibc builds (`x+` as `x x*`; `x{m,n}` as `m` copies followed by `n - m`
//! optional copies nested to the left, `((x? x)? x)?`; a node for each `*`, `?`, `|`,
//! anchor and group boundary), numbers its nodes in glibc's order (children before
//! parents), links them as glibc does, and runs the same closure pass over them,
//! counting steps, until a budget is spent.

use super::syntax::Node;

/// No node: an absent child, or glibc's empty tree.
const NONE: u32 = u32::MAX;

/// What a tree node is; `Concat` makes no automaton node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Consumes a byte.
    Byte,
    /// An anchor or a group boundary: leads on to what follows.
    Mark,
    Concat,
    /// `|`, or `?` with no right side.
    Alt,
    /// `*`.
    Star,
}

#[derive(Clone, Copy)]
struct Slot {
    kind: Kind,
    left: u32,
    right: u32,
}

/// glibc's parse tree in an arena, so that deep trees need no deep recursion.
struct Tree {
    slots: Vec<Slot>,
    cap: usize,
}

impl Tree {
    fn add(&mut self, kind: Kind, left: u32, right: u32) -> Option<u32> {
        if self.slots.len() >= self.cap {
            return None;
        }
        self.slots.push(Slot { kind, left, right });
        u32::try_from(self.slots.len() - 1).ok()
    }

    fn concat(&mut self, a: u32, b: u32) -> Option<u32> {
        match (a, b) {
            (NONE, x) | (x, NONE) => Some(x),
            _ => self.add(Kind::Concat, a, b),
        }
    }

    /// Builds `node`'s tree; `Some(NONE)` is glibc's empty tree, `None` a full arena.
    /// Recursion follows the pattern's own nesting, not the copies.
    fn build(&mut self, node: &Node) -> Option<u32> {
        match node {
            Node::Empty => Some(NONE),
            Node::Literal(_) | Node::Class(_) | Node::Any | Node::Backref(_) => self.add(Kind::Byte, NONE, NONE),
            Node::Assert(_) => self.add(Kind::Mark, NONE, NONE),
            Node::Group { node, .. } => {
                let open = self.add(Kind::Mark, NONE, NONE)?;
                let body = self.build(node)?;
                let close = self.add(Kind::Mark, NONE, NONE)?;
                let tail = self.concat(body, close)?;
                self.concat(open, tail)
            }
            Node::Concat(nodes) => {
                let mut out = NONE;
                for n in nodes {
                    let t = self.build(n)?;
                    out = self.concat(out, t)?;
                }
                Some(out)
            }
            Node::Alternate(nodes) => {
                let mut it = nodes.iter();
                let mut out = match it.next() {
                    Some(n) => self.build(n)?,
                    None => NONE,
                };
                for n in it {
                    let b = self.build(n)?;
                    out = self.add(Kind::Alt, out, b)?;
                }
                Some(out)
            }
            Node::Repeat { node, min, max } => self.repeat(node, *min, *max),
        }
    }

    /// glibc's expansion of a repeat: `min` copies, then a loop over one more copy, or
    /// `max - min` optional copies, each wrapping all the optional ones before it.
    fn repeat(&mut self, node: &Node, min: u32, max: Option<u32>) -> Option<u32> {
        if max == Some(0) {
            return Some(NONE);
        }
        let mut elem = self.build(node)?;
        if elem == NONE {
            return Some(NONE);
        }
        let mut fixed = NONE;
        if min > 0 {
            let mut t = elem;
            for _ in 2..=min {
                let e = self.build(node)?;
                t = self.concat(t, e)?;
            }
            if max == Some(min) {
                return Some(t);
            }
            fixed = t;
            elem = self.build(node)?;
        }
        let mut t = match max {
            None => self.add(Kind::Star, elem, NONE)?,
            Some(_) => self.add(Kind::Alt, elem, NONE)?,
        };
        if let Some(max) = max {
            for _ in min.saturating_add(2)..=max {
                let e = self.build(node)?;
                let c = self.concat(t, e)?;
                t = self.add(Kind::Alt, c, NONE)?;
            }
        }
        self.concat(fixed, t)
    }

    fn slot(&self, at: u32) -> Option<Slot> {
        self.slots.get(at as usize).copied()
    }

    /// Numbers the automaton's nodes, children before parents as glibc does, and
    /// links each epsilon node to the nodes it leads to. The last node, after the
    /// root's, is glibc's end-of-pattern node, which consumes nothing but leads nowhere.
    fn automaton(&self, root: u32) -> Option<Vec<Vertex>> {
        // Post-order numbering, without recursion.
        let mut number = vec![NONE; self.slots.len()];
        let mut count = 0u32;
        let mut stack: Vec<(u32, bool)> = vec![(root, false)];
        while let Some((at, expanded)) = stack.pop() {
            if at == NONE {
                continue;
            }
            let s = self.slot(at)?;
            if expanded {
                if s.kind != Kind::Concat {
                    *number.get_mut(at as usize)? = count;
                    count += 1;
                }
                continue;
            }
            stack.push((at, true));
            stack.push((s.right, false));
            stack.push((s.left, false));
        }
        let end = count;
        let mut vertices = vec![Vertex { epsilon: false, edges: [0; 2], count: 0 }; count as usize + 1];
        // A subtree's first node: a concatenation starts where its left side does.
        let first = |mut at: u32| -> Option<u32> {
            loop {
                let s = self.slot(at)?;
                if s.kind != Kind::Concat {
                    return number.get(at as usize).copied();
                }
                at = s.left;
            }
        };
        let first_or = |at: u32, next: u32| if at == NONE { Some(next) } else { first(at) };
        // Each subtree with what follows it.
        let mut stack: Vec<(u32, u32)> = vec![(root, end)];
        while let Some((at, next)) = stack.pop() {
            if at == NONE {
                continue;
            }
            let s = self.slot(at)?;
            let id = number.get(at as usize).copied()?;
            match s.kind {
                Kind::Byte => {
                    *vertices.get_mut(id as usize)? = Vertex { epsilon: false, edges: [next, 0], count: 1 };
                }
                Kind::Mark => {
                    *vertices.get_mut(id as usize)? = Vertex { epsilon: true, edges: [next, 0], count: 1 };
                }
                Kind::Concat => {
                    stack.push((s.left, first_or(s.right, next)?));
                    stack.push((s.right, next));
                }
                Kind::Alt => {
                    let edges = [first_or(s.left, next)?, first_or(s.right, next)?];
                    *vertices.get_mut(id as usize)? = Vertex { epsilon: true, edges, count: 2 };
                    stack.push((s.left, next));
                    stack.push((s.right, next));
                }
                Kind::Star => {
                    let edges = [first_or(s.left, next)?, next];
                    *vertices.get_mut(id as usize)? = Vertex { epsilon: true, edges, count: 2 };
                    stack.push((s.left, id));
                }
            }
        }
        Some(vertices)
    }
}

/// A node of the automaton: an epsilon node's edges lead to nodes reached without a byte.
#[derive(Clone, Copy)]
struct Vertex {
    epsilon: bool,
    /// At most two: a loop and an alternative each have two.
    edges: [u32; 2],
    count: u8,
}

impl Vertex {
    fn edges(&self) -> &[u32] {
        &self.edges[..usize::from(self.count).min(2)]
    }
}

/// How a node's closure stands during the pass.
#[derive(Clone)]
enum Closure {
    NotYet,
    InProgress,
    Done(std::rc::Rc<[u32]>),
}

/// Runs the closure pass as glibc does, over the nodes in order, counting node visits
/// and set elements merged; `None` once the count exceeds `budget`.
fn closure_pass(vertices: &[Vertex], budget: u64) -> Option<u64> {
    let mut state = vec![Closure::NotYet; vertices.len()];
    let mut spent = 0u64;
    for root in 0..vertices.len() {
        if !matches!(state[root], Closure::Done(_)) {
            closure_of(vertices, root as u32, &mut state, &mut spent, budget)?;
        }
    }
    Some(spent)
}

/// One root's closure, with an explicit stack (the recursion can be as deep as the
/// automaton is large). A closure that met a node still in progress is incomplete and
/// forgotten, to be computed again where it is next reached; the root's is kept.
fn closure_of(vertices: &[Vertex], root: u32, state: &mut [Closure], spent: &mut u64, budget: u64) -> Option<()> {
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
    let mut out = Vec::new();
    loop {
        *spent += 1;
        if *spent > budget {
            return None;
        }
        let top = stack.last_mut()?;
        let v = vertices.get(top.node as usize)?;
        let edge = if v.epsilon { v.edges().get(top.next_edge).copied() } else { None };
        match edge {
            Some(dest) => {
                top.next_edge += 1;
                match state.get(dest as usize)? {
                    Closure::InProgress => top.incomplete = true,
                    Closure::Done(set) => {
                        let set = set.clone();
                        merge(&mut top.set, &set, &mut out, spent);
                    }
                    Closure::NotYet => stack.push(start(dest, state)),
                }
            }
            None => {
                let done = stack.pop()?;
                let is_root = stack.is_empty();
                // Exactly sized: kept closures are what the pass's memory is made of.
                let finished: std::rc::Rc<[u32]> = std::rc::Rc::from(done.set);
                *state.get_mut(done.node as usize)? =
                    if done.incomplete && !is_root { Closure::NotYet } else { Closure::Done(finished.clone()) };
                match stack.last_mut() {
                    Some(parent) => {
                        merge(&mut parent.set, &finished, &mut out, spent);
                        parent.incomplete |= done.incomplete;
                    }
                    None => return Some(()),
                }
            }
        }
    }
}

/// Merges sorted `src` into sorted `dest` (through `out`, left empty), counting both
/// sizes as glibc's merge costs.
fn merge(dest: &mut Vec<u32>, src: &[u32], out: &mut Vec<u32>, spent: &mut u64) {
    *spent += (dest.len() + src.len()) as u64;
    out.clear();
    let (mut i, mut j) = (0, 0);
    while let (Some(&a), Some(&b)) = (dest.get(i), src.get(j)) {
        out.push(a.min(b));
        i += usize::from(a <= b);
        j += usize::from(b <= a);
    }
    out.extend_from_slice(dest.get(i..).unwrap_or_default());
    out.extend_from_slice(src.get(j..).unwrap_or_default());
    std::mem::swap(dest, out);
}

/// The steps glibc's closure pass would take on `root`'s automaton, or `None` when
/// more than `budget`, or when glibc's tree would have more than `max_nodes` nodes.
pub(crate) fn work(root: &Node, budget: u64, max_nodes: usize) -> Option<u64> {
    let mut t = Tree { slots: Vec::new(), cap: max_nodes };
    let root = t.build(root)?;
    let vertices = t.automaton(root)?;
    closure_pass(&vertices, budget)
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
        for p in ["^0049([0-9]*)$", "^(00|\\+)(1|7|44|49)[0-9]{6,14}$", ".*", "^sip:([^@]*)@(.*)$", "a+++", ".{1,255}"]
        {
            let n = steps(p, u64::MAX).expect("no budget");
            // `.{1,255}`, the dearest, is 131,000 steps: 3 ms of glibc's time.
            assert!(n < 200_000, "{p}: {n}");
        }
    }

    /// Each `+` over an empty-matching body doubles the automaton and more than doubles
    /// the pass: the incomplete closures inside the loops are computed again.
    #[test]
    fn stacked_loops_over_empty_matches_grow_faster_than_the_automaton() {
        let at = |n: usize| steps(&format!("a??{}", "+".repeat(n)), u64::MAX).expect("no budget");
        let (six, seven, eight) = (at(6), at(7), at(8));
        assert!(seven > 2 * six && eight > 2 * seven, "{six} {seven} {eight}");
    }

    /// glibc nests optional copies to the left, so every one of them is reached from
    /// the start without a byte: the pass is quadratic in their number.
    #[test]
    fn optional_chains_cost_the_square_of_their_length() {
        let (short, long) =
            (steps("a{1,1000}", u64::MAX).expect("no budget"), steps("a{1,4000}", u64::MAX).expect("no budget"));
        assert!(long > 12 * short, "{short} {long}");
    }

    #[test]
    fn the_budget_stops_the_count() {
        assert_eq!(steps("(){0,100}++", 1_000_000), None);
        assert_eq!(steps("a", 0), None);
    }

    #[test]
    fn the_node_cap_stops_the_build() {
        let ast = syntax::parse(b"a{1000}", Flags { extended: true, insensitive: false }).expect("valid");
        assert_eq!(work(&ast.root, u64::MAX, 100), None);
        assert!(work(&ast.root, u64::MAX, 10_000).is_some());
    }
}
