use std::path::PathBuf;

#[derive(Clone)]
pub struct Remote {
    http: reqwest::Client,
    base: String,
}

impl Remote {
    pub fn new(base: &str) -> Self {
        Self { http: reqwest::Client::new(), base: base.trim_end_matches('/').to_owned() }
    }

    pub async fn upload(self, root: PathBuf, files: Vec<PathBuf>) -> anyhow::Result<()> {
        for f in files {
            let body = tokio::fs::read(root.join(&f)).await?;
            self.http.put(format!("{}/blobs/{}", self.base, f.display())).body(body).send().await?;
        }
        Ok(())
    }

    pub async fn fetch(&self, name: &str) -> anyhow::Result<Vec<u8>> {
        let resp = self.http.get(format!("{}/blobs/{name}", self.base)).send().await?;
        Ok(resp.error_for_status()?.bytes().await?.to_vec())
    }

    pub async fn expected_digest(&self, name: &str) -> anyhow::Result<String> {
        let resp = self.http.get(format!("{}/digests/{name}", self.base)).send().await?;
        Ok(resp.text().await?)
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        self.http.head(&self.base).send().await?.error_for_status()?;
        Ok(())
    }
}

/// Reports a finished step to the server's activity log, in the background.
macro_rules! report_in_background {
    ($remote:expr, $what:expr) => {
        tokio::spawn({ //~ detached_task
            let remote = $remote.clone();
            let what = $what.to_string();
            async move {
                remote.http.post(format!("{}/activity", remote.base)).body(what).send().await?;
                Ok::<_, reqwest::Error>(())
            }
        });
    };
}

/// The same, for callers that wait for the report.
macro_rules! report {
    ($remote:expr, $what:expr) => {
        tokio::spawn({
            let remote = $remote.clone();
            let what = $what.to_string();
            async move { remote.http.post(format!("{}/activity", remote.base)).body(what).send().await }
        })
    };
}

impl Remote {
    pub async fn log_push(&self, n: usize) {
        report_in_background!(self, format!("pushed {n} parts")); //~? detached_task
    }

    pub async fn log_pull(&self, n: usize) -> anyhow::Result<()> {
        report!(self, format!("pulled {n} blobs")).await??;
        Ok(())
    }
}
