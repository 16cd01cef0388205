use chat::utils::hash;

pub async fn login(password: &str, stored: &str) -> Result<(), String> {
    hash::verify_password(password, stored)?; //~ blocking_in_async
    Ok(())
}

pub async fn change_password(password: &str) -> Result<String, String> {
    let hashed = hash::hash_password(password)?; //~ blocking_in_async(pedantic)
    Ok(hashed)
}

pub async fn offloaded(password: String, stored: String) -> Result<(), String> {
    // ok: on the blocking pool
    tokio::task::spawn_blocking(move || hash::verify_password(&password, &stored))
        .await
        .map_err(|e| e.to_string())?
}

pub fn sync_check(password: &str, stored: &str) -> bool {
    hash::verify_password(password, stored).is_ok() // ok: sync code
}
