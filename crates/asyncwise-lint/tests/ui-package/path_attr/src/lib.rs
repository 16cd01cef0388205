// A module whose file a #[path] attribute names: its functions live at crate::backend.
#[path = "backends/local.rs"]
mod backend;

pub async fn save(data: &[u8]) {
    backend::persist(data); //~ blocking_in_async(pedantic)
    crate::backend::describe(); // ok: does not block
}
