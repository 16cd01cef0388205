//! Key derivation: wrapping keys for secrets at rest, keys for API secrets.

use pbkdf2::pbkdf2_hmac;
use scrypt::{scrypt, Params};
use sha2::{Digest, Sha256};

/// OWASP 2023 recommendation for PBKDF2-HMAC-SHA256.
pub const PBKDF2_ROUNDS: u32 = 600_000;

/// Derives the 32-byte key that wraps tenant secrets from an operator passphrase.
pub fn wrapping_key(passphrase: &[u8], salt: &[u8]) -> Result<[u8; 32], crate::Error> {
    let params = Params::new(15, 8, 1, 32).map_err(|_| crate::Error::Params)?;
    let mut out = [0u8; 32];
    scrypt(passphrase, salt, &params, &mut out).map_err(|_| crate::Error::Length)?;
    Ok(out)
}

/// Derives the key an API secret is checked against.
pub fn api_secret_key(secret: &str, salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2_hmac::<Sha256>(secret.as_bytes(), salt, PBKDF2_ROUNDS, &mut out);
    out
}

/// Lookup key of a random 256-bit session token: one SHA-256, cheap on purpose
/// (the token has full entropy, so no stretching is needed).
pub fn token_lookup_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Hex encoding for log lines and database keys.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
