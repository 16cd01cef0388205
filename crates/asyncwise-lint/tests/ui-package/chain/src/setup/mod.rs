mod files;

pub use files::copy_files;

pub fn install(root: &str) {
    log(root);
    copy_files(root);
}

pub fn checksum(root: &str) -> usize {
    root.len()
}

fn log(_: &str) {}

pub async fn prepare() {
    checksum("x"); // ok
}
