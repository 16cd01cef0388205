// A method call resolves to the methods of its receiver's type when that type is known: two
// types of the file both have a `run`, one fallible and one not. A type-less receiver matches
// any method of that name, and is judged only when they all agree (here they do not: the
// trait's bodiless declaration is not a function the crate index holds, and `Gate::run`
// returns `()`); a trait's default method belongs to every implementer.
use std::io;

pub struct Listener {
    port: u16,
}

impl Listener {
    pub async fn run(self) -> io::Result<Handle> {
        tokio::net::TcpListener::bind(("0.0.0.0", self.port)).await?;
        let gate = Gate { port: self.port };
        tokio::task::spawn(gate.run()); // ok: `Gate::run` returns ()
        let gate = Gate { port: self.port + 1 };
        tokio::spawn(async move { gate.run().await }); // ok: `Gate::run` again, awaited in a block
        let gate = Gate { port: self.port + 2 };
        let serve = async move { gate.run().await };
        tokio::spawn(serve); // ok: the bound block ends in `Gate::run`
        let listener = Listener { port: 0 };
        tokio::spawn(listener.run()); //~ detached_task
        Ok(Handle)
    }
}

struct Gate {
    port: u16,
}

impl Gate {
    async fn run(self) {
        let _ = self.port;
    }
}

pub fn start_unknown(service: impl Runner + Send + 'static) {
    tokio::spawn(service.run()); // ok: which `run` is not known, and the crate's disagree
}

pub trait Runner {
    fn run(self) -> impl std::future::Future<Output = io::Result<Handle>> + Send;
}

pub struct Probe;

pub trait Check {
    async fn check(&self) -> io::Result<()> {
        tokio::fs::metadata("/run/probe").await?;
        Ok(())
    }
}

impl Check for Probe {}

pub fn start_probe(probe: &'static Probe) {
    tokio::spawn(probe.check()); //~ detached_task
}

pub struct Handle;
