use crate::facts::Sink;
use crate::knowledge::awaits;
use crate::levels::{Group, Level};
use crate::model::ir::{CallSite, StmtKind, places_overlap};
use crate::model::{Callee, FileModel, Loc};

crate::declare_rule! {
    /// ## What it does
    /// Finds independent awaits run one after the other: two or more consecutive `let`
    /// statements of one block that each await a call, where no later call uses a binding an
    /// earlier one produced, shares a receiver or a `&mut` argument with it, or is a timer, an
    /// event wait, a lock, a transaction step or a check that gates the rest; and `for` loops
    /// over a collection whose body awaits one call per item that depends only on the item.
    /// Reported at the first statement of the run; in the loop form, at the awaited call in the
    /// loop's body.
    ///
    /// ## Why is this bad
    /// Each await waits for the previous one to finish although neither needs the other: the
    /// body takes the sum of the latencies instead of the longest. Two 50 ms queries cost
    /// 100 ms; a loop over 20 items costs 20 round trips.
    ///
    /// The rule is conservative: statements whose result is dropped (`conn.write(..).await?;`)
    /// are done for their effect and may be ordered on purpose, so only `let` statements form a
    /// run; calls on the same receiver (`self.db`, `conn`), on `self` itself, with a `&mut`
    /// argument, or awaiting a lock, a permit, a transaction, a send, a flush or a connect end
    /// a run, and so does a connection checked out of a pool (`db.get()`, `pool.acquire()`),
    /// which comes before the work that uses it; code of a migration (a file, module or
    /// function named for one: `migrations/`, `sql_migrations.rs`, `migrate_secrets`), which
    /// runs once and in order, is left out; awaits inside `join!`/`select!` and timers
    /// (`sleep`, `interval.tick()`, `timeout`, `yield_now`) never count. Names are not aliases:
    /// two different receivers that share a connection are not seen. A field the file types as
    /// a connection pool (`db: PgPool`) is no shared connection: each query checks out its own.
    /// An awaited call whose error is changed on its way to `?` (`.await.map_err(internal)?`,
    /// `.await.context(..)?`) is still the statement's value.
    ///
    /// In the loop form, the call may be a method of the item or of a receiver shared by every
    /// iteration (`self.prober.measure(region)` in a `&self` method), but not of one that may
    /// be borrowed mutably (rooted in a `let mut`, `mut` or `&mut` binding, `&mut self`: a gRPC
    /// client takes `&mut self`) or that is named like a connection (`conn`, `session`,
    /// `stream`, ...), where the requests go one after the other anyway, and not when the call
    /// puts something out through that shared receiver (a send, publish, enqueue or write:
    /// `self.pusher.queue(path)`, `client.publish(..)`, `sock.send_to(..)`) or changes a schema
    /// through it (`manager.alter_table(..)`): those are one ordered stream of steps. The same
    /// send on the item itself (`notifier.send_message(..)` over a list of notifiers) counts,
    /// and so does a request built from the item and sent (`self.http.head(&url).send()`:
    /// `send()` with no argument ends a builder chain, it is no output through the client), and a
    /// `send` on the item itself (`for tx in subscribers { tx.send(msg.clone()).await }`: one
    /// subscriber's full queue holds up all the others). Besides the call, the iteration may
    /// collect the result, report progress, or run a synchronous step on the item alone
    /// (`validate(&job);`).
    /// The call may be the statement's value or be examined in place by an `if let`, `if` or
    /// `match` (`if let Err(e) = probe(host).await { warn!(..) }`) whose branches only log or
    /// collect: a branch that breaks, continues, returns, uses `?` or assigns to outer state
    /// makes the order of the items matter, and the loop is not reported.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn profile(db: &Db, api: &Api, id: u64) -> Result<Profile> {
    ///     let user = db.user(id).await?;
    ///     let posts = api.posts(id).await?;
    ///     Ok(Profile { user, posts })
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn profile(db: &Db, api: &Api, id: u64) -> Result<Profile> {
    ///     let (user, posts) = tokio::try_join!(db.user(id), api.posts(id))?;
    ///     Ok(Profile { user, posts })
    /// }
    /// ```
    /// For a loop, `futures::future::join_all(items.iter().map(fetch))`, an
    /// `asyncwise::TaskGroup` or `JoinSet`, or `stream::iter(items).map(fetch).buffer_unordered(n)`
    /// to bound how many run at once.
    pub SEQUENTIAL_AWAIT, "sequential_await", Group::Pedantic, Level::Allow, check
}

/// One statement of a candidate run.
struct Step<'a> {
    stmt: usize,
    call: &'a CallSite,
    tried: bool,
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    let ir = &model.ir;
    for block in 0..ir.blocks.len() {
        let mut run: Vec<Step<'_>> = Vec::new();
        for (sid, _) in ir.stmts_of(block) {
            match candidate(model, sid) {
                Some(step) => {
                    if run.iter().any(|earlier| dependent(model, earlier, &step)) {
                        report_run(model, &run, sink);
                        run.clear();
                    }
                    run.push(step);
                }
                None => {
                    report_run(model, &run, sink);
                    run.clear();
                }
            }
        }
        report_run(model, &run, sink);
    }
    for f in &ir.for_loops {
        check_for_loop(model, f, sink);
    }
}

/// A `let` statement whose whole value is one awaited call that could run concurrently with
/// others: not a timer, an event wait, an ordering operation or a gate.
fn candidate<'a>(model: &'a FileModel<'_>, sid: usize) -> Option<Step<'a>> {
    let ir = &model.ir;
    let stmt = &ir.stmts[sid];
    if stmt.kind != StmtKind::Let || stmt.in_macro.is_some() || stmt.awaits.len() != 1 {
        return None;
    }
    let (_, binds) = stmt.pat?;
    let (w, tried) = stmt.direct_await?;
    // `let _ = ..` and `let _unused = ..` keep nothing: done for the effect.
    if !binds || stmt.defines.iter().all(|d| d.starts_with('_')) {
        return None;
    }
    let call = ir.call_of(w)?;
    // Start-up code runs once: its latency is not worth restructuring.
    if !concurrent_kind(call)
        || startup(model, call)
        || pool_checkout(model, call)
        || in_migration(model, call.loc)
    {
        return None;
    }
    Some(Step {
        stmt: sid,
        call,
        tried,
    })
}

/// `db.get()`, `self.pool.acquire()`: a connection checked out of a pool, like a permit,
/// comes before the work that uses it (zero arguments, on a receiver named like a pool or a
/// connection, or a field this file types as a pool: `self.primary.get()` with
/// `primary: Arc<Pool>`).
fn pool_checkout(model: &FileModel<'_>, call: &CallSite) -> bool {
    let Some(receiver) = call.receiver.as_deref() else {
        return false;
    };
    let last = receiver.rsplit('.').next().unwrap_or(receiver);
    awaits::CHECKOUT_METHODS.contains(&call.name.as_str())
        && text(model, call.loc).ends_with("()")
        && (connection_like(receiver)
            || last
                .to_ascii_lowercase()
                .split('_')
                .any(|w| awaits::POOL_WORDS.contains(&w))
            || pool_typed(model, receiver, call.loc))
}

/// A method that puts something out in order through its receiver (a send, a publish, an
/// enqueue, a write) or changes a schema (`alter_table`, `drop_column`): repeated on one
/// shared receiver, these are one ordered stream of steps, not independent work.
fn ordered_step(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let mut words = lower.split('_');
    let first = words.next().unwrap_or("");
    awaits::ORDERED_OUTPUT_WORDS.contains(&first)
        || (awaits::DDL_VERBS.contains(&first) && words.any(|w| awaits::DDL_OBJECTS.contains(&w)))
}

/// Whether the call is part of a migration: a file or module named for one
/// (`src/migration/inserts.rs`, `sql_migrations.rs`, `m2023_add_column` in `mod migrations`)
/// or a function named for one (`migrate_secrets`). A migration runs once, in order, often on
/// one connection: its awaits are neither worth overlapping nor free to reorder. Directories
/// above the crate's module tree are not looked at: a run from the workspace root and one
/// from inside the package must agree (a package directory named `etl-migrate` was once enough
/// to silence it from the root only).
fn in_migration(model: &FileModel<'_>, at: Loc) -> bool {
    let named = |s: &str| s.to_ascii_lowercase().contains("migrat");
    model
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(named)
        || model
            .innermost_fn(at)
            .is_some_and(|f| model.fn_items[f].path.split("::").any(named))
}

/// Whether the model saw the call made once at start-up (`main`, a set-up fn, outside loops).
fn startup(model: &FileModel<'_>, call: &CallSite) -> bool {
    model.calls.iter().any(|c| c.loc == call.loc && c.startup)
}

/// Whether the call does work that may overlap with other work: not a timer, an event wait,
/// a lock or other ordering step, not a gate, not a method on `self` itself.
fn concurrent_kind(call: &CallSite) -> bool {
    concurrent_kind_with_gates(call, true)
}

/// [`concurrent_kind`], where a check (`check_one(b)`, `verify(item)`) counts as a gate only
/// when `gates_matter`: in a run of statements a check comes before what it guards, while in
/// the loop form each item's check guards only that item, so the items' order does not matter
/// (a result that leaves the loop early is ruled out separately).
fn concurrent_kind_with_gates(call: &CallSite, gates_matter: bool) -> bool {
    let name = call.name.as_str();
    if let Callee::Path(p) = &call.callee
        && awaits::TIMER_FNS.contains(&p.as_str())
    {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let words = || lower.split('_');
    !(awaits::TIMER_NAMES.contains(&name)
        || words().any(|w| awaits::SETUP_WORDS.contains(&w))
        || awaits::EVENT_WAITS.contains(&name)
        || awaits::ORDERING.contains(&name)
        || gates_matter && awaits::GATE_WORDS.iter().any(|w| lower.contains(w))
        || call.receiver.as_deref() == Some("self"))
}

/// Whether `later` may depend on `earlier`: it uses a binding `earlier` made, they share a
/// receiver place, or one borrows `&mut` a place the other mentions.
fn dependent(model: &FileModel<'_>, earlier: &Step<'_>, later: &Step<'_>) -> bool {
    let ir = &model.ir;
    let defines = &ir.stmts[earlier.stmt].defines;
    if later
        .call
        .uses
        .iter()
        .any(|u| defines.iter().any(|d| places_overlap(d, u)))
    {
        return true;
    }
    let overlaps_any = |place: &str, uses: &[String]| uses.iter().any(|u| places_overlap(place, u));
    let (a, b) = (earlier.call, later.call);
    // The same connection, transaction or store handed to both; a pool hands each its own
    // connection.
    a.uses
        .iter()
        .any(|u| connection_like(u) && !pool_typed(model, u, a.loc) && overlaps_any(u, &b.uses))
        || a.receiver
            .as_deref()
            .is_some_and(|r| overlaps_any(r, &b.uses))
        || b.receiver
            .as_deref()
            .is_some_and(|r| overlaps_any(r, &a.uses))
        || a.mut_args.iter().any(|m| overlaps_any(m, &b.uses))
        || b.mut_args.iter().any(|m| overlaps_any(m, &a.uses))
        || writes_then_reads(model, a, b)
}

/// A write and a later read of the same key (`cache.set(&key, v)` then `cache.get(&key)`,
/// `store::put(k, v)` then `store::get(k)`): the read sees what the write left, so the two are
/// ordered by the side effect even on two handles of one client. The key is an argument both
/// calls pass, as written.
fn writes_then_reads(model: &FileModel<'_>, write: &CallSite, read: &CallSite) -> bool {
    let first_word = |name: &str| {
        name.to_ascii_lowercase()
            .split('_')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    if !awaits::WRITE_VERBS.contains(&first_word(&write.name).as_str())
        || !awaits::READ_VERBS.contains(&first_word(&read.name).as_str())
    {
        return false;
    }
    let written = call_arguments(&text(model, write.loc));
    call_arguments(&text(model, read.loc))
        .iter()
        .any(|key| written.contains(key))
}

/// The arguments of the call whose text ends with its argument list (`client.set(&key, v)`),
/// as written with `&` and spaces removed: `["key", "v"]`.
fn call_arguments(call: &str) -> Vec<String> {
    let Some(inner) = call.strip_suffix(')') else {
        return Vec::new();
    };
    // The `(` that opens the last argument list: walk back over nested brackets.
    let mut depth = 0usize;
    let mut open = None;
    for (i, c) in inner.char_indices().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' | '{' if depth > 0 => depth -= 1,
            '(' => {
                open = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(open) = open else {
        return Vec::new();
    };
    let mut args = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in inner[open + 1..].chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                args.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    args.push(current);
    args.into_iter()
        .map(|a| {
            a.chars()
                .filter(|c| !c.is_whitespace() && *c != '&')
                .collect::<String>()
        })
        .filter(|a| !a.is_empty())
        .collect()
}

fn report_run(model: &FileModel<'_>, run: &[Step<'_>], sink: &mut Sink) {
    if run.len() < 2 {
        return;
    }
    let ir = &model.ir;
    let pats: Vec<String> = run
        .iter()
        .map(|s| {
            ir.stmts[s.stmt]
                .pat
                .map_or_else(|| "_".into(), |(loc, _)| text(model, loc))
        })
        .collect();
    let calls: Vec<String> = run.iter().map(|s| text(model, s.call.loc)).collect();
    let all_tried = run.iter().all(|s| s.tried);
    let (mac, tail) = if all_tried {
        ("tokio::try_join!", "?")
    } else {
        ("tokio::join!", "")
    };
    let rewrite = format!(
        "let ({}) = {mac}({}){tail};",
        pats.join(", "),
        calls.join(", ")
    );
    let names: Vec<String> = run.iter().map(|s| format!("`{}`", s.call.name)).collect();
    let first = ir.stmts[run[0].stmt].loc;
    let mut d = super::diagnostic(
        &SEQUENTIAL_AWAIT,
        model,
        first,
        format!(
            "{} independent awaits run one after the other ({})",
            run.len(),
            names.join(", ")
        ),
        &format!("none of them needs another's result: run them concurrently with `{rewrite}`"),
    );
    for s in &run[1..] {
        d.notes.push(super::note(
            model,
            s.call.loc,
            "does not use anything the awaits before it produce",
        ));
    }
    sink.diagnostics.push(d);
}

/// `for item in items { let r = fetch(item).await?; out.push(r); }`.
fn check_for_loop(model: &FileModel<'_>, f: &crate::model::ir::ForLoop, sink: &mut Sink) {
    let ir = &model.ir;
    if f.body == usize::MAX || f.bindings.is_empty() {
        return;
    }
    if let Some(s) = f.stmt
        && ir.stmts[s].in_macro.is_some()
    {
        return;
    }
    let stmts: Vec<_> = ir.stmts_of(f.body).collect();
    let awaiting: Vec<_> = stmts.iter().filter(|(_, s)| !s.awaits.is_empty()).collect();
    let [(sid, stmt)] = awaiting.as_slice() else {
        return;
    };
    if stmt.awaits.len() != 1
        || !matches!(stmt.kind, StmtKind::Let | StmtKind::Semi | StmtKind::Tail)
    {
        return;
    }
    // The call is the statement's value (`let r = fetch(item).await?;`), or examined in place
    // by branches that stay in the iteration (`if let Err(e) = probe(item).await { warn!(..) }`):
    // a branch that breaks, continues, returns or assigns makes the items' order matter.
    let w = match (stmt.direct_await, stmt.examined_await) {
        (Some((w, _)), _) => w,
        (None, Some(examined)) if examined.branches_stay => examined.await_id,
        _ => return,
    };
    let Some(call) = ir.call_of(w) else { return };
    if in_migration(model, call.loc) || order_matters(model, f, call) {
        return;
    }
    let request = request_sent(model, call);
    let is_item = |p: &str| f.bindings.iter().any(|b| places_overlap(b, p));
    // A send on the item itself goes to a different channel or peer each iteration (a
    // broadcast to subscribers): one full queue holds up all the others for nothing.
    let item_send = call.name == "send" && call.receiver.as_deref().is_some_and(is_item);
    if !(concurrent_kind_with_gates(call, false) || request || item_send)
        || !call.mut_args.is_empty()
    {
        return;
    }
    // One call per item, depending on the item. A receiver other than the item is shared by
    // every iteration: fine when it is a shared client (`self.prober.measure(region)`), not
    // when it may be borrowed mutably (rooted in a `let mut`, `mut` or `&mut` binding) or
    // looks like a connection, whose requests go one after the other anyway.
    let mut_bindings = &ir.bodies[ir.blocks[f.body].body].mut_bindings;
    let shared_mutably = |r: &str| {
        let root = r.split('.').next().unwrap_or(r);
        mut_bindings.iter().any(|m| m == root) || connection_like(r)
    };
    // A send, publish, write or schema step on a receiver every iteration shares is ordered
    // output through that one sender, client, socket or schema manager.
    let shared = |r: &str| !is_item(r);
    if !call.uses.iter().any(|u| is_item(u))
        || call.receiver.as_deref().is_some_and(|r| {
            shared(r) && (shared_mutably(r) || (!request && ordered_step(&call.name)))
        })
        || call.uses.iter().any(|u| !is_item(u) && connection_like(u))
    {
        return;
    }
    // Nothing else is carried from one iteration to the next but collected results and a
    // progress report (a print or log line, a counter it shows) the call does not read.
    let result = &stmt.defines;
    if stmts.iter().any(|(other, _)| {
        other != sid
            && !collects(model, *other, result)
            && !reports_progress(model, *other, call)
            && !item_step(model, *other, &is_item)
            && !reports_on(model, *other, result, &is_item)
    }) {
        return;
    }
    let what = text(model, call.loc);
    let mut d = super::diagnostic(
        &SEQUENTIAL_AWAIT,
        model,
        call.loc,
        format!(
            "`{}` is awaited once per item, one item after the other",
            call.name
        ),
        &format!(
            "the iterations do not depend on each other: run `{what}` for every item concurrently with `futures::future::join_all`, an `asyncwise::TaskGroup` or `JoinSet`, or `futures::stream::iter(..).map(..).buffer_unordered(n)` to bound how many run at once"
        ),
    );
    d.notes.push(super::note(
        model,
        Loc {
            start: f.loc.start,
            end: f.loc.start,
        },
        "the loop waits for each call before starting the next",
    ));
    sink.diagnostics.push(d);
}

/// Whether the code shows that the loop's items must be handled in their order, one at a
/// time: the iterated expression is reversed (`for dir in dirs.iter().rev()`, deepest first)
/// or the collection it iterates was sorted or reversed earlier in the body
/// (`dirs.sort_by_key(..)`: ordered on purpose, as directories removed children first), or
/// the iteration measures time (`Instant::now()` or `.elapsed()` in the loop, or both in the
/// body of the awaited fn of this file: a benchmark sweep whose runs must not overlap).
fn order_matters(model: &FileModel<'_>, f: &crate::model::ir::ForLoop, call: &CallSite) -> bool {
    let ir = &model.ir;
    let source = text(model, f.loc);
    let header = source.split('{').next().unwrap_or_default();
    if header.contains(".rev()") {
        return true;
    }
    let body = ir.blocks[f.body].body;
    let ordered_before = ir.stmts.iter().any(|s| {
        ir.blocks[s.block].body == body && s.loc.end <= f.loc.start && {
            let stmt = text(model, s.loc);
            f.iter_uses.iter().any(|p| {
                awaits::ORDERING_METHODS.iter().any(|m| {
                    let call = format!("{p}.{m}");
                    // `dirs.sort()`, not `subdirs.sort()`: the place starts at a word boundary.
                    stmt.match_indices(&call).any(|(at, _)| {
                        !stmt[..at]
                            .chars()
                            .next_back()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    })
                })
            })
        }
    });
    let measures = |code: &str| awaits::TIME_MEASURES.iter().any(|m| code.contains(m));
    ordered_before
        || measures(&source)
        || model
            .fn_items
            .iter()
            .filter(|item| item.is_async)
            .any(|item| {
                let called = match &call.callee {
                    Callee::Path(path) => item.path == *path,
                    _ => {
                        item.self_ty.is_some()
                            && item.path.rsplit("::").next() == Some(call.name.as_str())
                    }
                };
                // Both taking the time and reading what has passed since: a clock read alone
                // is as likely an expiry check (`let now = Instant::now();` with deadlines).
                called && {
                    let body = text(model, item.body);
                    awaits::TIME_MEASURES.iter().all(|m| body.contains(m))
                }
            })
}

/// A request built in the iteration and sent (`self.client.get(&url).send()`, reqwest's and
/// similar builders): `send()` with no argument at the end of a chain of builder calls, not
/// on the shared place itself. A channel's or socket's `send` takes the value it sends and
/// stays an ordering step.
fn request_sent(model: &FileModel<'_>, call: &CallSite) -> bool {
    let text = text(model, call.loc);
    call.name == "send"
        && matches!(call.callee, Callee::Method { .. })
        && text.ends_with(").send()")
}

/// Whether a place (`self.db`, `&state.db`) names a field that the `impl`'s own type (for
/// `self.`), or else every struct of this file declaring a field of that name, types as a
/// connection pool (`PgPool`, `sqlx::Pool<..>`,
/// `deadpool_postgres::Pool`): a pool runs each caller's query on a connection of its own, so
/// two awaits handed the same pool do not wait for each other.
fn pool_typed(model: &FileModel<'_>, place: &str, at: Loc) -> bool {
    let place = place.trim_start_matches(['&', '*']);
    let Some((base, field)) = place.rsplit_once('.') else {
        return false;
    };
    // `self.db` in a method: the field of the `impl`'s own type.
    let owner = (base == "self")
        .then(|| model.innermost_fn(at))
        .flatten()
        .and_then(|f| model.fn_items[f].self_ty.as_deref())
        .map(|ty| ty.rsplit("::").next().unwrap_or(ty));
    let mut declared = model
        .fields
        .iter()
        .filter(|f| f.field == field && owner.is_none_or(|o| f.owner == o))
        .peekable();
    declared.peek().is_some()
        && declared.all(|f| {
            let last = f.ty.rsplit("::").next().unwrap_or(&f.ty);
            last.ends_with(awaits::POOL_TYPE_SUFFIX)
        })
}

/// A place named like a connection, a transaction or a store (`conn`, `self.db`, `db_conn`).
fn connection_like(place: &str) -> bool {
    let last = place
        .rsplit('.')
        .next()
        .unwrap_or(place)
        .to_ascii_lowercase();
    last.split('_')
        .any(|w| awaits::CONNECTION_WORDS.contains(&w))
}

/// `out.push(r)` (or `insert`/`extend`) with the iteration's result: collecting, not state.
fn collects(model: &FileModel<'_>, sid: usize, result: &[String]) -> bool {
    let stmt = &model.ir.stmts[sid];
    if stmt.kind != StmtKind::Semi || !stmt.defines.is_empty() {
        return false;
    }
    let src = text(model, stmt.loc);
    let Some((_, rest)) = src.split_once('.') else {
        return false;
    };
    let method: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    awaits::COLLECT_METHODS.contains(&method.as_str())
        && (result.is_empty() || result.iter().any(|r| stmt.uses.contains(r)))
}

/// A progress report of an iteration: a print or log macro statement (`println!("Load {url}
/// [{index}/{total}]")`), or a counter bumped by a constant (`index += 1;`) that the awaited
/// call does not read. Running the items concurrently changes only the order of such lines.
fn reports_progress(model: &FileModel<'_>, sid: usize, call: &CallSite) -> bool {
    let stmt = &model.ir.stmts[sid];
    if !stmt.defines.is_empty() || !stmt.awaits.is_empty() {
        return false;
    }
    let src = text(model, stmt.loc);
    if let Some((name, _)) = src.split_once('!') {
        let last = name.rsplit("::").next().unwrap_or(name).trim();
        return stmt.kind != StmtKind::Let && awaits::PROGRESS_MACROS.contains(&last);
    }
    let Some((counter, step)) = src.trim_end_matches(';').split_once("+=") else {
        return false;
    };
    let counter = counter.trim();
    !counter.is_empty()
        && counter.chars().all(|c| c.is_alphanumeric() || c == '_')
        && step.trim().chars().all(|c| c.is_ascii_digit())
        && !step.trim().is_empty()
        && !call.uses.iter().any(|u| places_overlap(u, counter))
}

/// A synchronous step on the item alone (`validate(&job)`, `store::pause(job.id);`): an
/// expression statement that awaits nothing, binds nothing and mentions no place but the
/// item's and constants'. It runs for each item whatever the order, so it carries no state
/// from one iteration to the next.
fn item_step(model: &FileModel<'_>, sid: usize, is_item: &dyn Fn(&str) -> bool) -> bool {
    let stmt = &model.ir.stmts[sid];
    stmt.kind == StmtKind::Semi
        && stmt.awaits.is_empty()
        && stmt.defines.is_empty()
        && !stmt.uses.is_empty()
        && stmt
            .uses
            .iter()
            .all(|u| is_item(u) || u.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
}

/// An `if` after the call that only prints or logs, its condition on the call's result, the
/// item and constants (`let up = probe(b).await; if !up { warn!(..) }`): a report, no state carried.
fn reports_on(
    model: &FileModel<'_>,
    sid: usize,
    result: &[String],
    is_item: &dyn Fn(&str) -> bool,
) -> bool {
    // What the branches print is read, never changed; the condition decides nothing but
    // whether to print.
    model.ir.stmts[sid]
        .reports_only
        .as_ref()
        .is_some_and(|read| {
            read.iter().all(|u| {
                is_item(u)
                    || result.iter().any(|r| places_overlap(r, u))
                    || u.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            })
        })
}

/// The source text at `loc`, on one line.
fn text(model: &FileModel<'_>, loc: Loc) -> String {
    let span = model.span(loc);
    model
        .source
        .get(span.byte_start..span.byte_end)
        .unwrap_or("..")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
