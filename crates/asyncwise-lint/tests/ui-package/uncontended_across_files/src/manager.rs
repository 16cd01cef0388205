use crate::registry::Registry;

impl Registry {
    pub async fn state_of(&self, name: &str) -> Option<String> {
        if let Some(e) = self.entries.get(name) { //~ lock_across_await(pedantic)
            let e = e.lock().await;
            return Some(e.state.clone());
        }
        None
    }

    pub async fn all_states(&self) -> Vec<String> {
        let entries = &self.entries;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries.iter() { //~ lock_across_await(pedantic)
            let e = e.value().lock().await;
            out.push(e.state.clone());
        }
        out
    }
}
