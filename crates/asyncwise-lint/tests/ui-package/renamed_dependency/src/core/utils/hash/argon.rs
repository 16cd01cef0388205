use std::sync::OnceLock;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

static ARGON: OnceLock<Argon2<'static>> = OnceLock::new();

fn init_argon() -> Argon2<'static> {
    Argon2::default()
}

pub(super) fn verify_password(password: &str, stored: &str) -> Result<(), String> {
    let parsed = PasswordHash::new(stored).map_err(|e| e.to_string())?;
    ARGON
        .get_or_init(init_argon)
        .verify_password(password.as_bytes(), &parsed)
        .map_err(|e| e.to_string())
}

pub(super) fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::from_b64("c2FsdHNhbHQ").map_err(|e| e.to_string())?;
    ARGON
        .get_or_init(init_argon)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}
