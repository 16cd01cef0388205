//! The HTTP sink.

use crate::parse::Sample;

pub struct Sink {
    http: reqwest::Client,
    url: String,
}

impl Sink {
    pub fn new(url: &str) -> Sink {
        Sink {
            http: reqwest::Client::new(),
            url: url.to_owned(),
        }
    }

    pub async fn send(&self, batch: &[Sample]) -> anyhow::Result<()> {
        self.http
            .post(&self.url)
            .json(batch)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}
