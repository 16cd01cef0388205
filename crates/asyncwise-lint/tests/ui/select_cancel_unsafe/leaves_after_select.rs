// Readings: a `select!` whose iteration always leaves the loop once it is done (the statement
// holding it is a `return`, or is followed in its block by a `return` or `break`) runs at most
// once per loop: a dropped future is never made again, as in a `select!` outside any loop.
// A leave that only some paths take (inside an `if`), or one that comes only from a nested
// block the `select!` is not in, does not count; nor does a `break` of an inner loop, nor one
// that a `continue` on the way (in a handler, or in a statement between) can skip.
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

// Evict until a slot is free, then wait for one once: the wait ends the function.
async fn reserve(slots: Arc<Semaphore>, cancel: CancellationToken, queue: &mut Vec<u32>) -> Option<OwnedSemaphorePermit> {
    loop {
        if let Ok(permit) = slots.clone().try_acquire_owned() {
            return Some(permit);
        }
        queue.pop()?;
        let permit = tokio::select! {
            _ = cancel.cancelled() => return None,
            permit = slots.clone().acquire_owned() => permit.ok()?, // ok: the loop returns right after
        };
        return Some(permit);
    }
}

// The `select!` is the returned value itself.
async fn first_header(conn: &mut tokio::net::TcpStream, cancel: CancellationToken, tries: &mut u32) -> Option<u32> {
    loop {
        *tries += 1;
        if *tries > 3 {
            continue;
        }
        return tokio::select! {
            _ = cancel.cancelled() => None,
            v = conn.read_u32() => v.ok(), // ok: returned, the loop does not go round
        };
    }
}

// `break` after the `select!` ends the only loop.
async fn one_read(conn: &mut tokio::net::TcpStream, cancel: CancellationToken) -> u32 {
    let mut out = 0;
    while out == 0 {
        tokio::select! {
            _ = cancel.cancelled() => {}
            v = conn.read_u32() => out = v.unwrap_or(1), // ok: `break` follows
        }
        break;
    }
    out
}

// Only some iterations leave: the read is made again.
async fn maybe_leave(conn: &mut tokio::net::TcpStream, cancel: CancellationToken) -> u32 {
    loop {
        let v = tokio::select! {
            _ = cancel.cancelled() => 0,
            v = conn.read_u32() => v.unwrap_or(0), //~ select_cancel_unsafe
        };
        if v > 0 {
            return v;
        }
    }
}

// The `break` belongs to an inner loop: the outer loop makes the read again.
async fn inner_break(conn: &mut tokio::net::TcpStream, cancel: CancellationToken, log: &mut Vec<u32>) {
    loop {
        let v = tokio::select! {
            _ = cancel.cancelled() => 0,
            v = conn.read_u32() => v.unwrap_or(0), //~ select_cancel_unsafe
        };
        loop {
            log.push(v);
            break;
        }
    }
}

// The leave is in a nested block after the `select!`'s own block ends: the `select!` sits in
// an inner block that the iteration leaves normally.
async fn leave_elsewhere(conn: &mut tokio::net::TcpStream, cancel: CancellationToken, flag: bool) -> u32 {
    loop {
        {
            tokio::select! {
                _ = cancel.cancelled() => {}
                v = conn.read_u32() => { let _ = v; } //~ select_cancel_unsafe
            }
        }
        if flag {
            return 1;
        }
    }
}

// A handler that goes round again: the `select!` runs again after a tick wins.
async fn continue_in_handler(conn: &mut tokio::net::TcpStream, tick: &mut tokio::time::Interval) -> u32 {
    let v;
    loop {
        tokio::select! {
            r = conn.read_u32() => { v = r.unwrap_or(0); } //~ select_cancel_unsafe
            _ = tick.tick() => { continue; }
        }
        break;
    }
    v
}

// A `continue` between the `select!` and the `break`.
async fn continue_before_break(conn: &mut tokio::net::TcpStream, cancel: CancellationToken, retry: bool) -> u32 {
    loop {
        let v = tokio::select! {
            _ = cancel.cancelled() => 0,
            v = conn.read_u32() => v.unwrap_or(0), //~ select_cancel_unsafe
        };
        if retry && v == 0 {
            continue;
        }
        break v;
    }
}
