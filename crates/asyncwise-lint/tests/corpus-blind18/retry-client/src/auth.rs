use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;

use crate::error::Error;

/// Checks a password against the hash the accounts API returned for the user.
pub async fn verify_password(client: &crate::AccountsClient, user: &str, password: &str) -> Result<bool, Error> {
    let stored: String = client.get_json(&format!("/users/{user}/hash")).await?;
    let parsed = PasswordHash::new(&stored).map_err(|_| Error::Unauthorized)?;
    Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()) //~ blocking_in_async
}

/// The same check on the blocking pool.
pub async fn verify_password_offloaded(client: &crate::AccountsClient, user: &str, password: String) -> Result<bool, Error> {
    let stored: String = client.get_json(&format!("/users/{user}/hash")).await?;
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    Ok(ok)
}
