/// A value set once and read by many: `read` clones it out of a watch channel.
#[derive(Clone)]
pub struct Latch<T: Clone> {
    rx: tokio::sync::watch::Receiver<Option<T>>,
}

impl<T: Clone> Latch<T> {
    pub fn read(&self) -> Option<T> {
        self.rx.borrow().clone()
    }
}

pub trait LatchSource: Send + Sync {
    fn latch(&self) -> Latch<u32>;
}
