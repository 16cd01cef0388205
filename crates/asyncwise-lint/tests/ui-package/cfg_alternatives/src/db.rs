#[cfg(feature = "sqlite")]
pub fn backup() -> std::io::Result<String> {
    std::fs::copy("data/db.sqlite3", "data/backup.sqlite3")?;
    Ok("data/backup.sqlite3".to_string())
}

#[cfg(not(feature = "sqlite"))]
pub fn backup() -> std::io::Result<String> {
    Err(std::io::Error::other("backups need the sqlite feature"))
}

#[cfg(feature = "sqlite")]
pub fn engine() -> &'static str {
    "sqlite"
}

#[cfg(not(feature = "sqlite"))]
pub fn engine() -> &'static str {
    "none"
}
