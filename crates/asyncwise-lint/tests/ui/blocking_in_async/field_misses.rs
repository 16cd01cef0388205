// Blocking calls that field runs over real repositories showed were missing from the tables:
// the `fs_err` drop-in, `Path` methods that ask the filesystem, name resolution, serializers
// and `write!` over a std `File`, tokio's `blocking_*` methods (they panic in async code),
// password hashing and synchronous database clients.
// Readings: a `Path` method is reported only when the receiver is known to be a `Path` or
// `PathBuf`; `serde_json::from_reader` only when the reader is known to be a std `File` or
// standard input (an in-memory reader is fine); `blocking_*` by name unless the receiver is
// known to be some other type.
use std::fs::File;
use std::io::{BufReader, Write};
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};

use argon2::{Argon2, PasswordHasher};
use rusqlite::Connection;

pub async fn load_settings(dir: &Path) -> anyhow::Result<Settings> {
    let text = fs_err::read_to_string(dir.join("settings.toml"))?; //~ blocking_in_async
    let extra = fs_err::tokio::read_to_string(dir.join("extra.toml")).await?; // ok: fs_err's async module
    Ok(parse(&text, &extra))
}

pub async fn prepare_cache(root: PathBuf) -> std::io::Result<()> {
    let cache = root.join("cache");
    if !cache.exists() { //~ blocking_in_async(pedantic)
        tokio::fs::create_dir_all(&cache).await?;
    }
    let real = Path::new("/var/lib/app").canonicalize()?; //~ blocking_in_async(pedantic)
    let name = cache.file_name(); // ok: pure path manipulation
    let joined = real.join("x"); // ok: pure
    let _ = (name, joined);
    Ok(())
}

pub async fn unknown_receiver(p: &Config) -> bool {
    p.path.exists() // ok: the field's type is not known here
}

pub async fn resolve(host: &str) -> Vec<std::net::SocketAddr> {
    let addrs = (host, 443).to_socket_addrs().unwrap(); //~ blocking_in_async
    let later = tokio::net::lookup_host((host, 443)).await.unwrap(); // ok: async resolution
    addrs.chain(later).collect()
}

pub async fn read_manifest(path: &Path) -> anyhow::Result<Manifest> {
    let file = File::open(path)?; //~ blocking_in_async
    let manifest = serde_json::from_reader(BufReader::new(file))?; //~ blocking_in_async
    Ok(manifest)
}

pub async fn read_from_stdin() -> anyhow::Result<Request> {
    Ok(serde_json::from_reader(std::io::stdin())?) //~ blocking_in_async
}

pub async fn parse_body(body: bytes::Bytes) -> anyhow::Result<Request> {
    Ok(serde_json::from_reader(body.as_ref())?) // ok: an in-memory reader
}

pub async fn append_log(mut log: File, line: &str) -> std::io::Result<()> {
    writeln!(log, "{line}")?; //~ blocking_in_async
    let mut buf = Vec::new();
    writeln!(buf, "{line}")?; // ok: an in-memory buffer
    Ok(())
}

pub async fn snapshot(state: std::sync::Arc<tokio::sync::Mutex<State>>) -> State {
    let guard = state.blocking_lock(); //~ blocking_in_async
    guard.clone()
}

pub async fn drain(mut rx: tokio::sync::mpsc::Receiver<Event>) {
    while let Some(event) = rx.blocking_recv() { //~ blocking_in_async
        handle(event).await;
    }
}

pub fn drain_on_a_thread(mut rx: tokio::sync::mpsc::Receiver<Event>) {
    // ok: sync code on its own thread is what blocking_recv is for
    while let Some(event) = rx.blocking_recv() {
        drop(event);
    }
}

pub async fn register(form: SignupForm) -> anyhow::Result<String> {
    let hash = bcrypt::hash(&form.password, bcrypt::DEFAULT_COST)?; //~ blocking_in_async(pedantic)
    let phc = Argon2::default().hash_password(form.password.as_bytes(), &salt())?; //~ blocking_in_async(pedantic)
    let offloaded = tokio::task::spawn_blocking(move || bcrypt::verify("pw", "hash")).await; // ok: offloaded
    let _ = offloaded;
    Ok(format!("{hash}{phc}"))
}

pub async fn count_users(path: &str) -> rusqlite::Result<i64> {
    let conn = Connection::open(path)?; //~ blocking_in_async
    conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0)) //~ blocking_in_async
}

pub async fn pg_lookup(url: &str) -> Result<(), postgres::Error> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?; //~ blocking_in_async
    client.execute("DELETE FROM sessions", &[])?; //~ blocking_in_async
    Ok(())
}

pub async fn cache_get(url: &str) -> redis::RedisResult<String> {
    let client = redis::Client::open(url)?;
    let mut con = client.get_connection()?; //~ blocking_in_async
    let mut async_con = client.get_multiplexed_async_connection().await?; // ok: async
    let _ = &mut async_con;
    con.get("key") //~ blocking_in_async
}

// redis's command builders run their command on the connection they are given: `query` on a
// sync connection blocks, `query_async` on an async one does not.
pub async fn cache_put(url: &str, key: &str) -> redis::RedisResult<()> {
    let client = redis::Client::open(url)?;
    let mut con = client.get_connection()?; //~ blocking_in_async
    redis::cmd("SET").arg(key).arg(1).query::<()>(&mut con)?; //~ blocking_in_async
    let mut async_con = client.get_multiplexed_async_connection().await?;
    redis::cmd("DEL").arg(key).query_async::<()>(&mut async_con).await?; // ok: async
    redis::pipe().cmd("INCR").arg(key).ignore().query::<()>(&mut con) //~ blocking_in_async
}

pub async fn connect_diesel(url: &str) -> diesel::PgConnection {
    use diesel::Connection as _;
    diesel::PgConnection::establish(url).unwrap() //~ blocking_in_async
}

pub async fn load_blocklist(list: &Blocklist) {
    if let Ok(mut file) = std::fs::File::open("blocklist.txt") { //~ blocking_in_async
        let mut contents = String::new();
        if file.read_to_string(&mut contents).is_ok() { //~ blocking_in_async
            list.extend(contents.lines()).await;
        }
    }
    if let Some(name) = list.first() {
        let _ = name.len(); // ok: not a file
    }
}

// fs_extra walks, copies and removes whole directory trees with `std::fs`.
pub async fn backup(from: PathBuf, to: PathBuf) -> anyhow::Result<u64> {
    let options = fs_extra::dir::CopyOptions::new();
    fs_extra::dir::copy(&from, &to, &options)?; //~ blocking_in_async
    let size = tokio::task::spawn_blocking(move || fs_extra::dir::get_size(&to)).await??; // ok: offloaded
    Ok(size)
}
