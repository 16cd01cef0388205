// Async APIs named like blocking ones. async-std's and smol's `ToSocketAddrs::to_socket_addrs`
// returns a future that resolves the name off the executor; a reader generic over an async
// trait has an async `read_to_string`. Reading: an awaited call returns a future, so it is
// never the blocking call of the same name; the same call not awaited (std's trait in scope)
// is reported.
use std::net::ToSocketAddrs as StdToSocketAddrs;

pub trait AsyncResolve {
    fn to_socket_addrs(&self) -> impl std::future::Future<Output = std::io::Result<Vec<std::net::SocketAddr>>>;
}

pub async fn connect_async<T: AsyncResolve>(server: T) -> std::io::Result<usize> {
    let addrs = server.to_socket_addrs().await?; // ok: awaited, an async lookup
    Ok(addrs.len())
}

pub async fn connect_std<T: StdToSocketAddrs>(server: T) -> std::io::Result<usize> {
    let addrs = server.to_socket_addrs()?; //~ blocking_in_async
    Ok(addrs.count())
}

pub trait AsyncSource {
    fn read_to_string(&mut self, buf: &mut String) -> impl std::future::Future<Output = std::io::Result<usize>>;
}

pub async fn drain<R: AsyncSource>(mut src: R) -> std::io::Result<String> {
    let mut out = String::new();
    src.read_to_string(&mut out).await?; // ok: awaited
    Ok(out)
}
