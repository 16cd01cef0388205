use std::net::{SocketAddr, ToSocketAddrs};

use crate::Error;

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Place {
    pub id: u64,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

pub struct GeoClient {
    http: reqwest::Client,
    base: String,
}

fn resolve(host: &str) -> Option<SocketAddr> {
    (host, 443).to_socket_addrs().ok()?.next()
}

fn loopback_probe() -> Option<SocketAddr> {
    "127.0.0.1:8443".to_socket_addrs().ok()?.next()
}

impl GeoClient {
    pub fn new(http: reqwest::Client, base: &str) -> Self {
        Self { http, base: base.to_owned() }
    }

    pub async fn lookup(&self, city: &str) -> Result<Place, Error> {
        let url = format!("{}/geo?q={city}", self.base);
        let places: Vec<Place> = self.http.get(url).send().await?.json().await?;
        places.into_iter().next().ok_or_else(|| Error::UnknownPlace(city.to_owned()))
    }

    /// Looks the place up on a regional mirror, pinned by address to skip the CDN.
    pub async fn lookup_on_mirror(&self, mirror_host: &str, city: &str) -> Result<Place, Error> {
        let addr = resolve(mirror_host).ok_or_else(|| Error::UnknownPlace(mirror_host.into()))?; // @helper //~ blocking_in_async
        let client = reqwest::Client::builder().resolve(mirror_host, addr).build()?;
        let url = format!("https://{mirror_host}/geo?q={city}");
        let places: Vec<Place> = client.get(url).send().await?.json().await?;
        places.into_iter().next().ok_or_else(|| Error::UnknownPlace(city.to_owned()))
    }

    pub async fn lookup_local(&self, city: &str) -> Result<Place, Error> {
        let addr = loopback_probe().ok_or_else(|| Error::UnknownPlace("localhost".into()))?; // @helper
        let url = format!("http://{addr}/geo?q={city}");
        let places: Vec<Place> = self.http.get(url).send().await?.json().await?;
        places.into_iter().next().ok_or_else(|| Error::UnknownPlace(city.to_owned()))
    }
}
