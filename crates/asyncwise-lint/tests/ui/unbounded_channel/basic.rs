// unbounded_channel: unbounded async-channel constructors fire anywhere (async or sync code);
// bounded constructors and mentions of the unbounded types never do.
//
// Readings chosen where the issue is not explicit:
// - "kanal's unbounded async channels" is `kanal::unbounded_async`; kanal's sync
//   `kanal::unbounded` is treated like crossbeam's (async context only).
// - Naming an unbounded type (`UnboundedSender<T>` in a signature or field) is not a
//   constructor call and does not fire.

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

struct Event(u64);

struct Bus {
    tx: UnboundedSender<Event>, // ok: a type, not a constructor
}

fn make_bus() -> (Bus, UnboundedReceiver<Event>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel(); //~ unbounded_channel
    (Bus { tx }, rx)
}

async fn make_bus_async() -> (Bus, UnboundedReceiver<Event>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>(); //~ unbounded_channel
    (Bus { tx }, rx)
}

fn futures_unbounded() {
    let (_tx, _rx) = futures::channel::mpsc::unbounded::<Event>(); //~ unbounded_channel(pedantic)
}

async fn other_crates() {
    let (_a, _b) = async_channel::unbounded::<Event>(); //~ unbounded_channel(pedantic)
    let (_c, _d) = flume::unbounded::<Event>(); //~ unbounded_channel(pedantic)
    let (_e, _f) = async_std::channel::unbounded::<Event>(); //~ unbounded_channel(pedantic)
    let (_g, _h) = kanal::unbounded_async::<Event>(); //~ unbounded_channel(pedantic)
}

fn other_crates_sync() {
    let (_a, _b) = async_channel::unbounded::<Event>(); //~ unbounded_channel(pedantic)
    let (_c, _d) = flume::unbounded::<Event>(); //~ unbounded_channel(pedantic)
}

async fn bounded() {
    let (_a, _b) = tokio::sync::mpsc::channel::<Event>(1024); // ok: bounded
    let (_c, _d) = futures::channel::mpsc::channel::<Event>(64); // ok: bounded
    let (_e, _f) = async_channel::bounded::<Event>(64); // ok: bounded
    let (_g, _h) = flume::bounded::<Event>(64); // ok: bounded
    let (_i, _j) = async_std::channel::bounded::<Event>(64); // ok: bounded
    let (_k, _l) = kanal::bounded_async::<Event>(64); // ok: bounded
    let (_m, _n) = crossbeam_channel::bounded::<Event>(64); // ok: bounded
    let (_o, _p) = std::sync::mpsc::sync_channel::<Event>(64); // ok: bounded
}

async fn single_value_channels() {
    let (_a, _b) = tokio::sync::oneshot::channel::<Event>(); // ok: oneshot
    let (_c, _d) = tokio::sync::watch::channel(0u64); // ok: watch keeps one value
    let (_e, _f) = tokio::sync::broadcast::channel::<u64>(16); // ok: bounded
    let (_g, _h) = futures::channel::oneshot::channel::<Event>(); // ok: oneshot
}

impl Bus {
    fn publish(&self, e: Event) {
        let _ = self.tx.send(e); // ok: sending is not constructing
    }
}
