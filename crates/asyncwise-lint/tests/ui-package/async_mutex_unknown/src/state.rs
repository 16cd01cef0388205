use tokio::sync::Mutex;

#[derive(Default)]
pub struct State {
    // ok: locked briefly here, but a guard of an unknown lock is held in main.rs
    pub touched: Mutex<u64>,
    // ok: handed to `flush`, which holds it
    pub buffer: Mutex<Vec<u8>>,
}

impl State {
    pub async fn touch(&self) {
        *self.touched.lock().await += 1;
    }
}
