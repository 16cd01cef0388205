use std::collections::HashMap;

#[derive(Default)]
pub struct AppState {
    // Locked per login, the guard dropped at once.
    pub sessions: tokio::sync::Mutex<HashMap<String, u64>>, //~ async_mutex_unneeded
    // Its read guard is held across the pricing call in `quote`.
    pub rates: tokio::sync::RwLock<HashMap<String, f64>>,
    // Written per rate request, never held.
    pub hits: tokio::sync::RwLock<u64>, //~ async_mutex_unneeded
}
