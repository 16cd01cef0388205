// The Unix build syncs the spool directory; the other build has nothing to do.
pub fn sync_spool(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

pub fn page_size() -> usize {
    4096
}
