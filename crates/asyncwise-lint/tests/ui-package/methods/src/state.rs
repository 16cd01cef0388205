use crate::db::Store;

pub struct AppState {
    pub store: Store,
    pub name: String,
}
