// Reading a child process's piped output with std I/O in async code: the read waits for the
// child to write, for as long as the child runs. Readings: the pipe is known from the std
// `Child`'s `stdout`/`stderr` field (through `take()`, `unwrap()`, a `BufReader`); tokio's
// `Command` gives async pipes and is fine.
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

pub async fn relay_child_output(bin: String) -> std::io::Result<()> {
    let mut child = Command::new(bin).stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout);
    let mut line = String::new();
    while let Ok(n) = lines.read_line(&mut line) { //~ blocking_in_async
        if n == 0 {
            break;
        }
        println!("{}", line.trim());
        line.clear();
    }
    Ok(())
}

pub async fn errors_of(mut child: std::process::Child) -> String {
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut text).ok(); //~ blocking_in_async
    }
    text
}

pub async fn async_child(bin: &str) -> std::io::Result<String> {
    let mut child = tokio::process::Command::new(bin).stdout(Stdio::piped()).spawn()?;
    let mut out = String::new();
    // ok: tokio's pipes are async
    if let Some(mut pipe) = child.stdout.take() {
        tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut out).await?;
    }
    Ok(out)
}
