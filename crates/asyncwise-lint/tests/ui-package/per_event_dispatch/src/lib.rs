// A per-event path through a value whose type the file cannot tell reaches the methods dynamic
// dispatch can reach: those of `impl Trait for Type` blocks. An inherent method that only
// shares the name (`Feeds::refresh`, run by a timer) is not put on the path.
// Readings: `codec_for(..)` returns a `Box<dyn Codec>` the index does not type, so
// `codec.decode(..)` is an untyped call; `source.refresh()` on what another crate's function
// returns is untyped too, and so is the timer's own `feeds.refresh()`.
mod codecs;
mod digests;
mod feeds;

pub async fn serve_forever() {
    tokio::spawn(feeds::refresh_every_minute());
    let listener = tokio::net::TcpListener::bind("0.0.0.0:9000").await.unwrap();
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::spawn(serve(socket));
    }
}

async fn serve(socket: tokio::net::TcpStream) {
    let codec = codecs::codec_for(&socket);
    let frame = codec.decode(b"frame").await;
    let _sum = digests::fingerprint(&frame);
    let source = upstream::lookup(&socket);
    source.refresh().await;
}
