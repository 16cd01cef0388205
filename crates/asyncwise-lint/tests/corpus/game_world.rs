//! Authoritative world simulation for the arena server.
//!
//! The world is stepped at a fixed tick rate; each connected session gets a
//! snapshot after every step.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, trace, warn};

use crate::net::{ClientMsg, ServerMsg, Session};
use crate::physics::step_world;

const NUM_SHARDS: usize = 4;
const TICK: Duration = Duration::from_millis(50);

#[derive(Clone, Serialize)]
pub struct Entity {
    pub id: u64,
    pub pos: (f32, f32),
    pub vel: (f32, f32),
}

#[derive(Default, Serialize)]
pub struct World {
    pub entities: HashMap<u64, Entity>,
    pub tick: u64,
}

pub struct ServerConfig {
    pub ai_workers: usize,
    pub save_path: PathBuf,
}

pub struct GameServer {
    world: Arc<RwLock<World>>,
    sessions: Mutex<HashMap<u64, mpsc::UnboundedSender<ServerMsg>>>,
    events: broadcast::Sender<ServerMsg>,
    cfg: ServerConfig,
}

impl GameServer {
    pub fn new(cfg: ServerConfig) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            world: Arc::new(RwLock::new(World::default())),
            sessions: Mutex::new(HashMap::new()),
            events,
            cfg,
        }
    }

    pub fn register(&self, id: u64) -> mpsc::UnboundedReceiver<ServerMsg> {
        let (tx, rx) = mpsc::unbounded_channel(); //~ unbounded_channel
        self.sessions.lock().insert(id, tx);
        rx
    }

    pub async fn run(self: Arc<Self>, token: CancellationToken) {
        let mut shards = JoinSet::new();
        for shard in 0..NUM_SHARDS {
            let this = Arc::clone(&self);
            let token = token.clone();
            shards.spawn(async move { this.shard_loop(shard, token).await });
        }
        for worker in 0..self.cfg.ai_workers {
            let this = Arc::clone(&self);
            tokio::spawn(async move { //~ unbounded_spawn
                this.ai_loop(worker).await;
            });
        }

        let mut interval = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = token.cancelled() => break,
            }
            let started = Instant::now();
            {
                let mut world = self.world.write();
                step_world(&mut world, TICK);
                world.tick += 1;
            }
            self.broadcast_snapshot().await;
            trace!(elapsed = ?started.elapsed(), "tick done");
        }
        while let Some(res) = shards.join_next().await {
            if let Err(e) = res {
                warn!(error = %e, "shard task failed");
            }
        }
        info!("simulation stopped");
    }

    async fn shard_loop(&self, shard: usize, token: CancellationToken) {
        let mut rx = self.events.subscribe();
        while !token.is_cancelled() {
            match rx.recv().await {
                Ok(msg) => trace!(shard, ?msg, "shard event"),
                Err(broadcast::error::RecvError::Lagged(n)) => warn!(shard, n, "shard lagged"),
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }

    async fn ai_loop(&self, worker: usize) {
        loop {
            tokio::time::sleep(TICK * 2).await;
            let ids: Vec<u64> = self.world.read().entities.keys().copied().collect();
            debug!(worker, n = ids.len(), "ai pass");
        }
    }

    async fn broadcast_snapshot(&self) {
        let world = self.world.read(); //~ lock_across_await
        let snapshot = ServerMsg::Snapshot {
            tick: world.tick,
            entities: world.entities.values().cloned().collect(),
        };
        let sessions: Vec<_> = self.sessions.lock().values().cloned().collect();
        for tx in sessions {
            if tx.send(snapshot.clone()).is_err() {
                trace!("session closed during broadcast");
            }
        }
        tokio::task::yield_now().await;
    }

    fn apply(&self, id: u64, msg: ClientMsg) {
        let mut world = self.world.write();
        if let (Some(e), ClientMsg::Move { dx, dy }) = (world.entities.get_mut(&id), msg) {
            e.vel = (dx, dy);
        }
    }

    pub async fn handle_client(self: Arc<Self>, mut session: Session) -> anyhow::Result<()> {
        let id = session.id();
        let mut rx = self.register(id);
        loop {
            tokio::select! {
                incoming = session.recv() => match incoming? {
                    Some(msg) => self.apply(id, msg),
                    None => break,
                },
                Some(out) = rx.recv() => session.send(out).await?,
            }
        }
        self.sessions.lock().remove(&id);
        Ok(())
    }

    pub async fn autosave(&self) -> anyhow::Result<()> {
        let (tx, rx) = std_mpsc::channel(); //~ unbounded_channel
        let world = Arc::clone(&self.world);
        let path = self.cfg.save_path.clone();
        std::thread::spawn(move || {
            let bytes = bincode::serialize(&*world.read()).expect("world serializes");
            let res = std::fs::write(&path, bytes);
            let _ = tx.send(res);
        });
        rx.recv()??; //~ blocking_in_async
        info!(path = %self.cfg.save_path.display(), "world saved");
        Ok(())
    }

    pub async fn flush_before_exit(&self) {
        let save = self.autosave();
        if let Err(e) = pollster::block_on(save) { //~ block_on_in_async
            warn!(error = %e, "final save failed");
        }
    }
}

/// Background persistence used by the offline map editor (no runtime).
pub fn spawn_persistence_thread(path: PathBuf) -> std_mpsc::Sender<Vec<u8>> {
    let (tx, rx) = std_mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        for snapshot in rx {
            if let Err(e) = std::fs::write(&path, snapshot) {
                warn!(error = %e, "snapshot write failed");
            }
        }
    });
    tx
}
