// An associated constant in upper snake case of a type the tables know (`Pbkdf2::SHA512`, a
// preset of the hasher) is a value of that type, by Rust's convention for such presets: a
// binding of it is a receiver of the type. A constant of a type the tables do not know, or of
// this crate's own type, is not typed, and neither is a CamelCase variant.
use password_hash::{PasswordHash, PasswordVerifier};
use pbkdf2::Pbkdf2;

fn check(given: &str, stored: &str) -> bool {
    let parsed = match PasswordHash::new(stored) {
        Ok(p) => p,
        Err(_) => return false,
    };
    let hasher = Pbkdf2::SHA512;
    hasher.verify_password(given.as_bytes(), &parsed).is_ok()
}

pub async fn login(given: &str, stored: &str) -> bool {
    check(given, stored) //~ blocking_in_async
}

pub async fn login_inline(given: &str, stored: &str) -> bool {
    let parsed = PasswordHash::new(stored).unwrap();
    Pbkdf2::SHA256.verify_password(given.as_bytes(), &parsed).is_ok() //~ blocking_in_async
}

mod local {
    /// A cheap check of this crate that happens to share the name.
    pub struct Plain;

    impl Plain {
        pub const DEFAULT: Plain = Plain;

        pub fn verify_password(&self, given: &[u8], stored: &[u8]) -> bool {
            given == stored
        }
    }
}

pub async fn compare(given: &str, stored: &str) -> bool {
    let plain = local::Plain::DEFAULT;
    plain.verify_password(given.as_bytes(), stored.as_bytes()) // ok: this crate's type
}

pub async fn unknown_preset(given: &str, stored: &str) -> bool {
    let other = other_crate::Hasher::STRONG;
    other.verify_password(given.as_bytes(), stored.as_bytes()) // ok: a type no table knows
}
