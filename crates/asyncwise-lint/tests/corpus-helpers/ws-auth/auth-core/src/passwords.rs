//! Password hashing. bcrypt is deliberately slow (tens of milliseconds per call).

pub const COST: u32 = 12;

pub fn hash_password(password: &str) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(password, COST)
}

pub fn verify(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// `verify` on the blocking pool, for async callers.
pub async fn verify_async(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &hash)) // @helper
        .await
        .unwrap_or(false)
}

/// A cheap pre-check before hashing: length and character classes only.
pub fn strong_enough(password: &str) -> bool {
    password.len() >= 12
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| c.is_alphabetic())
}
