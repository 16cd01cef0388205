// Readings: a `?` or `return` between entering and leaving the state leaves it entered on every
// error, whether or not the future is ever cancelled; the finding is at the early exit.

async fn on_message(stats: &Stats, hooks: &Hooks, msg: Message) -> Result<Reply, Error> {
    stats.in_flight.inc();
    let reply = hooks.on_message(msg).await?; //~ cleanup_after_await
    stats.in_flight.dec();
    Ok(reply)
}

async fn early_return(stats: &Stats, req: Request) -> Option<Reply> {
    stats.in_flight.fetch_add(1, Ordering::Relaxed);
    if req.is_empty() {
        return None; //~ cleanup_after_await
    }
    let reply = serve(req).await;
    stats.in_flight.fetch_sub(1, Ordering::Relaxed);
    Some(reply)
}

// Synchronous early exit, no await at all: still left entered on the error path.
async fn sync_try(stats: &Stats, raw: &str) -> Result<u32, Error> {
    stats.parsing.inc();
    let value = parse(raw)?; //~ cleanup_after_await
    stats.parsing.dec();
    Ok(value)
}

// Not reported: the error path leaves the state before returning.
async fn left_before_return(stats: &Stats, req: Request) -> Result<Reply, Error> {
    stats.in_flight.inc();
    let reply = match serve_checked(req) {
        Ok(reply) => reply,
        Err(e) => {
            stats.in_flight.dec();
            return Err(e);
        }
    };
    stats.in_flight.dec();
    Ok(reply)
}

// Not reported: the `?` comes after the state is left.
async fn try_after_leaving(stats: &Stats, req: Request) -> Result<Reply, Error> {
    stats.in_flight.inc();
    let reply = serve_checked(req);
    stats.in_flight.dec();
    let reply = reply?;
    Ok(reply)
}

// Not reported: the `?` is inside a closure, which does not leave this body.
async fn try_in_closure(stats: &Stats, raws: Vec<String>) -> Vec<u32> {
    stats.parsing.inc();
    let values = raws.iter().filter_map(|r| Some(parse(r).ok()?)).collect();
    stats.parsing.dec();
    values
}
