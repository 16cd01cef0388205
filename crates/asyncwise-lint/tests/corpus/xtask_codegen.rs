//! `cargo xtask codegen`: regenerates protobuf bindings and the embedded
//! asset table. Entirely synchronous; runs before anything async exists.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const PROTO_DIR: &str = "proto";
const OUT_DIR: &str = "crates/api/src/generated";
const JOBS: usize = 4;

pub fn run(args: &[String]) -> io::Result<()> {
    let verbose = args.iter().any(|a| a == "-v");
    let root = workspace_root()?;
    let protos = find_protos(&root.join(PROTO_DIR))?;
    if verbose {
        eprintln!("found {} proto files", protos.len());
    }
    compile_protos(&root, protos)?;
    write_asset_table(&root)?;
    rustfmt(&root.join(OUT_DIR))?;
    Ok(())
}

fn workspace_root() -> io::Result<PathBuf> {
    let out = Command::new(env!("CARGO")).args(["locate-project", "--workspace", "--message-format", "plain"]).output()?;
    let manifest = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(Path::new(&manifest).parent().unwrap_or(Path::new(".")).to_path_buf())
}

fn find_protos(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            found.extend(find_protos(&path)?);
        } else if path.extension().is_some_and(|e| e == "proto") {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

fn compile_protos(root: &Path, protos: Vec<PathBuf>) -> io::Result<()> {
    let out_dir = root.join(OUT_DIR);
    fs::create_dir_all(&out_dir)?;
    let (tx, rx) = mpsc::channel::<(PathBuf, io::Result<()>)>();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(protos));
    let mut workers = Vec::new();
    for _ in 0..JOBS {
        let tx = tx.clone();
        let queue = queue.clone();
        let out_dir = out_dir.clone();
        workers.push(thread::spawn(move || loop {
            let next = queue.lock().unwrap().pop();
            let Some(proto) = next else { break };
            let status = Command::new("protoc")
                .arg(format!("--rust_out={}", out_dir.display()))
                .arg(&proto)
                .stderr(Stdio::inherit())
                .status();
            let res = match status {
                Ok(s) if s.success() => Ok(()),
                Ok(s) => Err(io::Error::new(io::ErrorKind::Other, format!("protoc exited with {s}"))),
                Err(e) => Err(e),
            };
            if tx.send((proto, res)).is_err() {
                break;
            }
        }));
    }
    drop(tx);
    let mut failed = Vec::new();
    for (proto, res) in rx {
        if let Err(e) = res {
            failed.push(format!("{}: {e}", proto.display()));
        }
    }
    for w in workers {
        w.join().expect("codegen worker panicked");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::Other, failed.join("\n")))
    }
}

fn write_asset_table(root: &Path) -> io::Result<()> {
    let mut table = BTreeMap::new();
    for entry in fs::read_dir(root.join("assets"))? {
        let path = entry?.path();
        let meta = fs::metadata(&path)?;
        table.insert(path.file_name().unwrap().to_string_lossy().to_string(), meta.len());
    }
    let mut out = File::create(root.join(OUT_DIR).join("assets.rs"))?;
    writeln!(out, "pub const ASSETS: &[(&str, u64)] = &[")?;
    for (name, len) in &table {
        writeln!(out, "    ({name:?}, {len}),")?;
    }
    writeln!(out, "];")?;
    let mut log = OpenOptions::new().create(true).append(true).open(root.join("target/xtask.log"))?;
    writeln!(log, "assets: {}", table.len())?;
    Ok(())
}

fn rustfmt(dir: &Path) -> io::Result<()> {
    let mut child = Command::new("rustfmt").arg("--edition=2021").args(list_rs(dir)?).stdout(Stdio::piped()).spawn()?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            eprintln!("rustfmt: {}", line?);
        }
    }
    let status = child.wait()?;
    if !status.success() {
        thread::sleep(Duration::from_millis(100));
        fs::copy(dir.join("mod.rs"), dir.join("mod.rs.bak"))?;
        return Err(io::Error::new(io::ErrorKind::Other, "rustfmt failed"));
    }
    Ok(())
}

fn list_rs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    Ok(fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "rs")).collect())
}

/// Used by `xtask serve-docs`: runs the async doc server on a fresh runtime.
pub fn serve_docs(port: u16) -> io::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let docs = tokio::fs::read_to_string("target/doc/index.html").await?;
        loop {
            let (mut sock, _) = listener.accept().await?;
            let body = docs.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let resp = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    })
}
