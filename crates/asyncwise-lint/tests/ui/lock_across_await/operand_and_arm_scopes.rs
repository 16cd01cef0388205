// lock_across_await: temporaries of `&&`/`||` operands and of `select!` handlers.
//
// Readings chosen:
// - Each operand of a lazy boolean operator is a temporary scope of its own (Rust 1.68 on, in
//   every edition): a guard made in the first operand is dropped before the second operand's
//   `.await` runs. An operand that is a `let` (a let chain) keeps its temporaries for the body.
// - A `select!` waits on its futures first and then runs one handler; a handler is a `match`
//   arm body in the expansion, so its temporaries end with it and are gone at the next
//   statement's `.await`. A guard bound by `let` inside a handler block lives to the block's end.
// - An assignment evaluates its value before its place (`*m.lock().unwrap() = f().await?` takes
//   the lock after the await); so does a compound assignment of primitives (`+=` on a counter),
//   which is how one to a guard's place is read (for other types the place comes first).

use std::sync::Mutex;
use tokio::sync::watch;

async fn refresh() -> bool {
    true
}

async fn tick() {}

fn show(_v: u32) {}

async fn first_operand_or(cache: &Mutex<Vec<u32>>) -> bool {
    cache.lock().unwrap().is_empty() || refresh().await // ok: the guard dies with the first operand
}

async fn first_operand_and(cache: &Mutex<Vec<u32>>) -> bool {
    let stale = cache.lock().unwrap().len() > 8 && refresh().await; // ok: dropped before the second operand
    stale
}

async fn in_if_condition(cache: &Mutex<Vec<u32>>) {
    if cache.lock().unwrap().is_empty() || refresh().await { // ok: the same inside an `if` condition
        tick().await;
    }
}

async fn second_operand(cache: &Mutex<Vec<u32>>) -> bool {
    refresh().await && cache.lock().unwrap().is_empty() // ok: the await ran before the lock
}

async fn await_inside_the_operand(cache: &Mutex<Vec<u32>>) -> bool {
    refresh().await || publish(cache.lock().unwrap().len()).await //~ lock_across_await
}

async fn publish(_n: usize) -> bool {
    true
}

async fn guard_bound_before_operands(cache: &Mutex<Vec<u32>>) -> bool {
    let guard = cache.lock().unwrap(); //~ lock_across_await
    guard.is_empty() || refresh().await
}

async fn handler_temporary(rx: &mut watch::Receiver<u32>) {
    loop {
        tokio::select! {
            _ = rx.changed() => show(*rx.borrow_and_update()), // ok: gone when the handler ends
            _ = tick() => {}
        }
        tick().await;
    }
}

async fn handler_statement_temporary(rx: &mut watch::Receiver<u32>) {
    tokio::select! {
        _ = rx.changed() => {
            show(*rx.borrow_and_update()); // ok: dropped at the end of its statement
            tick().await;
        }
    }
}

async fn handler_binding(rx: &mut watch::Receiver<u32>) {
    tokio::select! {
        _ = rx.changed() => {
            let seen = rx.borrow_and_update(); //~ lock_across_await
            tick().await;
            show(*seen);
        }
    }
}

async fn handler_temporary_in_awaited_call(rx: &mut watch::Receiver<u32>) {
    tokio::select! {
        _ = rx.changed() => publish(*rx.borrow_and_update() as usize).await, //~ lock_across_await
        _ = tick() => false,
    };
}

async fn load_progress() -> Result<u64, String> {
    Ok(1)
}

async fn assigned_after_the_value(progress: &std::sync::Mutex<u64>) -> Result<(), String> {
    // The value of an assignment is evaluated before its place: the lock is taken after the
    // await has finished, and the temporary guard ends with the statement.
    *progress.lock().unwrap() = load_progress().await?; // ok: the place comes after the value
    tick().await;
    Ok(())
}

async fn compound_assignment_of_a_counter(progress: &std::sync::Mutex<u64>) -> Result<(), String> {
    *progress.lock().unwrap() += load_progress().await?; // ok: primitive operands, the value comes first
    Ok(())
}
