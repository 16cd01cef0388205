//! Fetching pages.

use anyhow::Context;
use url::Url;

use crate::robots::{self, RobotsCache};

pub struct Page {
    pub url: Url,
    pub body: String,
}

impl Page {
    pub fn links(&self) -> Vec<Url> {
        self.body
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter_map(|href| self.url.join(href).ok())
            .collect()
    }
}

pub struct Fetcher {
    http: reqwest::Client,
    robots: RobotsCache,
}

impl Fetcher {
    pub fn new(http: reqwest::Client, robots: RobotsCache) -> Fetcher {
        Fetcher { http, robots }
    }

    pub async fn allowed(&self, url: &Url) -> anyhow::Result<bool> {
        let host = url.host_str().context("url without host")?;
        let body = match self.robots.cached(host) { // @helper //~ blocking_in_async
            Some(body) => body,
            None => {
                let body = self.http.get(url.join("/robots.txt")?).send().await?.text().await?;
                self.robots.store(host, &body)?; // @helper //~ blocking_in_async
                body
            }
        };
        Ok(robots::allows(&body, url.path())) // @helper
    }

    pub async fn get(&self, url: &Url) -> anyhow::Result<Page> {
        let body = self.http.get(url.clone()).send().await?.error_for_status()?.text().await?;
        Ok(Page {
            url: url.clone(),
            body,
        })
    }
}
