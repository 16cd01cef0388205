// A `match` arm that binds the scrutinee's guard by value (`Entry::Occupied(entry)`) moves it
// out of the scrutinee's temporary: the shard lock then lives in the binding, and ends where
// the binding is dropped (`drop(entry)`) or consumed (`entry.insert(v)`, which takes the entry
// by value; the `RefMut` it returns is a temporary of its statement). An arm that keeps the
// binding across an await, or one that binds nothing (`Entry::Vacant(_)`), still holds it.
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

struct Cache {
    map: DashMap<u32, u32>,
}

impl Cache {
    fn put(&self, k: u32) {
        self.map.insert(k, k);
    }

    async fn dropped_then_awaited(&self, key: u32, rx: &mut Rx) -> u32 {
        // ok: the occupied entry is dropped, the vacant one consumed, before each await
        match self.map.entry(key) {
            Entry::Occupied(entry) => {
                let v = *entry.get();
                drop(entry);
                rx.recv().await;
                v
            }
            Entry::Vacant(entry) => {
                entry.insert(0);
                rx.recv().await;
                0
            }
        }
    }

    async fn kept_across(&self, key: u32, rx: &mut Rx) -> u32 {
        match self.map.entry(key) { //~ lock_across_await
            Entry::Occupied(entry) => {
                rx.recv().await;
                *entry.get()
            }
            Entry::Vacant(entry) => {
                entry.insert(1);
                1
            }
        }
    }

    async fn wildcard_arm(&self, key: u32, rx: &mut Rx) {
        match self.map.entry(key) { //~ lock_across_await
            Entry::Occupied(_) => rx.recv().await,
            Entry::Vacant(entry) => {
                entry.insert(2);
            }
        }
    }

    async fn bound_insert(&self, key: u32, rx: &mut Rx) {
        match self.map.entry(key) {
            Entry::Occupied(entry) => drop(entry),
            Entry::Vacant(entry) => {
                // ok: the `RefMut` from `insert` ends with its statement
                *entry.insert(3) += 1;
                rx.recv().await;
            }
        }
    }
}
