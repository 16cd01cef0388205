use std::future::Future;
use std::pin::Pin;

pub struct JoinHandle<T> {
    rx: tokio::sync::oneshot::Receiver<T>,
}

#[cfg(not(target_arch = "wasm32"))]
macro_rules! spawn_on_target {
    ($fut:expr) => {
        tokio::spawn($fut)
    };
}

#[cfg(target_arch = "wasm32")]
macro_rules! spawn_on_target {
    ($fut:expr) => {
        wasm_bindgen_futures::spawn_local($fut)
    };
}

/// Spawns `future`; its output comes back through the returned handle.
pub fn spawn<F, T>(future: F) -> JoinHandle<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn_on_target!(async move {
        let out = future.await;
        let _ = tx.send(out);
    });
    JoinHandle { rx }
}

/// Spawns `future` and logs its error: nothing is lost with the handle.
pub fn spawn_logged<F, E>(future: F) -> tokio::task::JoinHandle<()>
where
    F: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = future.await {
            eprintln!("task failed: {e}");
        }
    })
}

/// Keeps `future` to run later: no task.
pub fn spawn_later<F>(future: F) -> Pin<Box<dyn Future<Output = ()> + Send>>
where
    F: Future<Output = ()> + Send + 'static,
{
    Box::pin(future)
}

impl<T> JoinHandle<T> {
    pub async fn join(self) -> Option<T> {
        self.rx.await.ok()
    }
}
