//! The v1 API derived per-user encryption keys from the password; kept for old clients.

use sha2::Sha256;

/// The v1 salt: the user name, padded. Pure.
pub fn legacy_salt(user: &str) -> Vec<u8> {
    let mut salt = format!("acct-v1:{user}").into_bytes();
    salt.resize(24, b'.');
    salt
}

/// The v1 per-user key: 100k rounds of PBKDF2-HMAC-SHA256.
pub fn derive_legacy_key(password: &str, salt: &[u8]) -> [u8; 32] {
    pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password.as_bytes(), salt, 100_000)
}
