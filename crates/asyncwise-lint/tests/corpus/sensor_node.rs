//! Single-threaded sensor node: a current-thread runtime with a LocalSet,
//! `Rc`/`RefCell` state and `spawn_local` tasks.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::BufRead;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{self, LocalSet};

type Shared<T> = Rc<RefCell<T>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SensorId(u8);

#[derive(Clone, Debug)]
pub struct Reading {
    sensor: SensorId,
    value: f32,
}

#[derive(Clone, Debug)]
pub struct Config {
    topic: String,
    sample_every: Duration,
    threshold: f32,
}

#[derive(Debug)]
pub struct BusError;

#[async_trait::async_trait(?Send)]
pub trait Bus {
    async fn read(&self, id: SensorId) -> Reading;
    async fn publish(&self, topic: &str, batch: &[Reading]) -> Result<(), BusError>;
    async fn ack(&self);
}

pub enum Command {
    SetThreshold(f32),
    Flush,
    Quit,
}

pub struct Node {
    readings: RefCell<VecDeque<Reading>>,
    config: RefCell<Config>,
    ticks: Cell<u64>,
    bus: Rc<dyn Bus>,
}

impl Node {
    async fn sample_loop(self: Rc<Self>, sensors: Vec<SensorId>) {
        let every = self.config.borrow().sample_every;
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            for id in &sensors {
                let r = self.bus.read(*id).await;
                self.readings.borrow_mut().push_back(r);
            }
            self.ticks.set(self.ticks.get() + 1);
        }
    }

    async fn publish(&self) -> Result<(), BusError> {
        let cfg = self.config.borrow(); //~ lock_across_await
        let batch: Vec<Reading> = self.readings.borrow_mut().drain(..).collect();
        if batch.is_empty() {
            return Ok(());
        }
        self.bus.publish(&cfg.topic, &batch).await?;
        Ok(())
    }

    async fn publish_forever(self: Rc<Self>) -> Result<(), BusError> {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            self.publish().await?;
        }
    }

    async fn reconfigure(&self, new: Config) {
        {
            let mut cfg = self.config.borrow_mut();
            *cfg = new;
        }
        self.bus.ack().await;
    }

    async fn alarm_check(&self) {
        let threshold = self.config.borrow().threshold;
        let hot = self.readings.borrow().iter().any(|r| r.value > threshold);
        if hot {
            self.bus.ack().await;
        }
    }
}

async fn watch_sensor(node: Rc<Node>, id: SensorId, counts: Shared<Vec<u32>>) {
    loop {
        let r = node.bus.read(id).await;
        let mut c = counts.borrow_mut(); //~ lock_across_await
        c[id.0 as usize] += 1;
        if r.value > 100.0 {
            node.bus.ack().await;
        }
    }
}

async fn console(cmds: mpsc::UnboundedSender<Command>) {
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 { //~ blocking_in_async
            let _ = cmds.send(Command::Quit);
            return;
        }
        let cmd = match line.trim() {
            "flush" => Command::Flush,
            "quit" => Command::Quit,
            other => match other.parse() {
                Ok(t) => Command::SetThreshold(t),
                Err(_) => continue,
            },
        };
        if cmds.send(cmd).is_err() {
            return;
        }
        task::yield_now().await;
    }
}

async fn control(node: Rc<Node>, mut rx: mpsc::UnboundedReceiver<Command>) {
    while let Some(cmd) = rx.recv().await {
        match cmd {
            Command::SetThreshold(t) => {
                let mut cfg = node.config.borrow().clone();
                cfg.threshold = t;
                node.reconfigure(cfg).await;
            }
            Command::Flush => {
                if let Err(e) = node.publish().await {
                    eprintln!("flush failed: {e:?}");
                }
            }
            Command::Quit => break,
        }
    }
}

fn main() -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = LocalSet::new();
    local.block_on(&rt, async move {
        let node = Rc::new(Node {
            readings: RefCell::new(VecDeque::new()),
            config: RefCell::new(Config {
                topic: "node/7".into(),
                sample_every: Duration::from_millis(500),
                threshold: 80.0,
            }),
            ticks: Cell::new(0),
            bus: open_bus(),
        });
        let sensors: Vec<SensorId> = (0u8..8).map(SensorId).collect();
        let counts: Shared<Vec<u32>> = Rc::new(RefCell::new(vec![0; 8]));
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel(); //~ unbounded_channel

        let sampler = task::spawn_local(node.clone().sample_loop(sensors.clone()));
        task::spawn_local(node.clone().publish_forever()); //~ detached_task
        for id in sensors.iter().copied() {
            task::spawn_local(watch_sensor(node.clone(), id, counts.clone())); //~ unbounded_spawn
        }
        task::spawn_local(console(cmd_tx));
        control(node.clone(), cmd_rx).await;
        node.alarm_check().await;
        sampler.abort();
    });
    Ok(())
}

fn open_bus() -> Rc<dyn Bus> {
    unimplemented!("board support package")
}
