//! TLS edge server built directly on hyper 1.x. `main` builds the runtime
//! by hand so the worker count can come from the config file.

use std::convert::Infallible;
use std::fs::File;
use std::io::BufReader;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error, info, warn};

use crate::config::Config;

fn load_tls(cert: &PathBuf, key: &PathBuf) -> Result<rustls::ServerConfig> {
    let mut cert_reader = BufReader::new(File::open(cert).with_context(|| format!("opening {}", cert.display()))?);
    let mut key_reader = BufReader::new(File::open(key).with_context(|| format!("opening {}", key.display()))?);
    let certs = rustls_pemfile::certs(&mut cert_reader).collect::<Result<Vec<_>, _>>()?;
    let key = rustls_pemfile::private_key(&mut key_reader)?.context("no private key found")?;
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(cfg)
}

fn main() -> Result<()> {
    tracing_subscriber::fmt::init();
    let cfg = Config::from_env()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.workers)
        .thread_name("edge-worker")
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let tls = load_tls(&cfg.cert_path, &cfg.key_path)?; //~ blocking_in_async
        let banner = std::fs::read_to_string(&cfg.banner_path).unwrap_or_default(); //~ blocking_in_async
        spawn_cert_watcher(cfg.cert_path.clone(), Duration::from_secs(30));
        serve(cfg, tls, banner).await
    })
}

async fn shutdown_signal() {
    tokio::signal::ctrl_c().await.expect("install ctrl-c handler");
    info!("ctrl-c received");
}

async fn serve(cfg: Config, tls: rustls::ServerConfig, banner: String) -> Result<()> {
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let listener = TcpListener::bind(cfg.addr).await?;
    let banner: Arc<str> = banner.into();
    let mut conns = JoinSet::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);

    loop {
        let (tcp, peer) = tokio::select! {
            res = listener.accept() => res.context("accept")?,
            _ = &mut shutdown => break,
        };
        if conns.len() >= cfg.max_connections {
            debug!("connection limit reached, waiting for a slot");
            conns.join_next().await;
        }
        let acceptor = acceptor.clone();
        let banner = Arc::clone(&banner);
        conns.spawn(async move {
            let stream = match acceptor.accept(tcp).await {
                Ok(s) => s,
                Err(e) => {
                    warn!(%peer, error = %e, "tls handshake failed");
                    return;
                }
            };
            let svc = service_fn(move |req| handle(req, Arc::clone(&banner)));
            if let Err(e) = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await
            {
                debug!(%peer, error = %e, "connection error");
            }
        });
    }

    info!(open = conns.len(), "draining connections");
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(10), drain).await.is_err() {
        warn!("drain timed out, aborting remaining connections");
        conns.abort_all();
    }
    Ok(())
}

async fn handle<B>(req: Request<B>, banner: Arc<str>) -> Result<Response<Full<Bytes>>, Infallible> {
    let res = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => Response::new(Full::new(Bytes::from(banner.to_string()))),
        (&Method::GET, "/version") => {
            let out = tokio::process::Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .output()
                .await;
            let body = match out {
                Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
                Err(_) => "unknown".to_owned(),
            };
            Response::new(Full::new(Bytes::from(body)))
        }
        (&Method::GET, "/load") => {
            let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default(); //~ blocking_in_async
            Response::new(Full::new(Bytes::from(load)))
        }
        _ => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"not found")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    };
    Ok(res)
}

fn spawn_cert_watcher(path: PathBuf, every: Duration) {
    tokio::spawn(async move { //~ detached_task
        let mut last = tokio::fs::metadata(&path).await?.modified()?;
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let modified = tokio::fs::metadata(&path).await?.modified()?;
            if modified != last {
                info!(path = %path.display(), "certificate changed on disk; restart to apply");
                last = modified;
            }
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_serves_banner() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let res = rt
            .block_on(handle(Request::new(()), Arc::from("hello")))
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn unknown_path_is_404() {
        let req = Request::builder().uri("/nope").body(()).unwrap();
        let res = handle(req, Arc::from("x")).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}
