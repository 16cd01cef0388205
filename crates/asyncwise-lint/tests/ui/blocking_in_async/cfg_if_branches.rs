// Functions written inside `cfg_if::cfg_if!` branches are ordinary items to the compiler:
// each branch is compiled under its own `cfg`. They are checked like any other function, in
// every branch (a branch under `cfg(test)` is test code). Other item macros are templates of
// their own syntax and stay unread.
use std::time::Duration;

cfg_if::cfg_if! {
    if #[cfg(unix)] {
        pub async fn persist(data: &[u8]) -> std::io::Result<()> {
            std::fs::write("/var/lib/app/state", data) //~ blocking_in_async
        }
    } else if #[cfg(windows)] {
        pub async fn persist(data: &[u8]) -> std::io::Result<()> {
            std::thread::sleep(Duration::from_millis(5)); //~ blocking_in_async
            std::fs::write("C:\\app\\state", data) //~ blocking_in_async
        }
    } else {
        pub async fn persist(_data: &[u8]) -> std::io::Result<()> {
            // ok: the async equivalent
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok(())
        }
    }
}

cfg_if::cfg_if! {
    if #[cfg(test)] {
        pub async fn pause() {
            std::thread::sleep(Duration::from_millis(1)); //~ blocking_in_async
        }
    }
}

macro_rules! store_impl {
    ($t:ident) => {
        impl $t {
            pub async fn flush(&self) {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    };
}

pub struct Disk;
store_impl!(Disk);
