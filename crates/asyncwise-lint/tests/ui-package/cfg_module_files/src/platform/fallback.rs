pub fn sync_spool(_dir: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

pub fn page_size() -> usize {
    4096
}
