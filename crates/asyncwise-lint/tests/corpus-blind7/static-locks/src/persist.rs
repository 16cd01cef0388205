use std::path::Path;

use tokio::io::AsyncWriteExt;

use crate::sessions::TOKENS;

/// Writes the token table; the read guard stays alive across each write.
pub async fn snapshot(path: &Path) -> Result<usize, crate::Error> {
    let mut file = tokio::fs::File::create(path).await?;
    let tokens = TOKENS.read().await;
    for (token, id) in tokens.iter() {
        file.write_all(format!("{token}\t{id}\n").as_bytes()).await?;
    }
    file.flush().await?;
    Ok(tokens.len())
}

pub async fn log_logout(user: &str) {
    tracing::info!(user, "logged out");
}
