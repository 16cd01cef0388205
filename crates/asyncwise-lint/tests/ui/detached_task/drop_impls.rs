// A task spawned by a `Drop` impl's `drop` is best-effort clean-up of a value being destroyed:
// `drop` cannot keep or await the handle, and the failure concerns a resource already let go.
// It is the pedantic form, whatever it can fail by; the same task spawned from an ordinary
// method, whose caller could keep the handle, stays the default form.
use tokio::io::AsyncWriteExt;

pub struct Lease {
    conn: Option<tokio::net::TcpStream>,
    path: std::path::PathBuf,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            tokio::spawn(async move { //~ detached_task(pedantic)
                conn.write_all(b"BYE\n").await?;
                conn.shutdown().await?;
                Ok::<(), std::io::Error>(())
            });
        }
        let path = self.path.clone();
        tokio::spawn(release(path)); //~ detached_task(pedantic)
    }
}

impl Lease {
    pub fn close(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            tokio::spawn(async move { //~ detached_task
                conn.write_all(b"BYE\n").await?;
                Ok::<(), std::io::Error>(())
            });
        }
    }

    pub fn drop(&mut self) {
        let path = self.path.clone();
        tokio::spawn(release(path)); //~ detached_task
    }
}

async fn release(path: std::path::PathBuf) -> std::io::Result<()> {
    tokio::fs::remove_file(path).await?;
    Ok(())
}
