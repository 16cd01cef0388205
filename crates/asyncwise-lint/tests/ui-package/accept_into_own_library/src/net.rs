use std::sync::Mutex;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

#[derive(Default)]
pub struct Parked {
    sockets: Mutex<Vec<TcpStream>>,
}

// Never suspends: stores the socket for the sweeper task and returns.
pub async fn park(sock: TcpStream, parked: &Parked) {
    parked.sockets.lock().unwrap().push(sock);
}

// Suspends: reads the peer's greeting before answering.
pub async fn serve(mut sock: TcpStream) -> std::io::Result<()> {
    let mut hello = [0u8; 8];
    sock.read_exact(&mut hello).await?;
    Ok(())
}
