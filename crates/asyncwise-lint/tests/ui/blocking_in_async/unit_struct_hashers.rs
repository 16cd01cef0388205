// A unit struct used as a value is a receiver of its own type: the password-hash crate's
// hashers (`Pbkdf2`, `Scrypt`, `Argon2` as a unit value) are called as
// `Pbkdf2.verify_password(..)` once the struct is imported. Only types the tables know are
// typed this way: a unit struct of this crate with a method of the same name is not a hash,
// and neither is an enum variant or a constant written in capitals.
use password_hash::{PasswordHash, PasswordHasher, PasswordVerifier};
use pbkdf2::Pbkdf2;
use scrypt::Scrypt;

pub async fn login(stored: &str, given: &str) -> bool {
    let parsed = PasswordHash::new(stored).unwrap();
    Pbkdf2.verify_password(given.as_bytes(), &parsed).is_ok() //~ blocking_in_async
}

pub async fn register(password: &str, salt: &password_hash::SaltString) -> String {
    let hash = Scrypt.hash_password(password.as_bytes(), salt).unwrap(); //~ blocking_in_async(pedantic)
    hash.to_string()
}

mod local {
    /// A cheap check of this crate that happens to share the name.
    pub struct Plain;

    impl Plain {
        pub fn verify_password(&self, given: &[u8], stored: &[u8]) -> bool {
            given == stored
        }
    }
}

use local::Plain;

pub async fn compare(given: &str, stored: &str) -> bool {
    Plain.verify_password(given.as_bytes(), stored.as_bytes())
}

pub const LIMIT: usize = 3;

pub async fn capped(n: usize) -> usize {
    LIMIT.min(n)
}
