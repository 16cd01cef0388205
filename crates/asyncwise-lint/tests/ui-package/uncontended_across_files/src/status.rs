use std::sync::Arc;

use crate::registry::{Registry, Runtime};

pub async fn report(reg: Arc<Registry>, name: &str) -> String {
    match reg.entries.get(name) { //~ lock_across_await(pedantic)
        Some(e) => e.lock().await.state.clone(),
        None => String::new(),
    }
}

pub fn boot(rt: &Runtime, name: &str) -> bool {
    rt.entries.start(name)
}
