// Password hashing in async code, with each crate of the table: bcrypt, its compact
// re-implementation `rcrypt`, argon2, scrypt and pbkdf2. A hash costs tens of milliseconds of
// CPU by design, so a handler that hashes holds its worker for that long per request.
// Readings: every function of `bcrypt` and `rcrypt` hashes or verifies; a call reached through
// a sync helper of the same file is reported at the call of the helper; a hash run on the
// blocking pool is fine. A new hash (`rcrypt::hash`, when a password is set) is the pedantic
// form; a verification, once per login attempt, is default.

struct Account {
    hash: String,
}

fn check_password(given: &str, account: &Account) -> bool {
    rcrypt::verify(given, &account.hash).unwrap_or(false)
}

pub async fn handshake(user: &str, password: &str) -> Result<bool, String> {
    let account = lookup(user).await?;
    Ok(check_password(password, &account)) //~ blocking_in_async
}

pub async fn create_user(password: &str) -> Result<String, rcrypt::RcryptError> {
    let hash = rcrypt::hash(password, rcrypt::DEFAULT_COST)?; //~ blocking_in_async(pedantic)
    Ok(hash)
}

pub async fn verify_direct(password: &str, stored: &str) -> bool {
    rcrypt::verify(password, stored).unwrap_or(false) //~ blocking_in_async
}

pub async fn verify_offloaded(password: String, stored: String) -> bool {
    // ok: on the blocking pool
    tokio::task::spawn_blocking(move || rcrypt::verify(&password, &stored).unwrap_or(false))
        .await
        .unwrap_or(false)
}

pub fn verify_sync(password: &str, stored: &str) -> bool {
    rcrypt::verify(password, stored).unwrap_or(false) // ok: sync code
}

async fn lookup(_user: &str) -> Result<Account, String> {
    Ok(Account { hash: String::new() })
}
