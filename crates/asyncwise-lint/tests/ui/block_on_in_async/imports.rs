// block_on_in_async: renamed and grouped imports, `self::`/`super::`/`crate::` paths, and
// local functions named `block_on` that are not executors.

use futures::executor::block_on;
use futures::executor::block_on as wait_for;
use futures::{executor, future};
use tokio::runtime::{Handle, Runtime};

async fn fetch() -> String {
    String::from("ok")
}

async fn imported() -> String {
    block_on(fetch()) //~ block_on_in_async
}

async fn renamed() -> String {
    wait_for(fetch()) //~ block_on_in_async
}

async fn grouped() -> String {
    executor::block_on(future::ready(String::new())) //~ block_on_in_async
}

async fn imported_handle() -> String {
    Handle::current().block_on(fetch()) //~ block_on_in_async
}

async fn annotated(rt: &Runtime) -> String {
    rt.block_on(fetch()) //~ block_on_in_async
}

async fn annotated_handle(h: Handle) -> String {
    let s = h.block_on(fetch()); //~ block_on_in_async
    s
}

fn sync_annotated(rt: &Runtime) -> String {
    rt.block_on(fetch()) // ok: sync fn
}

mod compat {
    // A local `block_on` that is not an executor (say, waits on a local latch).
    pub fn block_on(label: &str) -> String {
        label.to_owned()
    }

    pub async fn use_local() -> String {
        block_on("a") // ok: local fn
    }

    pub async fn use_self() -> String {
        self::block_on("b") // ok: local fn via self::
    }

    pub mod inner {
        pub async fn use_super() -> String {
            super::block_on("c") // ok: local fn via super::
        }

        pub async fn use_crate() -> String {
            crate::compat::block_on("d") // ok: local fn via crate::
        }

        pub async fn use_crate_root_import() -> String {
            crate::block_on(super::super::fetch()) //~ block_on_in_async
        }

        pub async fn use_super_executor() -> String {
            crate::executor::block_on(async { String::new() }) //~ block_on_in_async
        }
    }
}

mod shadows_import {
    use futures::executor::block_on;

    pub async fn external() -> u8 {
        block_on(async { 1 }) //~ block_on_in_async
    }

    pub mod local {
        fn block_on(x: u8) -> u8 {
            x
        }

        pub async fn local() -> u8 {
            block_on(1) // ok: local fn shadows nothing here; it is the only block_on in scope
        }
    }
}

mod tokio_only {
    use tokio::runtime::Handle;

    pub async fn spawn_on(h: &Handle) {
        let t = h.spawn(async {}); // ok: spawn is not block_on
        let _ = t.await;
    }
}
