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
        std::fs::copy(p, p.with_extension("bak")).ok(); //~ blocking_in_async
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

// Functions `main` awaits directly are start-up code too (`run(config).await`,
// `block_on(run(config))`); one it spawns runs alongside everything else.
mod launched {
    async fn check_data_folder(dir: &std::path::Path) {
        if !dir.is_dir() { //~ blocking_in_async(pedantic)
            std::process::exit(1);
        }
    }

    async fn serve(listener: tokio::net::TcpListener) {
        let banner = std::fs::read_to_string("banner.txt").unwrap(); //~ blocking_in_async
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let _ = (sock, &banner);
        }
    }

    async fn run(dir: std::path::PathBuf) {
        let cert = std::fs::read("cert.pem"); //~ blocking_in_async(pedantic)
        let _ = cert;
    }

    fn main() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(run("data".into()));
        rt.block_on(check_data_folder(std::path::Path::new("data")));
        rt.spawn(serve(listener()));
        // Futures awaited inside an async block or closure of `main` are not followed: such a
        // block may be a handler run per request.
    }
}

// A runtime entry attribute makes a fn the program's `main`, whatever its name.
mod entry {
    #[actix_web::main]
    async fn run(cfg: Config) -> std::io::Result<()> {
        let banner = std::fs::read_to_string(&cfg.banner)?; //~ blocking_in_async(pedantic)
        serve_app(cfg, banner).await
    }

    // Awaited directly by the entry point: runs once, its set-up reads are start-up code.
    async fn serve_app(cfg: Config, banner: String) -> std::io::Result<()> {
        let key = std::fs::read(&cfg.key)?; //~ blocking_in_async(pedantic)
        listen(key, banner).await
    }
}

// A runtime entry attribute on a method builds the runtime there too.
mod entry_method {
    pub struct RendezvousServer;

    impl RendezvousServer {
        #[tokio::main(flavor = "multi_thread")]
        pub async fn start(port: u16) -> std::io::Result<()> {
            let key = std::fs::read("id_ed25519")?; //~ blocking_in_async(pedantic)
            let _ = (port, key);
            Ok(())
        }

        // No entry attribute: an ordinary async method.
        pub async fn handle(&self) -> std::io::Result<Vec<u8>> {
            std::fs::read("peers.json") //~ blocking_in_async
        }
    }
}

// An async method that returns the value it builds (`Self`, its own type, or either in a
// `Result`/`Option`) is a constructor: it runs once per value, and values that need async
// set-up (stores, servers, connectors) are built once. Whatever its name.
mod constructors {
    use std::path::Path;

    pub struct Zone {
        records: Vec<u8>,
    }

    impl Zone {
        pub async fn try_from_config(path: &Path) -> Result<Self, String> {
            let records = std::fs::read(path).map_err(|e| e.to_string())?; //~ blocking_in_async(pedantic)
            Ok(Zone { records })
        }

        pub async fn load_journal(path: &Path) -> std::io::Result<Option<Zone>> {
            let records = std::fs::read(path)?; //~ blocking_in_async(pedantic)
            Ok(Some(Zone { records }))
        }

        pub async fn with_defaults() -> Zone {
            let records = std::fs::read("defaults.zone").unwrap_or_default(); //~ blocking_in_async(pedantic)
            Zone { records }
        }

        // Returns something else: not a constructor.
        pub async fn snapshot(&self, path: &Path) -> std::io::Result<Vec<u8>> {
            let mut out = self.records.clone();
            out.extend(std::fs::read(path)?); //~ blocking_in_async
            Ok(out)
        }

        // Refreshes the value it is called on: runs whenever asked, not once.
        pub async fn reload(&mut self, path: &Path) -> std::io::Result<()> {
            self.records = std::fs::read(path)?; //~ blocking_in_async
            Ok(())
        }

        // Builds a `Zone` per entry, in a loop: not once.
        pub async fn from_dir(paths: &[&Path]) -> Result<Self, String> {
            let mut records = Vec::new();
            for p in paths {
                records.extend(std::fs::read(p).map_err(|e| e.to_string())?); //~ blocking_in_async
            }
            Ok(Zone { records })
        }
    }

    // A free function returning a value is not a constructor: it may run per request.
    pub async fn zone_for(path: &Path) -> std::io::Result<Zone> {
        let records = std::fs::read(path)?; //~ blocking_in_async
        Ok(Zone { records })
    }
}

// Names that start like a set-up step (`init_`, `setup_`, `bootstrap_`) run once as well: a
// listener's certificate, a connector's schema file. Other names that merely contain one
// (`handle_init`, `start_server`, `build_reply`) may run per connection or per request.
mod named_steps {
    use std::path::Path;

    pub async fn init_tls_listener(cert: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(cert) //~ blocking_in_async(pedantic)
    }

    pub async fn setup_sink(schema: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(schema) //~ blocking_in_async(pedantic)
    }

    pub async fn handle_init(req: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(req) //~ blocking_in_async
    }

    pub async fn start_server(cert: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(cert) //~ blocking_in_async
    }

    pub async fn build_reply(body: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(body) //~ blocking_in_async
    }
}
