use crate::facts::Sink;
use crate::knowledge::{Knowledge, pacing, spawn};
use crate::levels::{Group, Level};
use std::collections::HashSet;

use crate::model::loops::{LoopAwait, LoopFact};
use crate::model::{Callee, FileModel};

crate::declare_rule! {
    /// ## What it does
    /// Finds accept loops that serve each connection inline: the loop's iteration awaits
    /// `.accept()` (tokio's, async-std's and smol's listeners, quinn's endpoints; or `next()` on
    /// an incoming-connections stream), then hands the accepted connection (or anything built
    /// from it with `let`) to a call it awaits in the same iteration, instead of spawning a task
    /// for it.
    /// Reported at the inline await of the call that serves the connection.
    ///
    /// Spawning (`tokio::spawn`, `async_std::task::spawn`, `smol::spawn`, a `JoinSet` or
    /// `TaskGroup`, also `spawn_wait(..).await`), calling a function of the same file that
    /// spawns, and handing the connection to a worker pool's queue (`tx.send(conn).await`) are
    /// not inline, also when the hand-off is raced against a deadline (`timeout(d,
    /// tx.send(conn)).await`, `tx.send(conn).timeout(d).await`): the deadline bounds the wait
    /// for room in the queue, and the receiver serves the connection. (On nine labelled sets
    /// that was the one finding of the rule labelled wrong: a QUIC listener handing each
    /// stream to a channel under a timeout.) A connection served under a deadline
    /// (`timeout(d, serve(conn)).await`) is still served inline. Awaits inside spawned async
    /// blocks belong to the task.
    ///
    /// A function of the same file spawns also when it hands an async block to an executor
    /// trait's `execute` (hyper's `rt::Executor`, which axum's serve loop and hyper-util
    /// implement with `tokio::spawn`) or futures' `spawn_ok`: awaiting it waits for what comes
    /// before the hand-off (a service's readiness), not for the connection. `execute` with no
    /// async block (a database's query) spawns nothing. On eighteen labelled field sets this
    /// was one default finding labelled wrong (axum's own serve loop).
    ///
    /// A connection handed to an `async fn` of the crate (any file, also the package's library
    /// called from its binary by the library's name) that has no await point of its own and
    /// calls no macro that may hide one is the pedantic form: awaiting it runs it to its end at
    /// once, and the loop goes straight back to `accept` (such a handler looks the peer up and
    /// spawns the work through a wrapper), but one `.await` added to it makes it a stall. On ten
    /// labelled field sets these were the rule's two default findings labelled wrong (a NAT
    /// proxy's `handle_accept`).
    ///
    /// A loop whose iteration spawns a task (`tokio::spawn`, `handle.spawn(..)`,
    /// `set.spawn(..)`) is never taken for a one-shot listener (below), whatever it leaves
    /// by: an HTTP/3 connection's request loop that awaits each request's headers inline,
    /// spawns the request, and stops at a client limit is a concurrent server stalled by one
    /// slow stream. On nine labelled field sets that moved one finding, a known miss labelled
    /// worth acting on, to the default form (default 4 of 4 worth acting on became 5 of 5);
    /// the pedantic findings labelled noise (tests, examples, one-shot OAuth listeners) spawn
    /// nothing and stay pedantic.
    ///
    /// ## Pedantic form
    /// One-shot listeners: the loop `break`s or `return`s after serving a connection (a local
    /// OAuth callback listener waiting for one redirect, a test server for one client), so
    /// serving one client at a time is the design. Not a loop whose iteration also spawns a
    /// task: it serves many clients at once, and its `break` is a shutdown or a limit.
    ///
    /// Write-only clients of a local listener: on a Unix-domain listener (tokio's, async-std's,
    /// smol's), every await that serves the connection only writes to it (`write_all`,
    /// `write`, `flush`, `shutdown`, in the loop or in an async fn of the same file whose every
    /// await is such a write) and nothing reads from it. Such a loop hands each local client a
    /// status or metrics snapshot it never has to ask for: a write finishes as soon as it fits
    /// in the socket buffer, so a small snapshot costs the loop nothing whatever the client
    /// does, and only a reply bigger than the buffer to a local process that stops reading can
    /// hold it. Write-only is not enough on its own: a TCP client may be remote, reads a reply
    /// bigger than the buffer at the pace of its link (a metrics page over a slow network),
    /// and a peer that connects and never reads is one anyone who reaches the port can be; the
    /// size of the reply is not known statically, so the local listener is what bounds the
    /// harm. A read of any kind (`read`, `read_line`, a framed codec's `next()`, an HTTP
    /// `serve_connection`, a TLS handshake), a copy loop (`tokio::io::copy`), any other await
    /// in the handler, a handler of another file, or a listener whose type the file does not
    /// show keeps the default form. On fifteen labelled field sets no finding changed; the
    /// pattern is the one a held-out set's labeller reported as noise (status snapshots served
    /// over local sockets).
    ///
    /// ## Why is this bad
    /// While one connection is served, the loop does not accept the next: clients queue in the
    /// listener's backlog, time out or are refused, and one slow or idle client (a TLS
    /// handshake that never finishes, a keep-alive connection) stops the whole server.
    ///
    /// ## Example
    /// ```rust,ignore
    /// loop {
    ///     let (socket, _) = listener.accept().await?;
    ///     handle(socket).await?;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// let mut connections = asyncwise::TaskGroup::bounded(1024);
    /// loop {
    ///     let (socket, _) = listener.accept().await?;
    ///     connections.spawn_wait("connection", handle(socket)).await?;
    /// }
    /// ```
    ///
    /// A local status socket that only writes a small snapshot may stay inline (the pedantic
    /// form); give its handler a read of the request, and it is a server like any other:
    /// ```rust,ignore
    /// let listener = tokio::net::UnixListener::bind(path)?;
    /// loop {
    ///     let (mut conn, _) = listener.accept().await?;
    ///     conn.write_all(stats.render().as_bytes()).await?; // pedantic: written at once
    /// }
    /// ```
    pub INLINE_ACCEPT_LOOP, "inline_accept_loop", Group::Perf, Level::Warn, check
}

/// `listener.accept().await`, `incoming.next().await`, `listener.incoming().next().await`.
fn accepts(a: &LoopAwait, knowledge: &Knowledge) -> bool {
    let name = a.call.name.as_str();
    if knowledge.is_accept_method(name) {
        return a.call.arg_count == 0 && a.call.receiver.is_some();
    }
    name == "next"
        && a.call
            .receiver
            .as_deref()
            .is_some_and(|r| knowledge.is_accept_stream(r) || r.ends_with(".incoming()"))
}

/// Names of this file's functions that spawn a task themselves (`handle_connection` awaiting a
/// service's readiness, then spawning the connection), also through an executor trait
/// (`executor.execute(async move { conn.await })`).
fn spawning_fns<'m>(model: &'m FileModel<'_>) -> HashSet<&'m str> {
    model
        .calls
        .iter()
        .filter(|c| match &c.callee {
            Callee::Path(p) => model.knowledge.is_spawn_fn(p),
            Callee::Method { name, .. } => {
                pacing::SPAWN_LIKE_METHODS.contains(&name.as_str())
                    || spawn::EXECUTOR_METHODS.contains(&name.as_str())
                        && !c.awaited
                        && hands_async_block(model, c.loc)
            }
            _ => false,
        })
        .filter_map(|c| model.fn_items.get(c.caller?))
        .filter_map(|f| f.path.rsplit("::").next())
        .collect()
}

/// An async block is among the call's arguments: the future an executor's `execute` runs.
fn hands_async_block(model: &FileModel<'_>, call: crate::model::Loc) -> bool {
    model
        .ir
        .bodies
        .iter()
        .any(|b| b.kind == crate::model::ir::BodyKind::AsyncBlock && call.encloses(b.loc))
}

/// Calls that pass the connection on rather than serve it. A hand-off raced against a deadline
/// (`timeout(d, tx.send(conn))`) is still a hand-off: the deadline bounds the wait for room in
/// the queue, the connection is served by whoever receives it.
fn hands_off(a: &LoopAwait, model: &FileModel<'_>, spawning: &HashSet<&str>) -> bool {
    let name = a.call.name.as_str();
    let raced = a.call.raced.as_deref();
    pacing::HANDOFF_METHODS.contains(&name)
        || raced.is_some_and(|r| {
            pacing::HANDOFF_METHODS.contains(&r) || pacing::SPAWN_LIKE_METHODS.contains(&r)
        })
        || pacing::SPAWN_LIKE_METHODS.contains(&name)
        || a.call
            .path
            .as_deref()
            .is_some_and(|p| model.knowledge.is_spawn_fn(p))
        || spawning.contains(name)
            && a.call
                .receiver
                .as_deref()
                .is_none_or(|r| r == "self" || r == "Self")
}

/// The awaits after `accept` in the same iteration that use the accepted connection (or a
/// name built from it by `let`) and do not hand it off, in order: the first one serves it inline.
fn served_by<'l>(
    l: &'l LoopFact,
    accept: &LoopAwait,
    model: &FileModel<'_>,
    spawning: &HashSet<&str>,
) -> Vec<&'l LoopAwait> {
    let mut tainted: Vec<&str> = accept.binds.iter().map(String::as_str).collect();
    if tainted.is_empty() {
        return Vec::new();
    }
    // Names built from the connection (`let framed = Framed::new(socket, codec)`), in order.
    let mut lets = l
        .lets
        .iter()
        .filter(|f| f.loc.start > accept.call.loc.start)
        .peekable();
    let mut served = Vec::new();
    for a in l
        .awaits
        .iter()
        .filter(|a| a.call.loc.start > accept.call.loc.end)
    {
        while let Some(f) = lets.next_if(|f| f.loc.start < a.call.loc.start) {
            if f.uses.iter().any(|u| tainted.contains(&u.as_str())) {
                tainted.extend(f.binds.iter().map(String::as_str));
            }
        }
        if a.uses.iter().any(|u| tainted.contains(&u.as_str())) && !hands_off(a, model, spawning) {
            served.push(a);
        }
    }
    served
}

/// The accept is of a listener whose clients are local processes (a Unix-domain socket), as
/// the file types its receiver.
fn local_listener(accept: &LoopAwait, model: &FileModel<'_>) -> bool {
    model.calls.iter().any(|c| {
        c.loc == accept.call.loc
            && matches!(&c.callee, Callee::Method { receiver, .. }
                if receiver.path().is_some_and(|ty| model.knowledge.is_local_listener(ty)))
    })
}

/// An async fn of this file, called by this name, whose every await is a write
/// (`out.write_all(..).await`, `out.flush().await`): it never waits for its client to send
/// anything. At least one await, no macro that may hide another, and one fn of that name.
fn writes_only_fn(name: &str, model: &FileModel<'_>) -> bool {
    let mut named = model.ir.bodies.iter().filter(|b| {
        b.kind == crate::model::ir::BodyKind::AsyncFn
            && b.fn_item
                .and_then(|i| model.fn_items.get(i))
                .is_some_and(|f| f.path.rsplit("::").next() == Some(name))
    });
    let (Some(body), None) = (named.next(), named.next()) else {
        return false;
    };
    !body.opaque_suspension
        && !body.awaits.is_empty()
        && body.awaits.iter().all(|&i| {
            model.ir.awaits.get(i).is_some_and(|a| {
                matches!(&a.awaited, crate::model::ir::Awaited::Call(c)
                    if c.receiver.is_some() && model.knowledge.is_write_only_method(&c.name))
            })
        })
}

/// Every await that serves the connection only writes to it: a write method called on it, or
/// an async fn of this file that only writes.
fn writes_only(served: &[&LoopAwait], model: &FileModel<'_>) -> bool {
    served.iter().all(|a| {
        let name = a.call.name.as_str();
        a.call.raced.is_none()
            && if a.call.receiver.is_some() {
                model.knowledge.is_write_only_method(name)
            } else {
                writes_only_fn(name, model)
            }
    })
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    let mut spawning = None;
    for l in &model.loops {
        let Some(accept) = l
            .awaits
            .iter()
            .find(|a| !a.nested && accepts(a, &model.knowledge))
        else {
            continue;
        };
        let spawning = spawning.get_or_insert_with(|| spawning_fns(model));
        let served = served_by(l, accept, model, spawning);
        let Some(&inline) = served.first() else {
            continue;
        };
        // A local client is sent a reply it never has to ask for: the writes finish as soon
        // as they fit in the socket buffer, whatever the client does.
        let writes_locally = local_listener(accept, model) && writes_only(&served, model);
        // A listener that stops once a connection delivered what it waits for (an OAuth
        // callback, a test server's one client) serves one client at a time by design.
        // A loop that spawns a task in its iteration serves many clients at once by design:
        // its leaving paths are a shutdown or a limit, not the end of a one-client session.
        let one_shot =
            l.spawns.is_empty() && l.leaves.iter().any(|at| at.start > inline.call.loc.start);
        let build = if one_shot || writes_locally {
            super::pedantic
        } else {
            super::diagnostic
        };
        let mut d = build(
            &INLINE_ACCEPT_LOOP,
            model,
            inline.call.loc,
            format!(
                "the accepted connection is served inline by `{}`: the loop accepts nothing else until it finishes",
                inline.call.name
            ),
            "spawn a task per connection into a bounded `asyncwise::TaskGroup` (`group.spawn_wait(\"conn\", serve(conn)).await?` waits for a free slot), or `tokio::spawn` it and bound the count with a `Semaphore`",
        );
        d.notes.push(super::note(
            model,
            accept.call.loc,
            "the connection is accepted here",
        ));
        if one_shot {
            d.notes.push(crate::diagnostic::Note::text(
                "pedantic: the loop stops after serving a connection (a one-shot listener)",
            ));
        } else if writes_locally {
            d.notes.push(crate::diagnostic::Note::text(
                "pedantic: the loop only writes a reply to each client of a local (Unix-domain) listener and never reads from it; a reply that fits in the socket buffer is written at once",
            ));
        }
        // Served by a crate fn that never suspends: it returns at once, nothing is served
        // inline (it may spawn the work); the crate pass decides.
        match super::suspension(model, &[inline.call.loc]) {
            None => sink.diagnostics.push(d),
            Some(requires) => sink.deferred.push(crate::facts::Deferred {
                diagnostic: d,
                requires,
            }),
        }
    }
}
