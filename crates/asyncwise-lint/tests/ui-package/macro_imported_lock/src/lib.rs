// lock_across_await: a field whose lock type is named by a bare `DashMap` that no import of
// the file explains (the `plugin!` expansion imports it) is still the one lock type of that
// name: its guards held across awaits in another file are reported. `close` takes `&mut self`
// and the map is stored directly in the struct: nobody else reaches it meanwhile (pedantic);
// `flush` takes `&self` while `add` writes the map (default).
macro_rules! plugin {
    ($t:ident) => {
        use dashmap::DashMap;
        impl $t {
            pub fn plugin_id(&self) -> u32 {
                7
            }
        }
    };
}

mod flush;

plugin!(Store);

pub struct Store {
    parts: DashMap<u32, Vec<u8>>,
}

impl Store {
    pub fn add(&self, key: u32, part: Vec<u8>) {
        self.parts.insert(key, part);
    }
}
