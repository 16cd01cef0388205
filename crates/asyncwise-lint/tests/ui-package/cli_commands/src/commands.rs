use std::time::Duration;

use crate::settings::Settings;

pub enum Command {
    Edit(EditArgs),
    Serve(ServeArgs),
    Watch(WatchArgs),
}

impl Command {
    pub async fn run(self) -> Result<(), String> {
        // The arms are alternatives: `Watch` detaching a task says nothing about `Edit`.
        match self {
            Command::Watch(args) => args.run().await,
            Self::Edit(args) => args.run().await,
            Self::Serve(args) => args.run().await,
        }
    }
}

pub struct EditArgs {
    pub path: String,
}

impl EditArgs {
    async fn run(self) -> Result<(), String> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| e.to_string())?; //~ blocking_in_async(pedantic)
        let mut answer = String::new();
        std::io::stdin() //~ blocking_in_async(pedantic)
            .read_line(&mut answer)
            .map_err(|e| e.to_string())?;
        for backup in ["a.bak", "b.bak"] {
            std::fs::write(backup, &text).map_err(|e| e.to_string())?; //~ blocking_in_async(pedantic)
        }
        save(&self.path, &text).await?;
        store_upload(&text).await
    }
}

// Called only from the `Edit` command: it runs alone too.
async fn save(path: &str, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| e.to_string()) //~ blocking_in_async(pedantic)
}

// Called from the `Edit` command and from every connection's task: not alone.
async fn store_upload(text: &str) -> Result<(), String> {
    std::fs::write("upload.txt", text).map_err(|e| e.to_string()) //~ blocking_in_async
}

pub struct ServeArgs {
    pub addr: String,
    pub settings: Settings,
}

impl ServeArgs {
    async fn run(self) -> Result<(), String> {
        // Before the server starts: nothing else runs yet.
        let banner = std::fs::read_to_string("banner.txt").unwrap_or_default(); //~ blocking_in_async(pedantic)
        let listener = tokio::net::TcpListener::bind(&self.addr)
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let (socket, _) = listener.accept().await.map_err(|e| e.to_string())?;
            // Every connection's task runs alongside the others.
            let banner = banner.clone();
            let root = self.settings.root.clone();
            tokio::spawn(async move { handle(socket, banner, root).await });
            // After the server started: the accept loop shares the runtime with the tasks.
            if !self.settings.log.exists() { //~ blocking_in_async(pedantic)
                std::fs::write(&self.settings.log, "").ok(); //~ blocking_in_async
            }
        }
    }
}

async fn handle(_socket: tokio::net::TcpStream, banner: String, root: std::path::PathBuf) {
    let _page = std::fs::read(root.join("index.html")); //~ blocking_in_async
    store_upload(&banner).await.ok();
}

pub struct WatchArgs {
    pub interval: Duration,
}

impl WatchArgs {
    async fn run(self) -> Result<(), String> {
        let first = std::fs::read("state.json").map_err(|e| e.to_string())?; //~ blocking_in_async(pedantic)
        start_progress();
        // A detached task now runs alongside: blocking holds it up.
        std::thread::sleep(self.interval); //~ blocking_in_async
        let _ = first;
        Ok(())
    }
}

// Spawns a task and lets go of it: it outlives the call.
fn start_progress() {
    tokio::spawn(async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    // Test code is another crate: calling a command from a spawned task here says nothing about
    // where the program runs it.
    #[tokio::test]
    async fn saves_concurrently() {
        tokio::spawn(async { super::save("x", "y").await }).await.ok();
    }
}
