pub struct Store {
    pub entries: std::sync::RwLock<Vec<u32>>,
}
