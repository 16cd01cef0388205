//! The mail queue and its worker.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use async_std::channel::{bounded, Receiver, Sender};
use async_std::task;

use crate::smtp::{self, SmtpConfig};
use crate::templates;

const FROM: &str = "no-reply@example.com";

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail worker has stopped")]
    Closed,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: String,
    pub template: String,
    pub vars: HashMap<String, String>,
}

pub struct Mailer {
    cfg: Arc<SmtpConfig>,
    template_dir: PathBuf,
    tx: Sender<Outgoing>,
}

impl Mailer {
    /// Starts the worker; the caller keeps its handle and awaits it at shutdown.
    pub fn start(cfg: SmtpConfig, template_dir: PathBuf) -> (Mailer, task::JoinHandle<()>) {
        let (tx, rx) = bounded(256);
        let cfg = Arc::new(cfg);
        let worker = task::spawn(run_worker(cfg.clone(), template_dir.clone(), rx));
        (Mailer { cfg, template_dir, tx }, worker)
    }

    pub async fn enqueue(&self, msg: Outgoing) -> Result<(), MailError> {
        self.tx.send(msg).await.map_err(|_| MailError::Closed)
    }

    /// Sends right away, bypassing the queue (password resets).
    pub async fn send_now(&self, msg: Outgoing) -> Result<(), MailError> {
        let body = templates::render(&self.template_dir, &msg.template, &msg.vars)?; // @helper //~ blocking_in_async
        smtp::send_plain(&self.cfg, FROM, &msg.to, &body)?; // @helper //~ blocking_in_async
        Ok(())
    }
}

async fn run_worker(cfg: Arc<SmtpConfig>, dir: PathBuf, rx: Receiver<Outgoing>) {
    while let Ok(msg) = rx.recv().await {
        let cfg = cfg.clone();
        let dir = dir.clone();
        let to = msg.to.clone();
        let sent = task::spawn_blocking(move || -> std::io::Result<()> {
            let body = templates::render(&dir, &msg.template, &msg.vars)?; // @helper
            smtp::send_plain(&cfg, FROM, &msg.to, &body) // @helper
        })
        .await;
        if let Err(e) = sent {
            log::warn!("mail to {to} not sent: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn substitutes_placeholders() {
        let vars = HashMap::from([("name".to_owned(), "Ada".to_owned())]);
        assert_eq!(templates::substitute("Hi {{name}}", &vars), "Hi Ada"); // @helper
    }

    #[async_std::test]
    async fn welcome_template_renders() {
        let vars = HashMap::from([("name".to_owned(), "Ada".to_owned())]);
        let text = templates::render(Path::new("tests/templates"), "welcome", &vars).unwrap(); // @helper //~ blocking_in_async
        assert!(text.contains("Ada"));
    }
}
