//! Passwords stored as PHC strings (`$scrypt$...`, legacy `$pbkdf2-sha256$...`).

use password_hash::rand_core::OsRng;
use password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use pbkdf2::Pbkdf2;
use scrypt::Scrypt;

/// Hashes a new password with scrypt's default parameters.
pub fn hash_new(password: &str) -> Result<String, crate::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let phc = Scrypt.hash_password(password.as_bytes(), &salt)?;
    Ok(phc.to_string())
}

/// Checks a password against a stored PHC string of either algorithm.
pub fn verify(password: &str, stored: &str) -> Result<bool, crate::Error> {
    let parsed = PasswordHash::new(stored)?;
    let ok = match parsed.algorithm.as_str() {
        "scrypt" => Scrypt.verify_password(password.as_bytes(), &parsed).is_ok(),
        _ => Pbkdf2.verify_password(password.as_bytes(), &parsed).is_ok(),
    };
    Ok(ok)
}

/// The algorithm named in a stored hash; parsing only.
pub fn algorithm_of(stored: &str) -> Result<String, crate::Error> {
    Ok(PasswordHash::new(stored)?.algorithm.to_string())
}

/// Legacy PBKDF2 hashes are upgraded at the next successful login.
pub fn needs_rehash(stored: &str) -> bool {
    stored.starts_with("$pbkdf2")
}
