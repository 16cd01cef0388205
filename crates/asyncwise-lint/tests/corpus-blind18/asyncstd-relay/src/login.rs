use async_std::io::prelude::*;
use async_std::io::BufReader;
use async_std::net::{TcpListener, TcpStream};

async fn read_callback(stream: TcpStream) -> anyhow::Result<String> {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let code = request_line
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.split("code=").nth(1))
        .ok_or_else(|| anyhow::anyhow!("no code in callback"))?
        .to_owned();
    (&stream).write_all(b"HTTP/1.1 200 OK\r\n\r\nYou can close this tab.").await?;
    Ok(code)
}

/// Opens the browser on the provider's login page and waits for its redirect.
pub async fn obtain_token(bind: &str) -> anyhow::Result<String> {
    let listener = TcpListener::bind(bind).await?;
    println!("open https://auth.example.com/authorize?redirect_uri=http://{bind}/cb");
    loop {
        let (stream, peer) = listener.accept().await?;
        if !peer.ip().is_loopback() {
            continue;
        }
        let code = read_callback(stream).await?; //~ inline_accept_loop(pedantic)
        return Ok(code);
    }
}
