//! Token signing keys.

use std::path::Path;

pub struct SigningKey {
    pub pem: Vec<u8>,
}

/// Loads the key; called once per process by the API's start-up.
pub async fn load_signing_key(dir: &Path) -> std::io::Result<SigningKey> {
    let pem = std::fs::read(dir.join("signing.pem"))?; //~ blocking_in_async
    Ok(SigningKey { pem })
}
