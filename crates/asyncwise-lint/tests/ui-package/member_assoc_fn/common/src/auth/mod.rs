// A workspace member's credential type whose associated constructor hashes the password. The
// hasher is chosen by an `if`/`else` (cheap parameters in tests): both branches are `Argon2`,
// so the binding is too.
use argon2::{Argon2, PasswordHasher};

pub struct Credential {
    pub hash: String,
}

impl Credential {
    pub fn from_password(password: &str) -> Self {
        Credential {
            hash: hash_password(password),
        }
    }

    pub fn placeholder() -> Self {
        Credential {
            hash: String::new(),
        }
    }
}

pub fn hash_password(password: &str) -> String {
    let salt = make_salt();
    let hasher = if std::env::var("UNDER_TEST").is_err() {
        Argon2::default()
    } else {
        Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, cheap_params())
    };
    hasher.hash_password(password.as_bytes(), &salt).unwrap().to_string()
}

pub fn hasher_by_match(fast: bool) -> String {
    let hasher = match fast {
        true => Argon2::default(),
        false => panic!("no slow mode"),
    };
    hasher.hash_password(b"x", &make_salt()).unwrap().to_string()
}

fn make_salt() -> String {
    String::new()
}

fn cheap_params() -> argon2::Params {
    argon2::Params::default()
}
