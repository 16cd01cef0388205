// Blocking once while a program or component starts: directly in `async fn main` or in an async
// set-up function (`new`, `open`, `init`, `prepare`, ...), outside loops. On real repositories
// these were a data directory created, a certificate read, a configured path checked, and never
// worth changing: the pedantic form. The same calls in a loop, in a closure or in any other
// async fn stay in the default form.
use std::path::PathBuf;

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub async fn open(dir: PathBuf) -> std::io::Result<Store> {
        std::fs::create_dir_all(&dir)?; //~ blocking_in_async(pedantic)
        Ok(Store { dir })
    }

    pub async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.dir.join(key)) //~ blocking_in_async
    }
}

pub async fn init(paths: &[PathBuf]) {
    for p in paths {
        std::fs::create_dir_all(p).ok(); //~ blocking_in_async
    }
}

#[tokio::main]
async fn main() {
    let cert = std::fs::read("cert.pem").unwrap(); //~ blocking_in_async(pedantic)
    let server = tokio::spawn(async move {
        std::fs::read("later.txt").ok(); //~ blocking_in_async
        serve(cert).await
    });
    server.await.ok();
}
