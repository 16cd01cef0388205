//! Reads an image path per connection, answers with its size and the thumbnail's path.

mod image_ops;

use std::io;
use std::path::PathBuf;

use smol::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use smol::net::{TcpListener, TcpStream};

fn main() -> io::Result<()> {
    smol::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:8088").await?;
        loop {
            let (stream, peer) = listener.accept().await?;
            smol::spawn(async move {
                if let Err(e) = serve(stream).await {
                    eprintln!("{peer}: {e}");
                }
            })
            .detach();
        }
    })
}

async fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut line = String::new();
    BufReader::new(stream.clone()).read_line(&mut line).await?;
    let src = PathBuf::from(line.trim());
    let (width, height) = image_ops::probe_dimensions(&src)?; // @helper //~ blocking_in_async
    let max = image_ops::thumbnail_edge(width, height); // @helper
    let thumb = smol::unblock(move || image_ops::make_thumbnail(&src, max)).await?; // @helper
    let reply = format!("{width}x{height} {}\n", thumb.display());
    stream.write_all(reply.as_bytes()).await
}
