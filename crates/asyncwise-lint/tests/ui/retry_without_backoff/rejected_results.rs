// Readings: when a guarded `Ok` arm leaves the loop (`Ok(r) if r.status().is_success() =>
// break`), the loop leaves on an accepted result only, and a later `Ok` arm that only reports
// the rejected result (a log or print line, perhaps `continue`) goes round as a failure does:
// the request is sent again at once. An `Ok` arm that does anything else with the value, or
// skips it without a word (a read loop scanning for a header), is processing, not a retry.
async fn post_until_accepted(client: &Client, body: Vec<u8>) {
    loop {
        match client.post(URL).body(body.clone()).send().await { //~ retry_without_backoff
            Ok(resp) if resp.status().is_success() => break,
            Ok(resp) => eprintln!("ingest refused: {}", resp.status()),
            Err(e) => eprintln!("ingest unreachable: {e}"),
        }
    }
}

async fn push_until_stored(client: &Client, doc: Doc) -> Receipt {
    loop {
        match client.store(&doc).await { //~ retry_without_backoff
            Ok(receipt) if receipt.durable => break receipt,
            Ok(receipt) => {
                tracing::warn!(?receipt, "not durable yet");
                continue;
            }
            Err(e) => tracing::warn!("store failed: {e}"),
        }
    }
}

async fn post_with_pause(client: &Client, body: Vec<u8>) {
    loop {
        // ok: paced
        match client.post(URL).body(body.clone()).send().await {
            Ok(resp) if resp.status().is_success() => break,
            Ok(resp) => eprintln!("ingest refused: {}", resp.status()),
            Err(e) => eprintln!("ingest unreachable: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn find_header(socket: &mut TcpStream) -> anyhow::Result<[u8; 16]> {
    let mut header = [0u8; 16];
    loop {
        // ok: each read takes new bytes; a frame without the magic byte is skipped
        match socket.read_exact(&mut header).await {
            Ok(_) if header[0] == 0xA5 => return Ok(header),
            Ok(_) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

async fn drain_frames(conn: &mut Conn, out: &mut Vec<Frame>) {
    loop {
        // ok: the accepted frames are kept, the loop processes them
        match conn.next_frame().await {
            Ok(frame) if frame.is_last() => break,
            Ok(frame) => out.push(frame),
            Err(e) => tracing::warn!("bad frame: {e}"),
        }
    }
}
