use std::time::Duration;

use async_channel::{Receiver, Sender};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use smol::net::TcpStream;
use url::Url;

pub struct Page {
    pub url: Url,
    pub body: Vec<u8>,
    pub links: Vec<Url>,
}

/// One fetching worker: takes URLs until the channel closes.
pub async fn worker(id: usize, urls: Receiver<Url>, pages: Sender<Page>) -> anyhow::Result<()> {
    while let Ok(url) = urls.recv().await {
        match fetch(&url).await {
            Ok(page) => pages.send(page).await?,
            Err(e) => log::debug!("worker {id}: {url}: {e}"),
        }
        async_std::task::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}

async fn connect(host: &str) -> std::io::Result<TcpStream> {
    let stream = loop {
        match TcpStream::connect((host, 80)).await { //~ retry_without_backoff
            Ok(stream) => break stream,
            Err(e) => log::debug!("connect {host}: {e}"),
        }
    };
    Ok(stream)
}

async fn connect_patiently(host: &str) -> std::io::Result<TcpStream> {
    let mut delay = Duration::from_millis(100);
    loop {
        match TcpStream::connect((host, 80)).await {
            Ok(stream) => return Ok(stream),
            Err(e) if delay < Duration::from_secs(8) => {
                log::debug!("connect {host}: {e}");
                smol::Timer::after(delay).await;
                delay *= 2;
            }
            Err(e) => return Err(e),
        }
    }
}

pub async fn fetch(url: &Url) -> anyhow::Result<Page> {
    let host = url.host_str().ok_or_else(|| anyhow::anyhow!("no host"))?;
    let mut stream = if url.port().is_some() { connect_patiently(host).await? } else { connect(host).await? };
    let request = format!("GET {} HTTP/1.0\r\nHost: {host}\r\n\r\n", url.path());
    stream.write_all(request.as_bytes()).await?;
    let mut body = Vec::new();
    stream.read_to_end(&mut body).await?;
    let links = extract_links(url, &body);
    Ok(Page { url: url.clone(), body, links })
}

fn extract_links(base: &Url, body: &[u8]) -> Vec<Url> {
    let text = String::from_utf8_lossy(body);
    text.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter_map(|href| base.join(href).ok())
        .collect()
}
