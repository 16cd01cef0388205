//! Loads plugins and drives them. Plugins written for smol run on their own executor thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin {0} timed out")]
    Timeout(String),
    #[error("plugin {0} failed: {1}")]
    Failed(String, String),
}

pub trait Plugin: Send + Sync {
    fn name(&self) -> &str;
    fn invoke(&self, input: Vec<u8>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + Send + '_>>;
}

pub struct Host {
    plugins: Vec<Arc<dyn Plugin>>,
    active: AtomicUsize,
    budget: Duration,
}

impl Host {
    pub fn new(plugins: Vec<Arc<dyn Plugin>>, budget: Duration) -> Self {
        Self { plugins, active: AtomicUsize::new(0), budget }
    }

    /// Calls every plugin with the same input; a slow plugin is cut off at the budget.
    pub async fn broadcast(&self, input: Vec<u8>) -> Vec<Result<Vec<u8>, PluginError>> {
        let mut out = Vec::with_capacity(self.plugins.len());
        for plugin in &self.plugins {
            let call = plugin.invoke(input.clone());
            let result = match tokio::time::timeout(self.budget, call).await { //~? sequential_await
                Ok(Ok(bytes)) => Ok(bytes),
                Ok(Err(e)) => Err(PluginError::Failed(plugin.name().to_owned(), e)),
                Err(_) => Err(PluginError::Timeout(plugin.name().to_owned())),
            };
            out.push(result);
        }
        out
    }

    pub async fn invoke_one(&self, index: usize, input: Vec<u8>) -> Result<Vec<u8>, PluginError> {
        let plugin = self.plugins[index].clone();
        self.active.fetch_add(1, Ordering::SeqCst);
        let result = plugin.invoke(input).await;
        self.active.fetch_sub(1, Ordering::SeqCst); //~ cleanup_after_await
        result.map_err(|e| PluginError::Failed(plugin.name().to_owned(), e))
    }

    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
}

/// Runs a smol plugin's future to completion on a dedicated thread.
#[cfg(feature = "smol-plugins")]
pub fn run_smol_plugin<F>(fut: F) -> std::thread::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    std::thread::spawn(move || smol::block_on(fut))
}
