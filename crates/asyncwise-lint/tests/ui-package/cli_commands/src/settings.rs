use std::path::PathBuf;

pub struct Settings {
    pub root: PathBuf,
    pub log: PathBuf,
}
