// Recursion: mutually recursive helpers, one of which blocks; a recursive helper that never
// blocks; a self-recursive one that does.
pub fn walk(dir: &str, depth: u32) {
    if depth > 0 {
        visit(dir, depth - 1);
    }
}

fn visit(dir: &str, depth: u32) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let _ = entry;
    }
    walk(dir, depth);
}

fn count(n: u64) -> u64 {
    if n == 0 { 0 } else { count(n - 1) + 1 }
}

fn retry(n: u32) {
    if n > 0 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        retry(n - 1);
    }
}

pub async fn run() {
    walk("/tmp", 3); //~ blocking_in_async(pedantic)
    count(10); // ok: recursive, never blocks
    retry(3); //~ blocking_in_async
}
