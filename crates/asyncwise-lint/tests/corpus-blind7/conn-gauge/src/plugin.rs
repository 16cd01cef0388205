//! Periodic maintenance tasks, run behind a trait object.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::work::Worker;

pub trait Task: Send + Sync {
    fn name(&self) -> &'static str;
    fn run(&self) -> BoxFuture<'_, ()>;
}

pub struct Compactor {
    pub worker: Arc<Worker>,
}

impl Task for Compactor {
    fn name(&self) -> &'static str {
        "compactor"
    }

    fn run(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.worker.compact())
    }
}

pub struct Drainer {
    pub worker: Arc<Worker>,
    pub urls: Vec<String>,
}

impl Task for Drainer {
    fn name(&self) -> &'static str {
        "drainer"
    }

    fn run(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.worker.drain(self.urls.clone()))
    }
}
