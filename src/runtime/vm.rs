//! The reference interpreter: walks IR contexts exactly as Yate's regexroute does.

use crate::bus::{Cx, Finished, Phase};
use crate::ir::{self, Action, Assign, Cond, Ir, Keyword, Matcher, Subject, Template};
use crate::program::{
    Act, Acts, Ahead, Code, Entry, Fast, First, Index, Instr, Item, Piece, Program, Set, Shape, SubjectKey,
};
use crate::runtime::captures::Captures;
use crate::runtime::env::Env;
use crate::runtime::funcs::FuncCtx;
use crate::runtime::message::Message;
use crate::runtime::subst;
use crate::syntax::Connector;
use std::sync::atomic::Ordering;

/// Where a target writes: the message's return value, or a local string (preroute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetSlot {
    /// `msg.retvalue`.
    Message,
    /// A local result, as `call.preroute` uses.
    Local(Vec<u8>),
}

/// Most blocks open at once in one context (Yate's limit).
const MAX_BLOCKS: usize = 10;

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
enum Block {
    Run,
    Pending,
    #[default]
    Done,
}

/// The open blocks of one context walk, innermost last; Yate's limit bounds them, so
/// they live on the stack.
#[derive(Default)]
struct Blocks {
    items: [Block; MAX_BLOCKS],
    len: usize,
}

impl Blocks {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn last(&self) -> Option<&Block> {
        self.len.checked_sub(1).and_then(|i| self.items.get(i))
    }

    fn last_mut(&mut self) -> Option<&mut Block> {
        self.len.checked_sub(1).and_then(|i| self.items.get_mut(i))
    }

    fn pop(&mut self) -> Option<Block> {
        let top = self.last().copied()?;
        self.len -= 1;
        Some(top)
    }

    /// Callers check [`MAX_BLOCKS`] first; a push past it is dropped.
    fn push(&mut self, b: Block) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }
}

/// What a line's action tells the context walk.
enum Flow {
    Next,
    Return(bool),
}

/// One handler invocation: shared match string and return slot across goto/include.
pub struct Vm<'a, 'b> {
    ir: &'a Ir,
    env: &'a Env,
    cx: &'a mut Cx<'b>,
    /// Where targets and `retval` write.
    pub ret: RetSlot,
    /// Yate's own trace lines, kept when the message asks for `trace_to_msg`.
    pub msg_trace: Option<Vec<String>>,
    /// The decision program; `None` runs the reference walk.
    pub program: Option<&'a Program>,
    /// The buffers the call writes into, the thread's from one call to the next.
    st: Box<State>,
    /// The next run's trie walk, advanced a level per line evaluated before it.
    ahead: Option<Ahead<'a>>,
}

/// What the VM reads of a context's rules before their IR: nothing for the
/// reference walk.
#[derive(Clone, Copy)]
struct Tables<'p> {
    fast: &'p [Fast],
    acts: &'p Acts,
}

impl Tables<'_> {
    const NONE: Tables<'static> = Tables { fast: &[], acts: &Acts::EMPTY };

    fn of(code: &Code) -> Tables<'_> {
        Tables { fast: &code.rules, acts: &code.acts }
    }

    /// The packed action of rule `idx`, when it has one.
    #[inline]
    fn act(&self, idx: usize) -> Option<Act<'_>> {
        self.packed(self.fast.get(idx)?)
    }

    /// The packed action of `f`, when it has one.
    #[inline]
    fn packed(&self, f: &Fast) -> Option<Act<'_>> {
        self.acts.get(f.act.checked_sub(1)?)
    }
}

/// A packed action's assignments, in order.
#[inline]
fn apply_sets(msg: &mut Message, act: Act<'_>) {
    for set in act.assigns {
        match set {
            Set::Param { name, hash, words, value } => msg.set_keyed(name, hash, words, value),
            Set::Clear(name) => msg.clear(name),
        }
    }
}

/// One [`Instr::Run`]'s parts.
struct Run<'p> {
    items: &'p [Entry],
    index: &'p Index,
    tables: Tables<'p>,
}

/// Reusable buffers of the candidate search.
#[derive(Default)]
struct Scratch {
    cands: Vec<u32>,
    /// Values of function subjects, by key position; other subjects are borrowed.
    funcs: Vec<Vec<u8>>,
    /// The subjects the candidates were found for, by key position.
    seen: Vec<Vec<u8>>,
}

/// What a handler call writes into, kept by the thread from one call to the next: a
/// route then allocates no buffer, and starting and ending one moves a pointer, not
/// the buffers' headers.
#[derive(Default)]
struct State {
    /// The match string, shared by every frame of the call.
    ms: Vec<u8>,
    /// The captures of the line that matched last.
    caps: Captures,
    /// Where a packed action builds its text.
    text: Vec<u8>,
    /// Search buffers not in use: a run takes a set while it searches, and a context
    /// entered from inside it (goto, include) takes another.
    #[allow(clippy::vec_box)]
    searches: Vec<Box<Scratch>>,
}

/// Most idle buffer sets kept per thread (one per nesting level in use is enough).
const POOL: usize = 8;

thread_local! {
    /// The state of the last finished handler call: a warm thread routing one message
    /// after another takes it and gives it back without touching [`POOLED`].
    static LAST: std::cell::Cell<Option<Box<State>>> = const { std::cell::Cell::new(None) };
    /// More states, for handler calls nested inside one another (a `dispatch`).
    #[allow(clippy::vec_box)]
    static POOLED: std::cell::RefCell<Vec<Box<State>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl State {
    #[inline]
    fn take() -> Box<State> {
        if let Some(s) = LAST.try_with(std::cell::Cell::take).ok().flatten() {
            return s;
        }
        Self::take_pooled()
    }

    #[inline(never)]
    fn take_pooled() -> Box<State> {
        POOLED.with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop())).unwrap_or_default()
    }

    #[inline]
    fn give_back(self: Box<Self>) {
        let back = LAST.try_with(|last| match last.take() {
            None => {
                last.set(Some(self));
                None
            }
            Some(other) => {
                last.set(Some(other));
                Some(self)
            }
        });
        if let Ok(Some(extra)) = back {
            extra.pool();
        }
    }

    #[inline(never)]
    fn pool(self: Box<Self>) {
        let _ = POOLED.try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                if p.len() < POOL {
                    p.push(self);
                }
            }
        });
    }
}

impl<'a, 'b> Vm<'a, 'b> {
    /// A VM for one handler call.
    pub fn new(ir: &'a Ir, env: &'a Env, cx: &'a mut Cx<'b>, match_string: &[u8], ret: RetSlot) -> Self {
        let mut st = State::take();
        st.ms.clear();
        st.ms.extend_from_slice(match_string);
        st.caps.clear();
        Vm { ir, env, cx, ret, msg_trace: None, program: None, st, ahead: None }
    }

    /// Ends the call: its buffers go back to the thread for the next one. (A VM
    /// dropped without it only frees them.)
    pub fn finish(self) {
        self.st.give_back();
    }

    fn log(&mut self, line: String) {
        if let Some(t) = self.msg_trace.as_mut() {
            t.push(line.clone());
        }
        self.trace(|| format!("  warning: {line}"));
        self.cx.out.log.push(line);
    }

    fn trace(&mut self, line: impl FnOnce() -> String) {
        if let Some(t) = self.cx.out.trace.as_mut() {
            t.push(line());
        }
    }

    /// Evaluates a context at `depth`; `jump` says whether a missing context is
    /// reported (non-`@` goto/include) or silent (`@` forms and handler top level).
    pub fn eval(&mut self, msg: &mut Message, ctx: &[u8], depth: u32, warn_missing: bool) -> bool {
        if ctx.is_empty() {
            return false;
        }
        if self.cx.out.entries >= MAX_ENTRIES {
            // Said once: every refusal after it would be another line for each line
            // of each open context.
            if self.cx.out.entries == MAX_ENTRIES {
                self.cx.out.entries += 1;
                self.log(format!(
                    "Refusing to enter '{}': {MAX_ENTRIES} context entries already made for this message",
                    String::from_utf8_lossy(ctx)
                ));
            }
            return false;
        }
        self.cx.out.entries += 1;
        if depth > self.ir.settings.maxdepth {
            self.log(format!("Possible loop detected, current depth {depth}"));
            return false;
        }
        let Some(id) = self.ir.context(ctx) else {
            if warn_missing {
                self.log(format!("Missing target context '{}'", String::from_utf8_lossy(ctx)));
            }
            return false;
        };
        self.enter(msg, id, depth)
    }

    /// Evaluates context `id` at `depth`, already looked up by name (a handler knows
    /// its context before the message arrives).
    pub fn enter(&mut self, msg: &mut Message, id: ir::ContextId, depth: u32) -> bool {
        if self.msg_trace.is_some() || self.cx.out.trace.is_some() {
            self.trace_entry(id, depth);
        }
        self.run(msg, id, depth)
    }

    #[inline(never)]
    fn trace_entry(&mut self, id: ir::ContextId, depth: u32) {
        if let Some(t) = self.msg_trace.as_mut() {
            t.push(format!("Searching match for {}", String::from_utf8_lossy(&self.st.ms)));
        }
        let ctx = self.ir.get(id).map_or("", |c| c.name.as_str());
        if let Some(t) = self.cx.out.trace.as_mut() {
            let ms = shown(&self.st.ms);
            t.push(format!("context '{ctx}' (depth {depth}), match string {ms}"));
        }
    }

    fn run(&mut self, msg: &mut Message, id: ir::ContextId, depth: u32) -> bool {
        let ir = self.ir;
        let Some(ctx) = ir.get(id) else { return false };
        let mut stack = Blocks::default();
        let code = self.program.filter(|_| self.msg_trace.is_none()).and_then(|p| p.contexts.get(id.0 as usize));
        let result = match code {
            Some(code) => self.run_code(msg, ctx, code, depth, &mut stack),
            None => self.run_range(msg, ctx, 0..ctx.rules.len(), Tables::NONE, depth, &mut stack),
        };
        if let Some(r) = result {
            return r;
        }
        if !stack.is_empty() {
            self.log(format!("There are {} blocks still open", stack.len()));
        }
        false
    }

    /// The decision program's walk: single rules as in the reference walk, runs
    /// through their candidate index.
    fn run_code(
        &mut self,
        msg: &mut Message,
        ctx: &ir::Context,
        code: &'a Code,
        depth: u32,
        stack: &mut Blocks,
    ) -> Option<bool> {
        let tables = Tables::of(code);
        // The trie of the run `code.ahead` names, walked a level per line evaluated
        // before the run (see `run_rules`).
        self.ahead = match code.ahead.and_then(|i| code.steps.get(i as usize)) {
            Some(Instr::Run { index, .. }) => index.ahead(),
            _ => None,
        };
        for step in &code.steps {
            let r = match step {
                // A line that opens or closes a block on its own (a stray `{` or `}`).
                Instr::Rule(r) => {
                    let at = r.0 as usize;
                    self.run_range(msg, ctx, at..at + 1, tables, depth, stack)
                }
                Instr::Rules { start, end } => {
                    self.run_rules(msg, ctx, start.0 as usize..end.0 as usize, tables, depth, stack)
                }
                Instr::Chain { start, end } => {
                    self.run_chain(msg, ctx, start.0 as usize..end.0 as usize, tables, depth, stack)
                }
                Instr::Run { items, index } => {
                    self.ahead = None;
                    // Nested contexts (goto/include) search with their own buffers meanwhile.
                    let mut scratch = self.st.searches.pop().unwrap_or_default();
                    let run = Run { items, index, tables };
                    let r = self.search(msg, ctx, run, depth, stack, &mut scratch);
                    if self.st.searches.len() < POOL {
                        self.st.searches.push(scratch);
                    }
                    r
                }
            };
            if r.is_some() {
                return r;
            }
        }
        None
    }

    /// Evaluates the index's function subjects into `out[i]` (by key position); the
    /// match string and parameters are read in place by the search.
    fn func_subjects(&mut self, msg: &Message, index: &Index, out: &mut Vec<Vec<u8>>) {
        if !index.has_funcs() {
            return;
        }
        for (i, key) in index.keys().enumerate() {
            if let SubjectKey::Func(text) = key {
                if out.len() <= i {
                    out.resize_with(i + 1, Vec::new);
                }
                let mut fx = FuncCtx { env: self.env, msg, log: &mut self.cx.out.log };
                out[i] = subst::eval_functions(text.clone(), &mut fx);
            }
        }
    }

    /// Evaluates the candidates of a run in order. After an item that can change a
    /// subject, candidates are found again if it did; otherwise the rest of the list is
    /// exactly what a new search would find.
    fn search(
        &mut self,
        msg: &mut Message,
        ctx: &ir::Context,
        run: Run<'_>,
        depth: u32,
        stack: &mut Blocks,
        scratch: &mut Scratch,
    ) -> Option<bool> {
        let Run { items, index, tables } = run;
        let (mut from, mut next) = (0u32, 0usize);
        let (mut fresh, mut funcs_current, mut seen_current) = (true, false, false);
        while (from as usize) < items.len() {
            if fresh {
                if !funcs_current {
                    self.func_subjects(msg, index, &mut scratch.funcs);
                }
                let (ms, m, funcs) = (&self.st.ms, &*msg, &scratch.funcs);
                index.candidates(from, |i, key| subject_of(ms, m, funcs, i, key), &mut scratch.cands);
                (next, fresh, seen_current) = (0, false, false);
            }
            let Some(&pos) = scratch.cands.get(next) else { break };
            next += 1;
            let entry = items.get(pos as usize)?;
            let touching = entry.touches;
            if touching && !seen_current {
                // Only items that ran since the search, none of which could change a
                // subject: these are the values the candidates were found for.
                let (ms, m, funcs) = (&self.st.ms, &*msg, &scratch.funcs);
                for (i, key) in index.keys().enumerate() {
                    if scratch.seen.len() <= i {
                        scratch.seen.push(Vec::new());
                    }
                    let seen = &mut scratch.seen[i];
                    seen.clear();
                    seen.extend_from_slice(subject_of(ms, m, funcs, i, key));
                }
                seen_current = true;
            }
            let flow = match entry.item {
                Item::Rule(r) => {
                    let idx = r.0 as usize;
                    let rule = ctx.rules.get(idx)?;
                    let hit = match entry.proof {
                        Some(p) if self.cx.out.trace.is_none() => {
                            let (ms, m, funcs) = (&self.st.ms, &*msg, &scratch.funcs);
                            let key = p.key as usize;
                            let subject = index.key(key).map_or(&[][..], |k| subject_of(ms, m, funcs, key, k));
                            let subject = ir::template_trim(subject);
                            match p.tail.groups(p.prefix as usize, crate::regex::until_nul(subject)) {
                                Some((whole, group)) if p.needs_caps => {
                                    self.st.caps.set_groups(subject, whole, group);
                                    true
                                }
                                Some(_) => {
                                    self.st.caps.clear();
                                    true
                                }
                                None => false,
                            }
                        }
                        _ => self.evaluate(msg, ctx, idx, rule, tables),
                    };
                    if !hit {
                        continue;
                    }
                    let record = entry.act.checked_sub(1).and_then(|at| match entry.inline.get() {
                        Some(copy) => tables.acts.read(copy),
                        None => tables.acts.get(at),
                    });
                    let packed = match record {
                        Some(act) if self.cx.out.trace.is_none() => self.act_packed(msg, act, depth),
                        _ => None,
                    };
                    match packed {
                        Some(flow) => flow,
                        None => self.act_matched(msg, rule, depth, stack),
                    }
                }
                Item::Chain { start, end } => {
                    match self.run_chain(msg, ctx, start.0 as usize..end.0 as usize, tables, depth, stack) {
                        Some(r) => Flow::Return(r),
                        None => Flow::Next,
                    }
                }
            };
            if let Flow::Return(r) = flow {
                return Some(r);
            }
            from = pos + 1;
            if from as usize >= items.len() {
                break;
            }
            if !touching {
                continue;
            }
            // Function subjects are evaluated once per search, as without the
            // comparison: what they log must not be repeated.
            self.func_subjects(msg, index, &mut scratch.funcs);
            let (ms, m, funcs) = (&self.st.ms, &*msg, &scratch.funcs);
            fresh = index
                .keys()
                .enumerate()
                .any(|(i, key)| scratch.seen.get(i).map(Vec::as_slice) != Some(subject_of(ms, m, funcs, i, key)));
            funcs_current = true;
        }
        None
    }

    /// Evaluates one rule's conditions, with its trace lines; on a match the captures
    /// are in `self.st.caps`.
    // Always inline: a checked condition is a lookup and a compare, less than a call.
    #[inline(always)]
    fn evaluate(&mut self, msg: &Message, ctx: &ir::Context, idx: usize, rule: &ir::Rule, t: Tables<'_>) -> bool {
        if let Some(check) = t.fast.get(idx).and_then(|f| f.check.as_ref()) {
            if self.cx.out.trace.is_none() {
                if let Some(hit) = check.holds(&self.st.ms, msg, self.ir) {
                    if hit {
                        self.st.caps.clear();
                    }
                    return hit;
                }
            }
        }
        self.evaluate_ir(msg, ctx, idx, rule)
    }

    /// [`evaluate`](Self::evaluate) from the IR; out of line, so that a checked
    /// condition pays none of its frame.
    #[inline(never)]
    fn evaluate_ir(&mut self, msg: &Message, ctx: &ir::Context, idx: usize, rule: &ir::Rule) -> bool {
        if rule.links.is_empty() && rule.broken.is_none() && self.msg_trace.is_none() && self.cx.out.trace.is_none() {
            if let Some(hit) = self.single(msg, rule) {
                return hit;
            }
        }
        self.evaluate_chain(msg, ctx, idx, rule)
    }

    /// [`evaluate`](Self::evaluate) through the general chain, with trace lines; out of
    /// line, so that a single condition pays none of its set-up.
    #[inline(never)]
    fn evaluate_chain(&mut self, msg: &Message, ctx: &ir::Context, idx: usize, rule: &ir::Rule) -> bool {
        let ir = self.ir;
        self.trace(|| format!("{} {}#{idx}: {}={}", ir.sources.location(rule.span), ctx.name, rule.key, rule.value));
        let caps = self.chain(msg, rule);
        if let Some(t) = self.msg_trace.as_mut() {
            t.push(format!("Matched:{} {}:{idx} - {}={}", caps.is_some(), ctx.name, rule.key, rule.value));
        }
        self.trace(|| match &caps {
            Some(c) => format!("  matched, captures {}", show_caps(c)),
            None => "  no match".to_string(),
        });
        match caps {
            Some(c) => {
                self.st.caps = c;
                true
            }
            None => false,
        }
    }

    /// Runs the action of a rule that matched, with the captures `evaluate` left.
    fn act_matched(&mut self, msg: &mut Message, rule: &ir::Rule, depth: u32, stack: &mut Blocks) -> Flow {
        match &rule.action {
            Action::Plain { first, keyword, assigns } => {
                // The captures are read before the keyword acts, and only a goto or
                // include there fills new ones: they can be read in place, not moved
                // out and back.
                let mut subst = Subst { env: self.env, planned: self.program.is_some(), log: &mut self.cx.out.log };
                let action = subst.plain(first, keyword.is_some(), assigns, &self.st.caps, msg);
                return match keyword {
                    Some(k) => self.literal_keyword(msg, k, depth),
                    None => self.keyword(msg, ir::classify_owned(action), depth),
                };
            }
            // Reads no captures.
            Action::Block => return self.enter_block(stack),
            _ => {}
        }
        // Taken out for the action: a goto or include fills its own.
        let caps = std::mem::take(&mut self.st.caps);
        let flow = self.act(msg, rule, &caps, depth, stack);
        self.st.caps = caps;
        flow
    }

    /// Runs the action of rule `idx`, which matched: packed when it is, else from the IR.
    #[inline]
    fn act_rule(
        &mut self,
        msg: &mut Message,
        rule: &ir::Rule,
        idx: usize,
        t: Tables<'_>,
        depth: u32,
        stack: &mut Blocks,
    ) -> Flow {
        if self.cx.out.trace.is_none() {
            if let Some(act) = t.act(idx) {
                if let Some(flow) = self.act_packed(msg, act, depth) {
                    return flow;
                }
            }
        }
        self.act_matched(msg, rule, depth, stack)
    }

    /// Runs a packed action as [`act_matched`](Self::act_matched) runs the rule's: the
    /// first piece substituted, then the assignments, then the keyword. `None`, having
    /// done nothing, when a capture would give the later passes something to find: the
    /// rule then runs from the IR.
    #[inline(never)]
    fn act_packed(&mut self, msg: &mut Message, act: Act<'_>, depth: u32) -> Option<Flow> {
        let mut text = std::mem::take(&mut self.st.text);
        let flow = self.act_packed_with(msg, act, depth, &mut text);
        self.st.text = text;
        flow
    }

    /// [`act_packed`](Self::act_packed) building its text in `text`.
    #[inline]
    fn act_packed_with(&mut self, msg: &mut Message, act: Act<'_>, depth: u32, text: &mut Vec<u8>) -> Option<Flow> {
        text.clear();
        let first: &[u8] = match act.first {
            First::Nothing => &[],
            First::Target(t) => t,
            First::Pieces(pieces) => {
                for p in pieces {
                    match p {
                        Piece::Lit(l) => text.extend_from_slice(l),
                        Piece::Cap(n) => {
                            let v = self.st.caps.get(usize::from(n));
                            if !subst::capture_is_inert(v) {
                                return None;
                            }
                            text.extend_from_slice(v);
                        }
                    }
                }
                ir::template_trim(text)
            }
        };
        apply_sets(msg, act);
        Some(match first.first() {
            None => Flow::Next,
            Some(&b) if ir::may_be_keyword(b) => self.keyword(msg, ir::classify(first), depth),
            Some(_) => self.target(msg, first),
        })
    }

    /// A target: its text is copied into the return value's buffer, and the message is
    /// handled.
    #[inline]
    fn target(&mut self, msg: &mut Message, t: &[u8]) -> Flow {
        let ret = match &mut self.ret {
            RetSlot::Message => &mut msg.retvalue,
            RetSlot::Local(r) => r,
        };
        if ret.capacity() < t.len() {
            // A fresh message's empty return value: one allocation of the exact size,
            // not the growth path of `extend`.
            *ret = t.to_vec();
        } else {
            ret.clear();
            ret.extend_from_slice(t);
        }
        Flow::Return(true)
    }

    /// The reference walk over `range`, rules that neither open nor close a block
    /// (each runs unless a block that does not run is open): the checks of the lines
    /// that do not match are answered in a loop of their own, with nothing but the
    /// check read of each.
    fn run_rules(
        &mut self,
        msg: &mut Message,
        ctx: &ir::Context,
        range: std::ops::Range<usize>,
        t: Tables<'_>,
        depth: u32,
        stack: &mut Blocks,
    ) -> Option<bool> {
        let mut idx = range.start;
        while idx < range.end {
            // Only a matched line's action can change the block state (a stray `{`
            // action marks the open block as running), so it is read again after one.
            if stack.last().is_some_and(|&b| b != Block::Run) {
                return None;
            }
            let checked = self.cx.out.trace.is_none();
            let fast = t.fast.get(idx..range.end).unwrap_or_default();
            // Two copies of the loop: the one that walks ahead holds its walk in
            // registers the other leaves to the guards.
            let answered = if self.ahead.is_some() {
                let ahead = self.ahead.take();
                self.guards::<true>(msg, fast, &mut idx, checked, ahead)
            } else {
                self.guards::<false>(msg, fast, &mut idx, checked, None)
            };
            if idx >= range.end {
                return None;
            }
            let rule = ctx.rules.get(idx)?;
            let matched = match answered {
                Some(hit) => {
                    self.st.caps.clear();
                    hit
                }
                None => self.evaluate_ir(msg, ctx, idx, rule),
            };
            if matched {
                if let Flow::Return(r) = self.act_rule(msg, rule, idx, t, depth, stack) {
                    return Some(r);
                }
            }
            idx += 1;
        }
        None
    }

    /// The loop of [`run_rules`](Self::run_rules) over lines answered by their check
    /// alone: each that does not match, or only sets parameters, is done here and
    /// `idx` moves past it. The answer of the line it stops at, when its check gave
    /// one. With `AHEAD`, a level of the walk ahead is taken before each line.
    #[inline(always)]
    fn guards<const AHEAD: bool>(
        &mut self,
        msg: &mut Message,
        fast: &[Fast],
        idx: &mut usize,
        checked: bool,
        mut ahead: Option<Ahead<'a>>,
    ) -> Option<bool> {
        let mut answered = None;
        for f in fast {
            if AHEAD {
                if let Some(a) = &mut ahead {
                    if !a.step(&self.st.ms) {
                        ahead = None;
                    }
                }
            }
            let hit = match &f.check {
                Some(check) if checked => check.holds(&self.st.ms, msg, self.ir),
                _ => None,
            };
            match hit {
                Some(false) => *idx += 1,
                // A line that only sets parameters (`.*=;name=value`) is acted on
                // here: its action cannot return, jump or open a block, and the walk
                // goes on without leaving the loop.
                Some(true) if f.sets.is_some() => {
                    self.st.caps.clear();
                    for a in f.sets.as_deref().unwrap_or_default() {
                        match a {
                            Assign::Set(name, value) => msg.set_named(name, value),
                            Assign::Clear(name) => msg.clear(name),
                            _ => {}
                        }
                    }
                    *idx += 1;
                }
                _ => {
                    answered = hit;
                    break;
                }
            }
        }
        if AHEAD {
            self.ahead = ahead;
        }
        answered
    }

    /// A balanced block chain at the top of a context: by its [`Shape`] when it has
    /// one (and nothing is traced or open), else by the reference walk.
    fn run_chain(
        &mut self,
        msg: &mut Message,
        ctx: &ir::Context,
        range: std::ops::Range<usize>,
        t: Tables<'_>,
        depth: u32,
        stack: &mut Blocks,
    ) -> Option<bool> {
        if let Some(shape) = t.fast.get(range.start).and_then(|f| f.shape.as_deref()) {
            if stack.is_empty() && self.cx.out.trace.is_none() {
                return self.run_shape(msg, ctx, shape, t, depth, stack);
            }
        }
        self.run_range(msg, ctx, range, t, depth, stack)
    }

    /// [`run_range`](Self::run_range) over a chain of the simple form, from an empty
    /// block stack: each opener is evaluated with its block pending until one matches;
    /// that branch's body runs, and the lines after it would all be skipped. When none
    /// matches, the final `}` line is evaluated as the outer level's.
    fn run_shape(
        &mut self,
        msg: &mut Message,
        ctx: &ir::Context,
        shape: &Shape,
        t: Tables<'_>,
        depth: u32,
        stack: &mut Blocks,
    ) -> Option<bool> {
        for b in &shape.branches {
            let at = b.opener.0 as usize;
            let rule = ctx.rules.get(at)?;
            stack.push(Block::Pending);
            if self.evaluate(msg, ctx, at, rule, t) {
                // The opener's action is `{`.
                self.enter_block(stack);
                let r = self.run_rules(msg, ctx, at + 1..b.end.0 as usize, t, depth, stack);
                stack.pop();
                return r;
            }
            stack.pop();
        }
        if shape.close_noop {
            return None;
        }
        let at = shape.close.0 as usize;
        let rule = ctx.rules.get(at)?;
        if !self.evaluate(msg, ctx, at, rule, t) {
            return None;
        }
        match self.act_rule(msg, rule, at, t, depth, stack) {
            Flow::Return(r) => Some(r),
            Flow::Next => None,
        }
    }

    /// The reference walk over rules `range`, with Yate's block logic.
    fn run_range(
        &mut self,
        msg: &mut Message,
        ctx: &ir::Context,
        range: std::ops::Range<usize>,
        t: Tables<'_>,
        depth: u32,
        stack: &mut Blocks,
    ) -> Option<bool> {
        for idx in range {
            let Some(rule) = ctx.rules.get(idx) else { break };
            let mut cur = stack.last().copied().unwrap_or(Block::Run);
            let mut closed = None;
            if rule.closes_block {
                let Some(top) = stack.pop() else {
                    self.log(format!("Got '}}' outside block in line #{}", idx + 1));
                    continue;
                };
                closed = Some(top);
                cur = stack.last().copied().unwrap_or(Block::Run);
            }
            let after_branch = matches!(closed, Some(Block::Run) | Some(Block::Done));
            if rule.opens_block {
                if stack.len() >= MAX_BLOCKS {
                    self.log(format!("Block stack overflow in line #{}", idx + 1));
                    return Some(false);
                }
                if cur == Block::Run && !after_branch {
                    stack.push(Block::Pending);
                } else {
                    stack.push(Block::Done);
                    cur = Block::Done;
                }
            } else if after_branch {
                cur = Block::Done;
            }
            if cur != Block::Run {
                continue;
            }
            if !self.evaluate(msg, ctx, idx, rule, t) {
                continue;
            }
            if let Flow::Return(r) = self.act_rule(msg, rule, idx, t, depth, stack) {
                return Some(r);
            }
        }
        None
    }

    /// Evaluates the key condition and the `if`/`and`/`or` chain: the captures of the
    /// last condition evaluated when the line matches.
    ///
    /// Conditions are first answered yes/no; glibc computes captures once, for the last
    /// condition of a matching line whose action uses them. A condition whose subject
    /// has side effects is evaluated once, with captures when they may be needed; so is
    /// a line's only condition when its regex gives captures as cheaply as an answer.
    fn chain(&mut self, msg: &Message, rule: &ir::Rule) -> Option<Captures> {
        let ir = self.ir;
        let direct = |c: &Cond| match &c.matcher {
            Matcher::Regex(id) => {
                ir.regexes.get(*id).is_some_and(|e| e.compiled().as_ref().is_ok_and(|r| r.has_shape()))
            }
            Matcher::Invalid(_) => false,
        };
        let want = |c: &Cond| {
            rule.needs_caps
                && (!SubjectKey::is_pure(c) || (rule.links.is_empty() && rule.broken.is_none() && direct(c)))
        };
        let mut last = &rule.cond;
        let (mut r, mut caps) = self.cond(msg, last, want(last));
        for link in &rule.links {
            match (r, link.conn) {
                (true, Connector::Or) => {
                    if rule.broken.is_some() {
                        self.log("Malformed 'or' rule".to_string());
                        return None;
                    }
                    break;
                }
                (true, _) | (false, Connector::Or) => {
                    let Some(c) = &link.cond else {
                        self.log(format!("Missing '{}' in rule", link.conn));
                        return None;
                    };
                    last = c;
                    (r, caps) = self.cond(msg, c, want(c));
                }
                (false, _) => return None,
            }
        }
        if let Some(b) = rule.broken {
            // Reached only when no `or` short-circuited: the connector has no `=`.
            if r || b == Connector::Or {
                self.log(format!("Missing '{b}' in rule"));
            }
            return None;
        }
        if !r {
            return None;
        }
        if rule.needs_caps && !want(last) && !last.negated {
            // The same condition again, for its captures: already traced once.
            let trace = self.cx.out.trace.take();
            caps = self.cond(msg, last, true).1;
            self.cx.out.trace = trace;
        }
        Some(caps)
    }

    /// [`chain`](Self::chain) for a line with one condition on the match string or a
    /// parameter and a valid regex, when nothing is traced: the same answers without
    /// the general bookkeeping. `None` when the line is not of that kind.
    #[inline]
    fn single(&mut self, msg: &Message, rule: &ir::Rule) -> Option<bool> {
        let c = &rule.cond;
        let Matcher::Regex(id) = c.matcher else { return None };
        let Some(Ok(re)) = self.ir.regexes.get(id).map(|e| e.compiled()) else { return None };
        let mut digits = itoa::Buffer::new();
        let subject = match &c.subject {
            Subject::MatchString => &self.st.ms[..],
            Subject::Param { name, default } => msg.get_named(name).unwrap_or(default),
            // (A number-length guard without captures is the program's check.)
            Subject::Func(t) if self.program.is_some() => length_subject(t, msg, &mut digits)?,
            Subject::Func(_) => return None,
        };
        let subject = ir::template_trim(subject);
        if c.negated || !rule.needs_caps {
            let hit = re.is_match(subject) != c.negated;
            if hit {
                self.st.caps.clear();
            }
            return Some(hit);
        }
        Some(capture(&mut self.st.caps, re, subject))
    }

    /// Evaluates one condition. Captures come from glibc, only when the rule uses
    /// them; a yes/no answer may come from the provably equivalent fast path.
    fn cond(&mut self, msg: &Message, c: &Cond, want_caps: bool) -> (bool, Captures) {
        let id = match &c.matcher {
            Matcher::Invalid(why) => {
                self.log(why.to_string());
                return (false, Captures::none());
            }
            Matcher::Regex(id) => *id,
        };
        let owned;
        let mut digits = itoa::Buffer::new();
        let direct = match &c.subject {
            Subject::Func(t) if self.program.is_some() => length_subject(t, msg, &mut digits),
            _ => None,
        };
        let subject: &[u8] = match (&c.subject, direct) {
            (_, Some(d)) => d,
            (Subject::MatchString, None) => &self.st.ms,
            (Subject::Param { name, default }, None) => msg.get_named(name).unwrap_or(default),
            (Subject::Func(t), None) => {
                let mut fx = FuncCtx { env: self.env, msg, log: &mut self.cx.out.log };
                owned = match t.plan.as_deref().filter(|_| self.program.is_some()) {
                    Some(plan) => subst::expand_planned(plan, &t.text, false, &Captures::none(), &mut fx),
                    None => subst::eval_functions(subst::replace_params(&t.text, msg), &mut fx),
                };
                &owned
            }
        };
        let subject = ir::template_trim(subject);
        let ir = self.ir;
        let (found, caps) = match ir.regexes.get(id).map(|e| e.compiled()) {
            Some(Ok(re)) if want_caps && !c.negated => match re.captures(subject) {
                Some(slots) => (true, Captures::from_slots(subject, &slots)),
                None => (false, Captures::none()),
            },
            Some(Ok(re)) => (re.is_match(subject), Captures::none()),
            Some(Err(_)) | None => (false, Captures::none()),
        };
        let matched = found != c.negated;
        let trace_line = self.cx.out.trace.is_some().then(|| {
            let pat = ir.regexes.get(id).map(|e| String::from_utf8_lossy(&e.pattern).into_owned()).unwrap_or_default();
            let neg = if c.negated { " (negated)" } else { "" };
            format!("  {} {} ~ /{pat}/{neg}: {matched}", subject_name(&c.subject), shown(subject))
        });
        if let Some(Err(e)) = ir.regexes.get(id).map(|e| e.compiled()) {
            self.log(format!("Regexp::compile() failed: {e}"));
        }
        if let Some(line) = trace_line {
            self.trace(|| line);
        }
        (matched, if matched { caps } else { Captures::none() })
    }

    /// The VM's parts that substitution needs.
    fn subst(&mut self) -> Subst<'_> {
        Subst { env: self.env, planned: self.program.is_some(), log: &mut self.cx.out.log }
    }

    fn expand(&mut self, t: &Template, caps: &Captures, msg: &Message) -> Vec<u8> {
        self.subst().expand(t, caps, msg)
    }

    /// Applies an assignment piece to `target`, substituted against `reader` (`None`:
    /// the message being routed, which is also the target).
    fn assign(&mut self, t: &Template, caps: &Captures, reader: Option<&Message>, target: &mut Message) {
        self.subst().assign(t, caps, reader, target)
    }

    fn act(&mut self, msg: &mut Message, rule: &ir::Rule, caps: &Captures, depth: u32, stack: &mut Blocks) -> Flow {
        match &rule.action {
            Action::Echo(t) if self.cx.out.echo_unread && self.cx.out.trace.is_none() && !t.calls_functions() => {
                Flow::Next
            }
            Action::Echo(t) => {
                let text = String::from_utf8_lossy(&self.expand(t, caps, msg)).into_owned();
                self.trace(|| format!("  action: echo {}", shown(text.as_bytes())));
                self.cx.out.echo.extend(text.split('\n').map(str::to_string));
                Flow::Next
            }
            Action::Debug { level, text } => {
                let text = String::from_utf8_lossy(&self.expand(text, caps, msg)).into_owned();
                self.log(format!("<RegexRoute:{}> {text}", level_name(*level)));
                Flow::Next
            }
            Action::Block => self.enter_block(stack),
            Action::NoMessage => Flow::Next,
            Action::Message { enqueue, name, assigns } => {
                self.new_message(msg, *enqueue, name, assigns, caps);
                Flow::Next
            }
            Action::Plain { first, keyword, assigns } => {
                let action = self.subst().plain(first, keyword.is_some(), assigns, caps, msg);
                match keyword {
                    Some(k) => self.literal_keyword(msg, k, depth),
                    None => self.keyword(msg, ir::classify_owned(action), depth),
                }
            }
        }
    }

    fn enter_block(&mut self, stack: &mut Blocks) -> Flow {
        self.trace(|| "  action: enter block".to_string());
        if let Some(top) = stack.last_mut() {
            *top = Block::Run;
        }
        Flow::Next
    }

    /// [`keyword`](Self::keyword) for a keyword written in the rule: the common ones
    /// are done by reference, so that a matched line copies no text but its target.
    #[inline]
    fn literal_keyword(&mut self, msg: &mut Message, kw: &Keyword, depth: u32) -> Flow {
        if self.cx.out.trace.is_some() {
            return self.keyword(msg, kw.clone(), depth);
        }
        match kw {
            Keyword::Nothing | Keyword::Noop => Flow::Next,
            Keyword::Return(b) => Flow::Return(*b),
            Keyword::Target(t) => self.target(msg, t),
            _ => self.keyword(msg, kw.clone(), depth),
        }
    }

    #[inline(never)]
    fn keyword(&mut self, msg: &mut Message, kw: Keyword, depth: u32) -> Flow {
        self.trace(|| format!("  action: {}", show_keyword(&kw)));
        match kw {
            Keyword::Nothing | Keyword::Noop => Flow::Next,
            Keyword::Return(b) => Flow::Return(b),
            Keyword::Goto { ctx, silent } => Flow::Return(self.eval(msg, &ctx, depth + 1, !silent)),
            Keyword::Include { ctx, silent } => {
                if self.eval(msg, &ctx, depth + 1, !silent) {
                    Flow::Return(true)
                } else {
                    Flow::Next
                }
            }
            // The match string, the message's name and the return value are bounded as
            // parameters are (`MAX_VALUE`): `newmatch \0\0` doubles the match string
            // at every line that matches, and a context that includes itself repeats it.
            Keyword::Match(s) if s.len() > MAX_VALUE => self.refuse("the match string", s.len()),
            Keyword::Rename(n) if n.len() > MAX_VALUE => self.refuse("the message name", n.len()),
            Keyword::Retval(v) if v.len() > MAX_VALUE => self.refuse("the return value", v.len()),
            Keyword::Match(s) => {
                if !s.is_empty() {
                    self.st.ms = s;
                }
                Flow::Next
            }
            Keyword::Rename(n) => {
                if !n.is_empty() {
                    msg.name = n;
                }
                Flow::Next
            }
            Keyword::Retval(v) => {
                self.set_ret(msg, v);
                Flow::Next
            }
            Keyword::Msleep(ms) => {
                let ms = ms.min(MAX_SLEEP_MS);
                super::blocking::wait(|| std::thread::sleep(std::time::Duration::from_millis(ms)));
                Flow::Next
            }
            Keyword::Target(t) => {
                self.set_ret(msg, t);
                Flow::Return(true)
            }
        }
    }

    /// Logs the refusal of a text longer than [`MAX_VALUE`]; the line goes on.
    #[cold]
    fn refuse(&mut self, what: &str, len: usize) -> Flow {
        self.log(too_long(what, len));
        Flow::Next
    }

    fn set_ret(&mut self, msg: &mut Message, v: Vec<u8>) {
        match &mut self.ret {
            RetSlot::Message => msg.retvalue = v,
            RetSlot::Local(r) => *r = v,
        }
    }

    fn new_message(&mut self, msg: &Message, enqueue: bool, name: &Template, assigns: &[Template], caps: &Captures) {
        let name = self.expand(name, caps, msg);
        let mut m = Message::new(ir::template_trim(&name).to_vec());
        m.time = msg.time;
        for t in assigns {
            self.assign(t, caps, Some(msg), &mut m);
        }
        self.trace(|| {
            let how = if enqueue { "enqueue" } else { "dispatch" };
            format!("  action: {how} {:?} with {} parameters", String::from_utf8_lossy(&m.name), m.param_count())
        });
        if m.name.is_empty() {
            return;
        }
        if enqueue {
            self.cx.out.queue.push_back(m);
            return;
        }
        if self.cx.depth >= MAX_DISPATCH_DEPTH {
            self.log(format!(
                "Refusing to dispatch '{}': {MAX_DISPATCH_DEPTH} dispatches already nested",
                String::from_utf8_lossy(&m.name)
            ));
            return;
        }
        if self.cx.out.dispatches >= MAX_DISPATCHES {
            self.log(format!(
                "Refusing to dispatch '{}': {MAX_DISPATCHES} dispatches already ran for this message",
                String::from_utf8_lossy(&m.name)
            ));
            return;
        }
        self.cx.out.dispatches += 1;
        self.env.dispatching.fetch_add(1, Ordering::SeqCst);
        let bus = self.cx.bus;
        let handled = bus.dispatch_nested(&mut m, self.cx.out, self.cx.depth + 1);
        self.env.dispatching.fetch_sub(1, Ordering::SeqCst);
        self.cx.out.finished.push(Finished { msg: m, handled, phase: Phase::Sync });
    }
}

/// What substitution needs of the VM: separate from it, so that the captures read
/// may be the VM's own while its log is written.
struct Subst<'v> {
    env: &'v Env,
    /// Whether the decision program runs: the reference engine keeps the text passes,
    /// so that the engines' comparison checks the plans.
    planned: bool,
    log: &'v mut Vec<String>,
}

impl Subst<'_> {
    /// Substitutes `t` against `msg`.
    fn expand(&mut self, t: &Template, caps: &Captures, msg: &Message) -> Vec<u8> {
        if t.literal {
            return t.text.clone();
        }
        let mut fx = FuncCtx { env: self.env, msg, log: self.log };
        match t.plan.as_deref().filter(|_| self.planned) {
            Some(plan) => subst::expand_planned(plan, &t.text, true, caps, &mut fx),
            None => subst::expand(&t.text, caps, &mut fx),
        }
    }

    /// [`Vm::assign`] on the VM's parts.
    fn assign(&mut self, t: &Template, caps: &Captures, reader: Option<&Message>, target: &mut Message) {
        match &t.assign {
            Some(a) => apply(self.env, a, target, self.log),
            None => {
                let text = self.expand(t, caps, reader.unwrap_or(target));
                apply(self.env, &Assign::parse(&text), target, self.log);
            }
        }
    }

    /// What a plain line does before its keyword: the action text substituted (empty
    /// when the keyword is written in the rule), then the assignments, in that order.
    fn plain(
        &mut self,
        first: &Template,
        literal: bool,
        assigns: &[Template],
        caps: &Captures,
        msg: &mut Message,
    ) -> Vec<u8> {
        let action = if literal { Vec::new() } else { self.expand(first, caps, msg) };
        for t in assigns {
            self.assign(t, caps, None, msg);
        }
        action
    }
}

fn apply(env: &Env, a: &Assign, target: &mut Message, log: &mut Vec<String>) {
    match a {
        Assign::Set(n, v) if v.len() > MAX_VALUE => log.push(too_long(&quoted(n.as_bytes()), v.len())),
        Assign::SetGlobal(n, v) if v.len() > MAX_VALUE => log.push(too_long(&quoted(n), v.len())),
        Assign::Nothing => {}
        Assign::Set(n, v) => target.set_named(n, v),
        Assign::Clear(n) => target.clear(n),
        Assign::SetGlobal(n, v) => env.globals.set(n, v),
        Assign::ClearGlobal(n) => env.globals.remove(n),
    }
}

/// Matches `re` for its captures, into `caps`; out of line, so that the yes/no
/// conditions around it keep a small frame.
#[inline(never)]
fn capture(caps: &mut Captures, re: &crate::regex::Regex, subject: &[u8]) -> bool {
    if !re.has_shape() && !re.is_match(subject) {
        return false;
    }
    let Some(slots) = re.captures(subject) else { return false };
    caps.set(subject, &slots);
    true
}

/// The value of a `$(length,${name})` subject, written into `digits`, when it can be
/// had without the substitution passes (see `subst::length_of_value`).
#[inline]
fn length_subject<'d>(t: &Template, msg: &Message, digits: &'d mut itoa::Buffer) -> Option<&'d [u8]> {
    Some(digits.format(length_of(t, msg)?).as_bytes())
}

/// The number a `$(length,${name})` subject stands for (see [`length_subject`]).
#[inline]
fn length_of(t: &Template, msg: &Message) -> Option<usize> {
    let (name, default) = t.plan.as_deref()?.length_of()?;
    subst::length_of_value(msg.get_named(name).unwrap_or(default))
}

/// The current value of an index's i-th subject.
// Always inline: every search asks it once per key and again around items that can
// change a subject, and a call saves registers around what is a lookup.
#[inline(always)]
fn subject_of<'s>(ms: &'s [u8], msg: &'s Message, funcs: &'s [Vec<u8>], i: usize, key: &'s SubjectKey) -> &'s [u8] {
    match key {
        SubjectKey::MatchString => ms,
        SubjectKey::Param(name, default) => msg.get_named(name).unwrap_or(default),
        SubjectKey::Func(_) => funcs.get(i).map_or(&[][..], Vec::as_slice),
    }
}

/// Most bytes of a text a trace line shows: a match string or parameter can hold up
/// to [`MAX_VALUE`] bytes, and a trace that repeated it whole at every line would
/// grow with the square of it.
const TRACE_TEXT: usize = 256;

/// `text` quoted for a trace line, cut after [`TRACE_TEXT`] bytes with its length.
fn shown(text: &[u8]) -> String {
    match text.get(..TRACE_TEXT).filter(|_| text.len() > TRACE_TEXT) {
        Some(head) => format!("{:?}... ({} bytes)", String::from_utf8_lossy(head), text.len()),
        None => format!("{:?}", String::from_utf8_lossy(text)),
    }
}

fn subject_name(s: &Subject) -> String {
    match s {
        Subject::MatchString => "match string".to_string(),
        Subject::Param { name, .. } => format!("${{{}}}", String::from_utf8_lossy(name.as_bytes())),
        Subject::Func(t) => String::from_utf8_lossy(&t.text).into_owned(),
    }
}

fn show_caps(c: &Captures) -> String {
    let parts: Vec<String> =
        (0..10).filter(|&n| !c.get(n).is_empty()).map(|n| format!("\\{n}={}", shown(c.get(n)))).collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(" ")
    }
}

fn show_keyword(k: &Keyword) -> String {
    match k {
        Keyword::Nothing => "set parameters, continue".to_string(),
        Keyword::Noop => "noop".to_string(),
        Keyword::Return(b) => format!("return {b}"),
        Keyword::Goto { ctx, .. } => format!("goto {}", shown(ctx)),
        Keyword::Include { ctx, .. } => format!("include {}", shown(ctx)),
        Keyword::Match(m) => format!("match {}", shown(m)),
        Keyword::Rename(n) => format!("rename {}", shown(n)),
        Keyword::Retval(v) => format!("retval {}", shown(v)),
        Keyword::Msleep(ms) => format!("msleep {ms}"),
        Keyword::Target(t) => format!("target {} (handled)", shown(t)),
    }
}

/// Most `dispatch` actions nested inside one another. Yate has no limit and a rule that
/// dispatches its own message overflows its stack; rexroute refuses the innermost one
/// with a warning (docs/differences.md).
pub const MAX_DISPATCH_DEPTH: u32 = 16;

/// Most `dispatch` actions run for one message, nested ones included: two lines that
/// each dispatch their own handler's message would otherwise make 2^16 calls within
/// the depth limit.
pub const MAX_DISPATCHES: u32 = 1024;

/// Longest value an assignment may give a parameter or a global. Yate has no limit,
/// and a value that takes itself twice (`hop=${hop}${hop}`), on each line or in each
/// nested `dispatch`, doubles every time: a few dozen doublings exhaust memory, and
/// sixteen nested dispatches copy megabytes a thousand times over. A longer value
/// is refused with a warning and the parameter keeps its value (docs/differences.md);
/// a SIP message, the longest text a call brings, is at most 64 KB, a quarter of it.
pub const MAX_VALUE: usize = 1 << 18;

/// The warning for a value longer than [`MAX_VALUE`].
#[cold]
fn too_long(what: &str, len: usize) -> String {
    format!("Refusing to set {what}: its value is {len} bytes, more than {MAX_VALUE}")
}

/// A parameter's or global's name as [`too_long`] names it.
fn quoted(name: &[u8]) -> String {
    format!("'{}'", String::from_utf8_lossy(name))
}

/// Most `goto`/`include` entries into a context for one message, those refused for
/// depth included: two lines that each include their own context and find nothing
/// would otherwise make 2^(maxdepth+1) of them, each refused one with a warning.
pub const MAX_ENTRIES: u32 = 1024;

/// Longest single `msleep`; Yate has none, but a typo must not hang a worker for days.
pub const MAX_SLEEP_MS: u64 = 60_000;

fn level_name(level: u8) -> &'static str {
    match level {
        0 | 1 => "TEST",
        2 => "GOON",
        3 => "CONF",
        4 => "STUB",
        5 => "WARN",
        6 => "MILD",
        7 => "NOTE",
        8 => "CALL",
        9 => "INFO",
        _ => "ALL",
    }
}
