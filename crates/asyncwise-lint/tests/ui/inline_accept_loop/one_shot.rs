// Readings: a loop that stops after serving a connection (a local OAuth callback listener, a
// test server for one client) is the pedantic form, unless its iteration also spawns tasks: a
// loop that spawns serves many clients at once by design, and its `break` is a shutdown or a
// limit, so an inline await there stalls a concurrent server (the default form); a helper of this file that spawns the
// connection itself is a hand-off, not inline serving.
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn wait_for_callback(listener: &TcpListener) -> std::io::Result<String> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await?; //~ inline_accept_loop(pedantic)
        let request = String::from_utf8_lossy(&buf[..n]).to_string();
        if let Some(code) = code_param(&request) {
            return Ok(code);
        }
    }
}

async fn first_client(listener: TcpListener) {
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        if serve_once(socket).await.is_ok() { //~ inline_accept_loop(pedantic)
            break;
        }
    }
}

async fn handle_connection(io: tokio::net::TcpStream, svc: Svc) {
    // the service is readied here, then the connection runs in a task of its own
    svc.ready().await;
    tokio::spawn(async move { svc.serve(io).await });
}

async fn run(listener: TcpListener, svc: Svc) {
    loop {
        let (io, _) = listener.accept().await.unwrap();
        // ok: this file's helper spawns the connection
        handle_connection(io, svc.clone()).await;
    }
}

async fn breaks_on_accept_error(listener: TcpListener) {
    loop {
        let socket = match listener.accept().await {
            Ok((s, _)) => s,
            Err(_) => break,
        };
        serve(socket).await; //~ inline_accept_loop
    }
}

async fn streams_of_one_connection(mut conn: h3::server::Connection<Quic, Bytes>, limit: usize, count: Counter) -> anyhow::Result<()> {
    loop {
        match conn.accept().await {
            Ok(Some(resolver)) => {
                // one stream that never sends its headers stalls every other request
                let (req, stream) = match resolver.resolve_request().await { //~ inline_accept_loop
                    Ok(pair) => pair,
                    Err(_) => continue,
                };
                if count.increment() >= limit {
                    conn.shutdown(0).await?;
                    break;
                }
                runtime.spawn(serve_stream(req, stream));
            }
            _ => break,
        }
    }
    Ok(())
}

async fn one_client_then_spawn_nothing(listener: TcpListener) {
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        // still one-shot: nothing is spawned, the loop ends with the first good client
        if let Ok(hello) = read_hello(socket).await { //~ inline_accept_loop(pedantic)
            record(hello);
            break;
        }
    }
}
