// unbounded_spawn: how far a `return` or `break` after a spawn reaches.
// Readings:
// - `break` ends only the innermost loop: a retry loop that spawns and breaks sits in a loop
//   that still spawns once per item (reported against that outer loop);
// - `return` in an iterator closure leaves only the closure: once per element;
// - `return` leaves every loop of the body: the spawn is made once per call.

async fn pipe(_visitor: u32, _channel: u32) {}

async fn retry_inside_a_per_item_loop(
    mut visitors: tokio::sync::mpsc::Receiver<u32>,
    mut pool: tokio::sync::mpsc::Receiver<u32>,
) {
    while let Some(visitor) = visitors.recv().await {
        loop {
            let Some(channel) = pool.recv().await else { return };
            if channel != visitor {
                tokio::spawn(pipe(visitor, channel)); //~ unbounded_spawn
                break;
            }
        }
    }
}

async fn return_in_a_closure(items: Vec<u32>) {
    items.into_iter().for_each(|item| {
        tokio::spawn(pipe(item, 0)); //~ unbounded_spawn
        return;
    });
}

async fn return_from_nested_loops(mut visitors: tokio::sync::mpsc::Receiver<u32>, done: bool) {
    while let Some(visitor) = visitors.recv().await {
        for channel in 0..visitor {
            if done {
                tokio::spawn(pipe(visitor, channel)); // ok: the function returns right after
                return;
            }
        }
    }
}

fn main() {}
