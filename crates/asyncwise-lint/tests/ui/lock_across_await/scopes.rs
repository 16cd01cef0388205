// lock_across_await: where guards die — block scopes, statement temporaries, loop
// iterations — and which awaits count (only those of the same body).
//
// Readings chosen where the issue is not explicit:
// - A statement temporary is fine only if the statement has no await after the guard is
//   created: in `publish(m.lock().unwrap().hits).await;` the guard lives to the end of the
//   statement, i.e. across the await (rustc agrees: the future is not `Send`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Stats {
    hits: u64,
    names: Vec<String>,
}

async fn publish(_n: u64) {}

async fn temporary_compound_assign(stats: &Mutex<Stats>) {
    stats.lock().unwrap().hits += 1; // ok: temporary dies at the end of the statement
    publish(1).await;
}

async fn temporary_deref_assign(counter: Arc<Mutex<u64>>) {
    *counter.lock().unwrap() += 1; // ok: temporary dies at the end of the statement
    publish(2).await;
}

async fn temporary_in_let(stats: &Mutex<Stats>) {
    let n = stats.lock().unwrap().names.len(); // ok: only the length is kept
    publish(n as u64).await;
}

async fn temporary_in_call_arg(stats: &Mutex<Stats>) {
    publish(stats.lock().unwrap().hits).await; //~ lock_across_await
}

async fn block_scope(stats: &Mutex<Stats>) {
    let hits = {
        let s = stats.lock().unwrap(); // ok: dies at the end of the block
        s.hits
    };
    publish(hits).await;
}

async fn block_scope_statement(stats: &Mutex<Stats>, name: String) {
    {
        let mut s = stats.lock().unwrap(); // ok: dies at the end of the block
        s.names.push(name);
    }
    publish(0).await;
}

async fn block_scope_with_await_inside(stats: &Mutex<Stats>) {
    {
        let s = stats.lock().unwrap(); //~ lock_across_await
        publish(s.hits).await;
    }
}

async fn per_iteration(stats: &Mutex<Stats>, names: Vec<String>) {
    for name in names {
        {
            let mut s = stats.lock().unwrap(); // ok: dies before the await
            s.names.push(name);
        }
        publish(0).await;
    }
}

async fn acquired_after_await_in_loop(stats: &Mutex<Stats>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let mut s = stats.lock().unwrap(); // ok: dies at the end of the iteration
        s.hits += 1;
    }
}

async fn held_in_loop(stats: &Mutex<Stats>) {
    loop {
        let s = stats.lock().unwrap(); //~ lock_across_await
        if s.hits > 10 {
            break;
        }
        publish(s.hits).await;
    }
}

async fn dropped_in_loop(stats: &Mutex<Stats>) {
    loop {
        let s = stats.lock().unwrap(); // ok: dropped before the await
        let hits = s.hits;
        drop(s);
        if hits > 10 {
            break;
        }
        publish(hits).await;
    }
}

async fn spawned_not_awaited(stats: Arc<Mutex<Stats>>) {
    let s = stats.lock().unwrap(); // ok: the await below belongs to the spawned task
    let hits = s.hits;
    let h = tokio::spawn(async move {
        publish(hits).await;
    });
    let _ = h;
}

async fn nested_block_not_awaited(stats: &Mutex<Stats>) -> impl std::future::Future<Output = ()> {
    let s = stats.lock().unwrap(); // ok: the async block is returned, not awaited here
    let hits = s.hits;
    async move { publish(hits).await }
}

async fn nested_block_awaited(stats: &Mutex<Stats>) {
    let s = stats.lock().unwrap(); //~ lock_across_await
    let hits = s.hits;
    async move { publish(hits).await }.await;
}

async fn in_async_block(stats: Arc<Mutex<Stats>>) {
    let task = async move {
        let s = stats.lock().unwrap(); //~ lock_across_await
        publish(s.hits).await;
    };
    task.await;
}

async fn in_async_closure(stats: Arc<Mutex<Stats>>) {
    let bump = async move || {
        let mut s = stats.lock().unwrap(); //~ lock_across_await
        s.hits += 1;
        tokio::task::yield_now().await;
    };
    bump().await;
}

async fn sync_closure_inside(stats: &Mutex<Stats>) {
    let total: u64 = (0..3).map(|_| stats.lock().unwrap().hits).sum(); // ok: temporary in a closure
    publish(total).await;
}

async fn early_return(stats: &Mutex<Stats>) -> u64 {
    let s = stats.lock().unwrap(); // ok: dropped on every path before an await
    if s.hits == 0 {
        return 0;
    }
    let hits = s.hits;
    drop(s);
    publish(hits).await;
    hits
}

async fn reference_extends_the_guard(m: &Mutex<Vec<String>>) {
    let items = &mut m.lock().unwrap(); //~ lock_across_await
    items.push(String::new());
    tokio::task::yield_now().await;
}
