// A guard held across an await through a parameter: which lock it is cannot be told, so no
// async lock of the crate is reported, not even one that is only locked briefly.
mod state;

use std::sync::Arc;

use tokio::sync::Mutex;

async fn flush(buffer: &Mutex<Vec<u8>>) {
    let mut b = buffer.lock().await;
    tokio::task::yield_now().await;
    b.clear();
}

#[tokio::main]
async fn main() {
    let state = Arc::new(state::State::default());
    state.touch().await;
    flush(&state.buffer).await;
}
