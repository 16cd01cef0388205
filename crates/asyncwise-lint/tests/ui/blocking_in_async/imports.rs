// blocking_in_async: name resolution through `use` declarations, renames, groups,
// `self::`/`super::`/`crate::` paths, and local items that shadow std names.

use std::{fs, thread};
use std::fs::read_to_string as slurp;
use std::thread::sleep as nap;
use std::time::Duration;
use std::net::{TcpStream as StdStream, UdpSocket};
use reqwest::blocking;

async fn grouped(path: &str) -> std::io::Result<Vec<u8>> {
    thread::sleep(Duration::from_millis(5)); //~ blocking_in_async
    let bytes = fs::read(path)?; //~ blocking_in_async
    Ok(bytes)
}

async fn renamed(path: &str) -> std::io::Result<String> {
    nap(Duration::from_millis(5)); //~ blocking_in_async
    slurp(path) //~ blocking_in_async
}

async fn renamed_type(addr: &str) -> std::io::Result<()> {
    let _s = StdStream::connect(addr)?; //~ blocking_in_async
    let sock = UdpSocket::bind("0.0.0.0:0")?; // ok: bind does not block
    let mut buf = [0u8; 512];
    let (_n, _from) = sock.recv_from(&mut buf)?; //~ blocking_in_async
    Ok(())
}

async fn module_alias(url: &str) -> Result<String, reqwest::Error> {
    blocking::get(url)?.text() //~ blocking_in_async
}

mod storage {
    // A local module named `fs`: its functions are not `std::fs`.
    pub mod fs {
        pub fn read_to_string(key: &str) -> std::io::Result<String> {
            Ok(key.to_owned())
        }

        pub async fn write(_key: &str, _value: &str) {}
    }

    pub async fn get(key: &str) -> std::io::Result<String> {
        fs::read_to_string(key) // ok: storage::fs, not std::fs
    }

    pub async fn get_via_self(key: &str) -> std::io::Result<String> {
        self::fs::read_to_string(key) // ok: storage::fs via self::
    }

    pub async fn get_std(key: &str) -> std::io::Result<String> {
        ::std::fs::read_to_string(key) //~ blocking_in_async
    }

    pub mod nested {
        pub async fn get_via_super(key: &str) -> std::io::Result<String> {
            super::fs::read_to_string(key) // ok: storage::fs via super::
        }

        pub async fn get_via_crate(key: &str) -> std::io::Result<String> {
            crate::storage::fs::read_to_string(key) // ok: storage::fs via crate::
        }

        pub async fn get_parent_import(key: &str) -> std::io::Result<String> {
            // `fs` in the crate root is `std::fs` (grouped import above).
            crate::fs::read_to_string(key) //~ blocking_in_async
        }

        pub async fn sleep_via_crate_root() {
            crate::thread::sleep(std::time::Duration::from_millis(1)); //~ blocking_in_async
        }
    }
}

mod pacing {
    use std::time::Duration;

    // A local `fn sleep` is not `std::thread::sleep`.
    pub async fn sleep(d: Duration) {
        tokio::time::sleep(d).await;
    }

    pub async fn tick() {
        sleep(Duration::from_millis(10)).await; // ok: local async sleep
        self::sleep(Duration::from_millis(10)).await; // ok: local async sleep via self::
    }

    pub mod inner {
        use super::sleep;

        pub async fn tick_twice() {
            sleep(std::time::Duration::from_millis(1)).await; // ok: imported from super, local
        }
    }
}

mod shadow_fn {
    use std::thread;

    fn sleep(_ms: u64) {}

    pub async fn run() {
        sleep(10); // ok: local fn sleep, not std::thread::sleep
        thread::sleep(std::time::Duration::from_millis(1)); //~ blocking_in_async
    }
}

mod uses_tokio {
    use tokio::fs;
    use tokio::time::sleep;
    use tokio::process::Command;

    pub async fn refresh(path: &str) -> std::io::Result<String> {
        sleep(std::time::Duration::from_secs(1)).await; // ok: tokio::time::sleep
        let _ = Command::new("sync").status().await?; // ok: tokio::process::Command
        fs::read_to_string(path).await // ok: tokio::fs
    }
}

mod uses_std_command {
    use std::process::Command;

    pub async fn version() -> Option<String> {
        let out = Command::new("rustc").arg("--version").output().ok()?; //~ blocking_in_async
        String::from_utf8(out.stdout).ok()
    }
}

mod glob_import {
    use std::fs::*;

    pub async fn size(p: &str) -> u64 {
        metadata(p).map(|m| m.len()).unwrap_or(0) //~ blocking_in_async(pedantic)
    }
}
