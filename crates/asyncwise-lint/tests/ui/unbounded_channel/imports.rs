// unbounded_channel: renamed, grouped and glob imports; `self::`/`super::`/`crate::` paths;
// local modules and functions that shadow the channel constructors.

use tokio::sync::mpsc::unbounded_channel as queue;
use tokio::sync::{mpsc, oneshot};
use flume::{bounded, unbounded};
use futures::channel::mpsc as fmpsc;

struct Msg;

fn renamed() {
    let (_tx, _rx) = queue::<Msg>(); //~ unbounded_channel
}

async fn grouped() {
    let (_tx, _rx) = mpsc::unbounded_channel::<Msg>(); //~ unbounded_channel(pedantic)
    let (_btx, _brx) = mpsc::channel::<Msg>(8); // ok: bounded
    let (_otx, _orx) = oneshot::channel::<Msg>(); // ok: oneshot
}

fn grouped_flume() {
    let (_a, _b) = unbounded::<Msg>(); //~ unbounded_channel(pedantic)
    let (_c, _d) = bounded::<Msg>(8); // ok: bounded
}

fn module_alias() {
    let (_a, _b) = fmpsc::unbounded::<Msg>(); //~ unbounded_channel(pedantic)
    let (_c, _d) = fmpsc::channel::<Msg>(8); // ok: bounded
}

mod glob {
    use tokio::sync::mpsc::*;

    pub fn make() {
        let (_tx, _rx) = unbounded_channel::<super::Msg>(); //~ unbounded_channel(pedantic)
        let (_btx, _brx) = channel::<super::Msg>(4); // ok: bounded tokio channel
    }
}

mod nested {
    pub mod deeper {
        pub fn via_super() {
            let (_tx, _rx) = super::super::mpsc::unbounded_channel::<u8>(); //~ unbounded_channel(pedantic)
        }

        pub fn via_crate() {
            let (_tx, _rx) = crate::queue::<u8>(); //~ unbounded_channel
        }
    }

    use super::unbounded as flume_unbounded;

    pub fn via_use_super() {
        let (_a, _b) = flume_unbounded::<u8>(); //~ unbounded_channel(pedantic)
    }
}

mod bus {
    // A local module with its own bounded `unbounded`: a ring buffer that drops the oldest.
    pub fn unbounded<T>() -> (Vec<T>, usize) {
        (Vec::new(), 1024)
    }

    pub fn unbounded_channel<T>() -> (Vec<T>, usize) {
        (Vec::new(), 1024)
    }

    pub fn local() {
        let _ = unbounded::<u8>(); // ok: bus::unbounded
        let _ = self::unbounded_channel::<u8>(); // ok: bus::unbounded_channel
    }

    pub mod sub {
        pub fn parent() {
            let _ = super::unbounded::<u8>(); // ok: bus::unbounded via super::
        }
    }
}

fn local_module_paths() {
    let _ = bus::unbounded::<u8>(); // ok: local module
    let _ = crate::bus::unbounded_channel::<u8>(); // ok: local module via crate::
}

mod shadowing_fn {
    use tokio::sync::mpsc::unbounded_channel;

    pub fn uses_import() {
        let (_tx, _rx) = unbounded_channel::<u8>(); //~ unbounded_channel(pedantic)
    }

    pub mod inner {
        fn unbounded_channel() -> (u8, u8) {
            (0, 0)
        }

        pub fn uses_local() {
            let _ = unbounded_channel(); // ok: local fn
        }
    }
}

mod mpsc_shadow {
    // A local `mpsc` module: not tokio's (the crate-root import is not visible here).
    mod mpsc {
        pub fn unbounded_channel() -> (u8, u8) {
            (0, 0)
        }
    }

    pub fn uses_local_mpsc() {
        let _ = mpsc::unbounded_channel(); // ok: local module
    }
}
