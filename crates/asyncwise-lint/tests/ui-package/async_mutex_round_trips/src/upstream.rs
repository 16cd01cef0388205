pub struct Upstream {
    http: reqwest::Client,
}

impl Upstream {
    pub fn new() -> Self {
        Upstream {
            http: reqwest::Client::new(),
        }
    }

    pub async fn fetch(&self, url: &str) -> reqwest::Result<String> {
        self.http.get(url).send().await?.text().await
    }
}
