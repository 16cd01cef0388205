use sha2::{Digest, Sha256};

pub fn verify_password(stored_hash: &str, candidate: &str) -> bool {
    bcrypt::verify(candidate, stored_hash).unwrap_or(false)
}

pub fn hash_new(password: &str) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(password, bcrypt::DEFAULT_COST)
}

/// Session tokens are looked up by a SHA-256 of the token: one digest of 32 bytes.
pub fn token_key(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
