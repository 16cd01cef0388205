//! The operator console: newline-terminated commands over a local socket.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{broadcast, mpsc};

pub async fn serve_console(stream: UnixStream, mut alerts: broadcast::Receiver<String>, commands: mpsc::Sender<String>) -> std::io::Result<()> {
    let (read_half, mut write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    loop {
        tokio::select! {
            n = reader.read_line(&mut line) => { //~ select_cancel_unsafe
                if n? == 0 {
                    break;
                }
                if commands.send(line.trim().to_owned()).await.is_err() {
                    break;
                }
                line.clear();
            }
            alert = alerts.recv() => {
                let Ok(text) = alert else { break };
                write_half.write_all(text.as_bytes()).await?;
            }
        }
    }
    Ok(())
}

/// Commands arrive already split into lines by a reader task; both branches are cancel safe.
pub async fn dispatch(mut lines: mpsc::Receiver<String>, mut alerts: broadcast::Receiver<String>, replies: mpsc::Sender<String>) {
    loop {
        tokio::select! {
            Some(command) = lines.recv() => {
                let reply = format!("ok: {command}");
                if replies.send(reply).await.is_err() {
                    return;
                }
            }
            Ok(alert) = alerts.recv() => tracing::warn!(%alert, "alert during dispatch"),
            else => return,
        }
    }
}
