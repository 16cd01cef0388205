// lock_across_await: guards nobody else can contend for are the pedantic form.
// Readings chosen:
// - a read guard (`DashMap::get`/`iter`, `RwLock::read`) of a private field that no code of
//   the crate writes or hands out after the value is built: only a writer waits for a read
//   guard, so nobody waits (pedantic). One writer anywhere (`insert`, `remove`, `write()`, an
//   `Arc` clone handed to a task, `&field` passed to a helper, a write inside a macro) keeps
//   the default form;
// - a guard on `self.field` in a method taking `&mut self`, the field stored directly in the
//   struct: nothing else reaches the lock while the method runs (pedantic); behind `Arc` the
//   lock may have other owners (default);
// - an exclusive guard (`Mutex::lock`, `DashMap::get_mut`) contends with every other locker,
//   written or not: default;
// - a `pub` field of a `pub` struct may be written by other crates: default.
use dashmap::DashMap;
use std::sync::{Arc, Mutex, RwLock};

pub struct Worker;
impl Worker {
    pub async fn run(&self, job: &str) {
        tokio::fs::write("/tmp/job", job).await.ok();
    }
    pub async fn step(&self, prev: u32) -> u32 {
        tokio::task::yield_now().await;
        prev + 1
    }
}

// Built once from a list, only read afterwards.
struct Pool {
    workers: DashMap<String, Worker>,
    weights: RwLock<Vec<u32>>,
}

impl Pool {
    fn new(names: Vec<String>) -> Self {
        Pool {
            workers: names.into_iter().map(|n| (n, Worker)).collect(),
            weights: RwLock::new(vec![1, 2, 3]),
        }
    }

    fn size(&self) -> usize {
        self.workers.len()
    }

    async fn dispatch(&self, name: &str, job: &str) {
        if let Some(w) = self.workers.get(name) { //~ lock_across_await(pedantic)
            w.run(job).await;
        }
    }

    async fn broadcast(&self, job: &str) {
        let mut seq = job.len() as u32;
        for w in self.workers.iter() { //~ lock_across_await(pedantic)
            seq = w.value().step(seq).await;
        }
    }

    async fn broadcast_by_alias(&self, job: &str) {
        let workers = &self.workers;
        let mut done = Vec::with_capacity(workers.len());
        let mut seq = job.len() as u32;
        for w in workers.iter() { //~ lock_across_await(pedantic)
            seq = w.value().step(seq).await;
            done.push(w.key().clone());
        }
    }

    async fn weighted(&self, job: &str) {
        let weights = self.weights.read().unwrap(); //~ lock_across_await(pedantic)
        Worker.run(job).await;
        drop(weights);
    }
}

// A background flusher reads while another method inserts: a writer waits on the read guard.
struct Offsets {
    seen: Arc<DashMap<u32, u64>>,
}

impl Offsets {
    fn record(&self, partition: u32, offset: u64) {
        self.seen.insert(partition, offset);
    }

    async fn flush(&self, sink: &Worker) {
        for e in self.seen.iter() { //~ lock_across_await
            sink.run(&e.value().to_string()).await;
        }
    }

    // `&mut self`, but the map is behind an `Arc` a clone of which may be elsewhere.
    async fn close(&mut self, sink: &Worker) {
        for e in self.seen.iter() { //~ lock_across_await
            sink.run(&e.value().to_string()).await;
        }
    }
}

// Written only through a copy of the `Arc` handed to a task.
struct Feed {
    latest: Arc<DashMap<u32, String>>,
}

impl Feed {
    fn start(&self) {
        let latest = self.latest.clone();
        tokio::spawn(async move {
            latest.insert(1, "one".into());
        });
    }

    async fn show(&self, out: &Worker) {
        if let Some(v) = self.latest.get(&1) { //~ lock_across_await
            out.run(&v).await;
        }
    }
}

// Written by a helper it is lent to, and inside a macro.
struct Table {
    rows: DashMap<u32, String>,
    names: DashMap<u32, String>,
}

fn fill(rows: &DashMap<u32, String>) {
    rows.insert(7, "seven".into());
}

impl Table {
    fn load(&self) {
        fill(&self.rows);
        println!("dropped {:?}", self.names.remove(&7));
    }

    async fn show(&self, out: &Worker) {
        if let Some(r) = self.rows.get(&7) { //~ lock_across_await
            out.run(&r).await;
        }
        if let Some(n) = self.names.get(&7) { //~ lock_across_await
            out.run(&n).await;
        }
    }
}

// Exclusive access through `&mut self`.
// (The values being `Arc`s says nothing about the map itself.)
struct Buffers {
    parts: DashMap<u32, Arc<Vec<u8>>>,
    pending: Mutex<Vec<u8>>,
}

impl Buffers {
    fn add(&self, k: u32, v: Vec<u8>) {
        self.parts.insert(k, Arc::new(v));
        self.pending.lock().unwrap().push(1);
    }

    async fn close(&mut self, out: &Worker) {
        let mut seq = 0;
        for p in self.parts.iter() { //~ lock_across_await(pedantic)
            seq = out.step(seq + p.key()).await;
        }
        let pending = self.pending.lock().unwrap(); //~ lock_across_await(pedantic)
        out.run("pending").await;
        drop(pending);
    }

    async fn flush(&self, out: &Worker) {
        let mut seq = 0;
        for p in self.parts.iter() { //~ lock_across_await
            seq = out.step(seq + p.key()).await;
        }
    }
}

// Never written, but an exclusive guard, or a field other crates can write.
pub struct Limits {
    caps: Mutex<u32>,
    pub shared: DashMap<u32, u32>,
}

impl Limits {
    pub async fn check(&self, out: &Worker) {
        let caps = self.caps.lock().unwrap(); //~ lock_across_await
        out.run(&caps.to_string()).await;
        drop(caps);
        if let Some(mut c) = self.shared.get_mut(&1) { //~ lock_across_await
            *c += 1;
            out.run("bumped").await;
        }
        if let Some(c) = self.shared.get(&1) { //~ lock_across_await
            out.run(&c.to_string()).await;
        }
    }
}
