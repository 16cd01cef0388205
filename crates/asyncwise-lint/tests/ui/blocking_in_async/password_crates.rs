// Password hashing through crates beyond bcrypt/argon2/scrypt/pbkdf2's own entry points: the
// argon2-creds wrapper, rust-argon2's raw verify, scram's PBKDF2 helper, ring's pbkdf2,
// password-auth, orion's pwhash, and the password-hash crate's `PasswordHash::verify_password`.
// Readings: a function is matched by its resolved path (a `use` or a full path), a method only
// on a receiver whose type is known to be the wrapper's (a parameter, a constructor, a field of
// a struct of this file); a method of the same name on a type of this crate, or on a receiver
// of unknown type, is not a hash. A closure defined in the async fn and called there runs in
// that async body. Deriving a new hash (argon2-creds' `Config::password`, ring's `pbkdf2::derive`,
// password-auth's `generate_hash`) is the pedantic form: it runs when a password is set, rare
// next to the verifications a login makes, which stay default.
use argon2::password_hash::PasswordHash;
use argon2::Argon2;
use argon2_creds::Config;
use std::num::NonZeroU32;

pub struct Creds {
    policy: Config,
}

pub async fn register(creds: &Config, password: &str) -> Result<String, Error> {
    let hash = creds.password(password)?; //~ blocking_in_async(pedantic)
    store(&hash).await?;
    Ok(hash)
}

pub async fn login(stored: &str, given: &str) -> Result<(), Error> {
    let check = |hash: &str, pw: &str| Config::verify(hash, pw); //~ blocking_in_async
    if check(stored, given)? {
        Ok(())
    } else {
        Err(Error::Wrong)
    }
}

pub async fn register_with_field(state: &Creds, password: &str) -> Result<String, Error> {
    Ok(state.policy.password(password)?) //~ blocking_in_async(pedantic)
}

pub async fn scram_entry(password: &str, salt: &[u8]) -> [u8; 32] {
    scram::hash_password(password, NonZeroU32::new(4096).unwrap(), salt) //~ blocking_in_async
}

pub async fn ring_derive(password: &[u8], salt: &[u8], out: &mut [u8]) {
    let rounds = NonZeroU32::new(100_000).unwrap();
    ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, rounds, salt, password, out); //~ blocking_in_async(pedantic)
}

pub async fn simple_auth(password: &str, stored: &str) -> bool {
    let _fresh = password_auth::generate_hash(password); //~ blocking_in_async(pedantic)
    password_auth::verify_password(password, stored).is_ok() //~ blocking_in_async
}

pub async fn phc_verify(stored: &str, given: &str) -> bool {
    let parsed = PasswordHash::new(stored).unwrap();
    parsed.verify_password(&[&Argon2::default()], given).is_ok() //~ blocking_in_async
}

pub async fn raw_verify(pw: &[u8], salt: &[u8], hash: &[u8], cfg: &argon2::Config<'_>) -> bool {
    argon2::verify_raw(pw, salt, hash, cfg).unwrap_or(false) //~ blocking_in_async
}

pub async fn offloaded(creds: Config<'static>, password: String) -> Result<String, Error> {
    // ok: on the blocking pool
    let hash = tokio::task::spawn_blocking(move || creds.password(&password)).await??;
    Ok(hash)
}

pub struct Form {
    password: String,
}

impl Form {
    pub fn password(&self) -> &str {
        &self.password
    }
}

pub async fn same_name_elsewhere(form: &Form, other: &Unknown) -> usize {
    let a = form.password().len(); // ok: a getter of this crate, not the wrapper's hash
    let b = other.password("x").len(); // ok: receiver of unknown type
    let c = other.verify_password("x").len(); // ok: receiver of unknown type
    a + b + c
}

pub fn hash_sync(creds: &Config, password: &str) -> String {
    creds.password(password).unwrap() // ok: sync code
}

async fn store(_hash: &str) -> Result<(), Error> {
    Ok(())
}
