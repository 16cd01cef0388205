// Readings: a stream the fn takes by value (`mut frames: R`, no borrow in its type) is the
// body's own, as a `let` of it is: when every other way out of the `select!` (another branch,
// the branch's own timeout) leaves the loop and nothing after the loop reads it, the half-read
// frame is dropped with the stream when the fn returns. A stream lent to the fn (`&mut R`, a
// `&mut self` field) outlives the call and its caller may read it again after the error, and
// a branch whose own timeout goes round again makes the read anew: both stay reported. A
// timeout's `Elapsed` propagated with `?` (`out.map_err(..)??`) leaves the loop too.
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::sync::CancellationToken;

async fn next_record<R: AsyncRead + Unpin>(src: &mut R, seen: &mut u64) -> std::io::Result<Record> {
    let mut len = [0u8; 8];
    src.read_exact(&mut len).await?;
    *seen += 1;
    decode(len)
}

async fn drain_owned<R: AsyncRead + Unpin>(
    mut src: R,
    stop: CancellationToken,
    until: tokio::time::Instant,
) -> Result<Summary, DrainError> {
    let mut seen = 0u64;
    let mut summary = Summary::default();
    loop {
        let record = tokio::select! {
            _ = stop.cancelled() => return Err(DrainError::Stopped),
            // ok: cancel and deadline both return, and `src` dies with this call
            out = tokio::time::timeout_at(until, next_record(&mut src, &mut seen)) => match out {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => return Err(DrainError::Io(e)),
                Err(_) => return Err(DrainError::Deadline),
            },
        };
        if summary.add(record) {
            return Ok(summary);
        }
    }
}

async fn drain_lent<R: AsyncRead + Unpin>(
    src: &mut R,
    stop: CancellationToken,
    until: tokio::time::Instant,
) -> Result<Summary, DrainError> {
    let mut seen = 0u64;
    let mut summary = Summary::default();
    loop {
        let record = tokio::select! {
            _ = stop.cancelled() => return Err(DrainError::Stopped),
            // the caller keeps `src` and may read the rest of the frame as a new one
            out = tokio::time::timeout_at(until, next_record(src, &mut seen)) => match out { //~ select_cancel_unsafe
                Ok(Ok(r)) => r,
                Ok(Err(e)) => return Err(DrainError::Io(e)),
                Err(_) => return Err(DrainError::Deadline),
            },
        };
        if summary.add(record) {
            return Ok(summary);
        }
    }
}

async fn drain_owned_retrying<R: AsyncRead + Unpin>(
    mut src: R,
    stop: CancellationToken,
) -> Result<Summary, DrainError> {
    let mut seen = 0u64;
    let mut summary = Summary::default();
    loop {
        let record = tokio::select! {
            _ = stop.cancelled() => return Err(DrainError::Stopped),
            // the time running out goes round and starts a new read of the same stream
            out = tokio::time::timeout(TICK, next_record(&mut src, &mut seen)) => match out { //~ select_cancel_unsafe
                Ok(Ok(r)) => r,
                Ok(Err(e)) => return Err(DrainError::Io(e)),
                Err(_) => continue,
            },
        };
        if summary.add(record) {
            return Ok(summary);
        }
    }
}

async fn pump_owned<R: AsyncRead + Unpin>(mut src: R, stop: CancellationToken) -> Result<(), DrainError> {
    let mut seen = 0u64;
    loop {
        tokio::select! {
            // ok: the elapsed timeout is propagated by `??`, the other branch breaks
            out = tokio::time::timeout(LEASE, next_record(&mut src, &mut seen)) => {
                let record = out.map_err(|_| DrainError::Deadline)??;
                deliver(record).await?;
            }
            _ = stop.cancelled() => break Ok(()),
        }
    }
}
