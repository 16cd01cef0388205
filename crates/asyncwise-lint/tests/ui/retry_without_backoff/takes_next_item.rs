// Readings: a loop whose iteration starts by taking the next item from a source that runs out
// (a directory listing's `next_entry`, an iterator's or a stream's `next`, a queue's `pop`),
// and leaves once none is left, moves on to new input when it goes round after a failure: it
// does not retry the failed call. The same for a `while` over a collection's emptiness whose
// body hands the collection `&mut` to a call that picks the candidate (nothing else can take
// items out of it). Only the call that hands out the item can be retried, and a loop that
// re-issues the same request on a failure still is one.
use std::collections::VecDeque;
use std::path::Path;

async fn sizes_let_else(path: &Path) -> std::io::Result<u64> {
    let mut dir = tokio::fs::read_dir(path).await?;
    let mut total = 0;
    loop {
        let Some(entry) = dir.next_entry().await? else { break };
        // ok: an entry deleted since the listing is skipped, the next one is read
        match entry.metadata().await {
            Ok(meta) => total += meta.len(),
            Err(_) => continue,
        }
    }
    Ok(total)
}

async fn first_file(path: &Path) -> std::io::Result<Option<std::fs::Metadata>> {
    let mut dir = tokio::fs::read_dir(path).await?;
    loop {
        let entry = match dir.next_entry().await? {
            Some(entry) => entry,
            None => return Ok(None),
        };
        // ok: a vanished entry is skipped
        match entry.metadata().await {
            Ok(meta) => return Ok(Some(meta)),
            Err(_) => continue,
        }
    }
}

async fn first_file_one_match(mut dir: tokio::fs::ReadDir) -> std::io::Result<Option<std::fs::Metadata>> {
    loop {
        match dir.next_entry().await {
            // ok: the failed entry is skipped, the listing moves on
            Ok(Some(entry)) => match entry.metadata().await {
                Ok(meta) => return Ok(Some(meta)),
                Err(_) => continue,
            },
            Ok(None) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

async fn failover_over_iterator(addrs: Vec<String>) -> Option<tokio::net::TcpStream> {
    let mut candidates = addrs.into_iter();
    loop {
        let addr = match candidates.next() {
            Some(addr) => addr,
            None => break None,
        };
        // ok: each address is tried once
        match tokio::net::TcpStream::connect(addr).await {
            Ok(stream) => break Some(stream),
            Err(_) => continue,
        }
    }
}

async fn failover_over_queue(mut mirrors: VecDeque<Mirror>) -> Result<Bytes, Error> {
    loop {
        let Some(mirror) = mirrors.pop_front() else {
            return Err(Error::AllMirrorsFailed);
        };
        // ok: the failed mirror is dropped, the next one is asked
        match mirror.download().await {
            Ok(body) => return Ok(body),
            Err(e) => tracing::warn!("mirror failed: {e}"),
        }
    }
}

async fn next_from_stream(mut peers: PeerStream) -> Option<Session> {
    loop {
        let Some(peer) = peers.next().await else { return None };
        // ok: the next discovered peer is tried
        if let Ok(session) = peer.handshake().await {
            return Some(session);
        }
    }
}

async fn variants_sampled(mut variants: Vec<Variant>, input: &Input) -> Result<Output, Error> {
    while !variants.is_empty() {
        let variant = sample(&mut variants)?;
        // ok: `sample` takes the chosen variant out, and the loop ends when none is left
        match variant.infer(input).await {
            Ok(out) => return Ok(out),
            Err(e) => tracing::warn!("variant failed: {e}"),
        }
    }
    Err(Error::AllVariantsFailed)
}

async fn same_copy_again(client: &Client, src: &str, dst: &str) -> Object {
    loop {
        match client.copy(src, dst).await { //~ retry_without_backoff
            Ok(object) => break object,
            Err(e) if e.is_temporary() => continue,
            Err(e) => panic!("copy failed: {e}"),
        }
    }
}

async fn next_entry_itself_retried(dir: &mut Listing) -> Option<Entry> {
    loop {
        // the listing's own call is the one retried: on a temporary error it is asked again
        match dir.next_entry().await { //~ retry_without_backoff
            Ok(Some(entry)) => return Some(entry),
            Ok(None) => return None,
            Err(e) if e.is_temporary() => continue,
            Err(_) => return None,
        }
    }
}

async fn item_fetched_before_the_loop(queue: &mut VecDeque<Job>, worker: &Worker) {
    let Some(job) = queue.pop_front() else { return };
    loop {
        // the item is taken once, before the loop: every round runs the same job again
        match worker.run(&job).await { //~ retry_without_backoff
            Ok(()) => break,
            Err(e) => tracing::warn!("job failed: {e}"),
        }
    }
}

async fn checked_but_not_drained(mut pending: Vec<Request>, client: &Client) {
    while !pending.is_empty() {
        // `pending` is only read here: nothing takes the request out, the same one is sent again
        match client.send(&pending[0]).await { //~ retry_without_backoff
            Ok(_) => break,
            Err(e) => tracing::warn!("send failed: {e}"),
        }
    }
}
