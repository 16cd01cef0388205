// lock_across_await: an `async fn` of the crate with no await point (and no macro that may
// hide one) runs to its end when awaited, as a plain call does: a guard alive across that
// await is never held across a suspension, which is the pedantic form (one `.await` added to
// the callee makes it a suspension). The callee is found by name (and, for a method, by
// its number of arguments) in every file of the crate; every await the guard is alive across
// must be such a call. Readings: a callee that awaits anything, calls a macro that may await
// (`select!`, a crate's own macro), or is not the crate's (a library's future), may suspend.
// So may a placeholder, a body that mentions none of its inputs (`async fn save(&self, _doc:
// &Doc) {}` standing for I/O in a sketch), and a method on a value of unknown type whose name
// libraries' futures share (`send`, `flush`): it may be the library's.
use std::sync::Mutex;

use dashmap::DashMap;

pub struct Router {
    sessions: DashMap<u64, Session>,
    log: Mutex<Vec<String>>,
}

pub struct Session {
    outbox: std::sync::mpsc::Sender<String>,
}

impl Session {
    // Queues the message on a synchronous channel: never suspends.
    pub async fn send_message(&self, msg: String) {
        let _ = self.outbox.send(msg);
        tracing::debug!("queued");
    }

    // Named like a library's future: on a value of unknown type it may be the library's.
    pub async fn flush(&self) {
        let _ = self.outbox.send(String::new());
    }

    // A placeholder: mentions none of its inputs, stands for work it does not show.
    pub async fn persist(&self, _msg: String) {}

    // Awaits the network: suspends.
    pub async fn deliver(&self, msg: String, net: &Net) {
        net.write(msg).await;
    }
}

macro_rules! wait_a_bit {
    () => {
        tokio::task::yield_now().await
    };
}

pub async fn settle() {
    wait_a_bit!();
}

impl Router {
    // The map is written, so its read guards can be contended for (the default form).
    pub fn open(&self, id: u64, s: Session) {
        self.sessions.insert(id, s);
    }

    pub async fn ack(&self, id: u64) {
        if let Some(s) = self.sessions.get(&id) { //~ lock_across_await(pedantic)
            s.send_message("ack".into()).await;
        }
    }

    pub async fn ack_twice(&self, id: u64) {
        let s = self.sessions.get(&id).unwrap(); //~ lock_across_await(pedantic)
        s.send_message("a".into()).await;
        s.send_message("b".into()).await;
    }

    pub async fn forward(&self, id: u64, net: &Net) {
        if let Some(s) = self.sessions.get(&id) { //~ lock_across_await
            s.deliver("fwd".into(), net).await;
        }
    }

    // The first await never suspends, the second does.
    pub async fn ack_then_forward(&self, id: u64, net: &Net) {
        let s = self.sessions.get(&id).unwrap(); //~ lock_across_await
        s.send_message("a".into()).await;
        s.deliver("b".into(), net).await;
    }

    // A macro in the callee may await.
    pub async fn settle_locked(&self) {
        let log = self.log.lock().unwrap(); //~ lock_across_await
        settle().await;
        drop(log);
    }

    pub async fn persist_locked(&self, id: u64) {
        if let Some(s) = self.sessions.get(&id) { //~ lock_across_await
            s.persist("x".into()).await;
        }
    }

    pub async fn flush_locked(&self, id: u64) {
        if let Some(s) = self.sessions.get(&id) { //~ lock_across_await
            s.flush().await;
        }
    }

    // A library's future: a tokio channel's `send` may wait for room.
    pub async fn notify(&self, tx: &tokio::sync::mpsc::Sender<String>) {
        let log = self.log.lock().unwrap(); //~ lock_across_await
        tx.send(log.join(",")).await.ok();
    }
}

pub struct Net;

impl Net {
    pub async fn write(&self, _msg: String) {
        tokio::task::yield_now().await;
    }
}
