use dashmap::DashMap;

pub struct Offsets {
    pub(crate) seen: DashMap<u32, u64>,
}

impl Offsets {
    pub fn new() -> Self {
        Offsets { seen: DashMap::new() }
    }
}
