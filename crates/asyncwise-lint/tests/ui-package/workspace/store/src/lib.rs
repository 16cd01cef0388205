pub mod disk;

pub fn save(body: &[u8]) {
    disk::write_blob(body);
}

pub fn describe() -> &'static str {
    "blob store"
}
