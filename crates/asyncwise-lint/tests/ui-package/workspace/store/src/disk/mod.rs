#[derive(Default)]
pub struct Disk;

impl Disk {
    pub fn flush(&self) {
        sync_all();
    }
}

pub fn write_blob(body: &[u8]) {
    std::fs::write("/var/blobs/1", body).ok();
}

fn sync_all() {
    let _ = std::fs::File::open("/var/blobs").and_then(|f| f.sync_all());
}
