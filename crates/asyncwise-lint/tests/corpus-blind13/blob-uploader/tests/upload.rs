use blob_uploader::{Config, Uploader};
use tokio::sync::mpsc;

#[tokio::test]
async fn progress_reaches_listener() {
    let server = wiremock::MockServer::start().await;
    let (events_tx, mut events_rx) = mpsc::channel(8);
    let uploader = std::sync::Arc::new(Uploader::new(
        Config {
            endpoint_host: server.address().to_string(),
            bucket: "b".into(),
            part_size: 5 << 20,
        },
        events_tx,
    ));
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel(); //~ unbounded_channel
    tokio::spawn(async move { //~ detached_task
        while let Some(p) = events_rx.recv().await {
            seen_tx.send(p.parts_done)?;
        }
        Ok::<_, mpsc::error::SendError<usize>>(())
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blob.bin");
    std::fs::write(&path, vec![7u8; 1024]).unwrap(); //~ blocking_in_async(pedantic)
    uploader.upload(&path, "blob.bin").await.unwrap();
    assert_eq!(seen_rx.recv().await, Some(1));
}

#[async_std::test]
async fn local_endpoint_is_numeric() {
    let (tx, _rx) = mpsc::channel(1);
    let uploader = Uploader::new(
        Config {
            endpoint_host: "localhost".into(),
            bucket: "b".into(),
            part_size: 1,
        },
        tx,
    );
    assert!(uploader.local_endpoint().await.is_some());
}
