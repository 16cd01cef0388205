// Accept loops written over connection streams (rocket, async-std): one task per accepted
// connection is the idiom.
use futures::StreamExt;

pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let mut incoming = std::pin::pin!(incoming);
    while let Some(conn) = incoming.next().await.transpose()? {
        tokio::spawn(async move { handle(conn).await }); // ok: accept loop
    }
    Ok(())
}

pub async fn serve_std(listener: async_std::net::TcpListener) {
    let mut incoming = listener.incoming();
    while let Some(stream) = incoming.next().await {
        async_std::task::spawn(async move { echo(stream).await }); // ok: accept loop //~ mixed_runtimes
    }
}

pub async fn forward(mut rx: tokio::sync::mpsc::Receiver<Job>) {
    while let Some(job) = rx.recv().await {
        tokio::spawn(async move { job.run().await }); //~ unbounded_spawn
    }
}
