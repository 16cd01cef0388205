use relay_hub::net;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let busy = TcpListener::bind("0.0.0.0:9002").await?;
    tokio::spawn(async move {
        while let Ok((sock, _)) = busy.accept().await {
            let _ = relay_hub::net::serve(sock).await; //~ inline_accept_loop
        }
    });
    let parked = net::Parked::default();
    let idle = TcpListener::bind("0.0.0.0:9001").await?;
    loop {
        let (sock, _) = idle.accept().await?;
        net::park(sock, &parked).await; //~ inline_accept_loop(pedantic)
    }
}
