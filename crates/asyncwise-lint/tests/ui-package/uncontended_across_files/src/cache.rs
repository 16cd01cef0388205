use dashmap::DashMap;

pub struct Cache {
    pub live: DashMap<u64, String>,
}

pub struct Holder<T> {
    pub inner: T,
}

// Writes a `live` field of a struct the use does not name; `Sessions.live` is private to
// `sessions.rs`, which this module cannot reach, so it is some other struct's field.
pub fn warm(h: &Holder<Cache>) {
    let live = &h.inner.live;
    live.insert(1, "warm".into());
}
