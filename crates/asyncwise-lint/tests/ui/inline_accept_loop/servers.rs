// Readings: an accept loop serves inline when an await of the same iteration, after the
// accept, uses the accepted connection or a name built from it by `let`. Spawning it, sending
// it to a worker pool's queue, or awaiting something unrelated is not inline. The finding is on
// the first such await.
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn serve_inline(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        handle(socket).await?; //~ inline_accept_loop
    }
}

async fn echo_inline(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (mut socket, peer) = listener.accept().await?;
        let mut buf = vec![0; 1024];
        loop {
            let n = socket.read(&mut buf).await?; //~ inline_accept_loop
            if n == 0 {
                break;
            }
            socket.write_all(&buf[..n]).await?;
        }
        tracing::info!("{peer} done");
    }
}

async fn matched_accept(listener: &TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                if let Err(e) = serve(stream).await { //~ inline_accept_loop
                    tracing::warn!("{e}");
                }
            }
            Err(e) => tracing::warn!("accept: {e}"),
        }
    }
}

async fn while_let_accept(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        let framed = Framed::new(stream, LinesCodec::new());
        process(framed).await; //~ inline_accept_loop
    }
}

async fn tls_handshake_inline(listener: TcpListener, acceptor: TlsAcceptor) -> anyhow::Result<()> {
    loop {
        let (tcp, _) = listener.accept().await?;
        let tls = acceptor.accept(tcp).await?; //~ inline_accept_loop
        tokio::spawn(serve_tls(tls));
    }
}

async fn incoming_stream(listener: async_std::net::TcpListener) {
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        let stream = stream.unwrap();
        handle_client(stream).await; //~ inline_accept_loop
    }
}

async fn smol_inline(listener: smol::net::TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        smol::io::copy(&stream, &mut &stream).await?; //~ inline_accept_loop
    }
}

async fn with_timeout(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        let _ = tokio::time::timeout(LIMIT, handle(socket)).await; //~ inline_accept_loop
    }
}

async fn quinn_endpoint(endpoint: quinn::Endpoint) {
    loop {
        let Some(incoming) = endpoint.accept().await else { break };
        let conn = incoming.await.unwrap();
        run_connection(conn).await; //~ inline_accept_loop
    }
}

async fn greeting_inline(listener: &TcpListener) -> std::io::Result<()> {
    loop {
        let (mut socket, _) = listener.accept().await?;
        socket.write_all(b"hello\n").await?; //~ inline_accept_loop
        tokio::spawn(async move { chat(socket).await });
    }
}

async fn hyper_inline(listener: TcpListener, svc: Svc) -> anyhow::Result<()> {
    loop {
        let (tcp, _) = listener.accept().await?;
        let io = TokioIo::new(tcp);
        http1::Builder::new().serve_connection(io, svc.clone()).await?; //~ inline_accept_loop
    }
}
