// block_on_in_async: a plugin host where sync trait callbacks need async data, written the
// wrong way (block_on from async code) and the right ways.

use std::sync::Arc;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::RwLock;

#[derive(Clone, Default)]
struct Registry {
    plugins: Arc<RwLock<Vec<String>>>, //~ async_mutex_unneeded(pedantic)
}

impl Registry {
    async fn names(&self) -> Vec<String> {
        self.plugins.read().await.clone()
    }
}

trait Plugin: Send + Sync {
    fn on_event(&self, registry: &Registry, event: &str);
}

struct Audit {
    handle: Handle,
}

impl Plugin for Audit {
    fn on_event(&self, registry: &Registry, event: &str) {
        // Sync callback on a blocking thread: entering the runtime here is the idiom.
        let names = self.handle.block_on(registry.names()); // ok: sync fn
        println!("{event}: {names:?}");
    }
}

struct Host {
    registry: Registry,
    plugins: Vec<Box<dyn Plugin>>,
    rt: Arc<Runtime>,
}

impl Host {
    async fn dispatch_wrong(&self, event: &str) {
        let names = self.rt.block_on(self.registry.names()); //~ block_on_in_async
        for name in names {
            println!("{event} -> {name}");
        }
    }

    async fn dispatch_wrong_handle(&self) -> usize {
        let handle = Handle::current();
        handle.block_on(self.registry.names()).len() //~ block_on_in_async
    }

    async fn dispatch(self: Arc<Self>, event: String) {
        let this = self.clone();
        let done = tokio::task::spawn_blocking(move || {
            for p in &this.plugins {
                p.on_event(&this.registry, &event); // ok: sync callback, offloaded
            }
        })
        .await;
        if let Err(e) = done {
            tracing::error!(error = %e, "plugin panicked");
        }
    }

    async fn reload(&self) -> anyhow::Result<()> {
        let names = futures::executor::block_on(self.registry.names()); //~ block_on_in_async
        anyhow::ensure!(!names.is_empty(), "no plugins");
        Ok(())
    }

    fn reload_sync(&self) -> usize {
        self.rt.block_on(self.registry.names()).len() // ok: sync fn
    }
}

fn main() -> anyhow::Result<()> {
    let rt = Arc::new(Runtime::new()?);
    let host = Arc::new(Host {
        registry: Registry::default(),
        plugins: vec![Box::new(Audit { handle: rt.handle().clone() })],
        rt: rt.clone(),
    });
    let _ = host.reload_sync();
    rt.block_on(async { // ok: sync fn main
        host.clone().dispatch("start".into()).await;
        host.dispatch_wrong("start").await;
        let _ = host.dispatch_wrong_handle().await;
        host.reload().await
    })
}
