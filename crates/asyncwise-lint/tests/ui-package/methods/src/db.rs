pub struct Store {
    path: String,
}

impl Store {
    pub fn open(path: &str) -> Store {
        let store = Store { path: path.to_string() };
        store.refresh();
        store
    }

    pub fn refresh(&self) {
        let _ = std::fs::read_to_string(&self.path);
    }

    pub fn len(&self) -> usize {
        self.path.len()
    }
}
