// Guards obtained while handling lock poisoning: `match` on the lock result,
// `unwrap_or_else(PoisonError::into_inner)`, `map_err(..)?`.
use std::sync::{Arc, Mutex, PoisonError, RwLock};

pub struct Registry {
    inner: Arc<Mutex<Vec<String>>>,
    index: RwLock<Vec<u64>>,
}

#[derive(Debug)]
pub enum StoreError {
    Poisoned,
}

impl Registry {
    pub async fn register(&self, name: String, notifier: &Notifier) {
        let mut names = match self.inner.lock() { //~ lock_across_await
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        names.push(name.clone());
        notifier.announce(&name).await;
    }

    pub async fn rebuild(&self, source: &Source) {
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner); //~ lock_across_await
        index.clear();
        index.extend(source.ids().await);
    }

    pub async fn first(&self, source: &Source) -> Result<String, StoreError> {
        let names = self.inner.lock().map_err(|_| StoreError::Poisoned)?; //~ lock_across_await
        source.touch().await;
        Ok(names.first().cloned().unwrap_or_default())
    }

    pub async fn count_then_sync(&self, source: &Source) -> usize {
        // ok: the guard is used inside the match arm and dies with the statement
        let n = match self.inner.lock() {
            Ok(guard) => guard.len(),
            Err(_) => 0,
        };
        source.touch().await;
        n
    }

    pub async fn scoped(&self, source: &Source) -> Result<(), StoreError> {
        {
            // ok: the block ends before the await
            let mut names = self.inner.lock().map_err(|_| StoreError::Poisoned)?;
            names.retain(|n| !n.is_empty());
        }
        source.touch().await;
        Ok(())
    }

    pub async fn dropped(&self, source: &Source) {
        // ok: dropped before the await
        let index = self.index.read().unwrap_or_else(PoisonError::into_inner);
        let snapshot = index.clone();
        drop(index);
        source.publish(snapshot).await;
    }
}
