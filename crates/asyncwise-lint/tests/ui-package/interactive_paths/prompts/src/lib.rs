// A library member: its function counts as interactive when the workspace's program calls it
// (a command kept in a library), not when only other crates could (a public fn nobody here
// calls may run inside any runtime).
use std::io::BufRead;

fn confirm() -> bool {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok();
    line.starts_with('y')
}

pub async fn share() {
    if confirm() { //~ blocking_in_async(pedantic)
        std::thread::sleep(std::time::Duration::from_millis(50)); //~ blocking_in_async(pedantic)
    }
}

pub async fn login() -> String {
    let mut code = String::new();
    std::io::stdin().lock().read_line(&mut code).ok(); //~ blocking_in_async
    code
}
