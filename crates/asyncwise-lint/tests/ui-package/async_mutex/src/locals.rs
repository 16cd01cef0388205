use std::sync::Arc;

use tokio::sync::Mutex;

pub async fn run() {
    let counter = Arc::new(Mutex::new(0u64)); //~ async_mutex_unneeded(pedantic)
    let worker_counter = counter.clone();
    let task = tokio::spawn(async move {
        *worker_counter.lock().await += 1;
    });
    task.await.ok();
    let total = *counter.lock().await;
    crate::io::log(total as u32).await;

    // ok: the guard is alive at the later await
    let held = Mutex::new(Vec::new());
    let mut list = held.lock().await;
    crate::io::log(1).await;
    list.push(1);

    // ok: handed to a function that may hold it
    let shared = Arc::new(Mutex::new(0u32));
    worker(Arc::clone(&shared)).await;
    *shared.lock().await += 1;

    let plain = Mutex::new(String::new()); //~ async_mutex_unneeded(pedantic)
    plain.lock().await.push('x');
    crate::io::log(3).await;
}

async fn worker(shared: Arc<Mutex<u32>>) {
    *shared.lock().await += 1;
}
