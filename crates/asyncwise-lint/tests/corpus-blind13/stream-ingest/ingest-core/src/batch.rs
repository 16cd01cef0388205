use crate::codec::Event;

pub struct Batcher {
    items: Vec<Event>,
    max: usize,
}

impl Batcher {
    pub fn new(max: usize) -> Self {
        Batcher {
            items: Vec::with_capacity(max),
            max,
        }
    }

    pub fn push(&mut self, event: Event) -> bool {
        self.items.push(event);
        self.items.len() >= self.max
    }

    pub fn take(&mut self) -> Vec<Event> {
        std::mem::replace(&mut self.items, Vec::with_capacity(self.max))
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str) -> Event {
        Event {
            tenant: "t".into(),
            kind: kind.into(),
            at_ms: 0,
            attrs: serde_json::Value::Null,
        }
    }

    #[test]
    fn reports_full_at_max() {
        let mut b = Batcher::new(2);
        assert!(!b.push(ev("a")));
        assert!(b.push(ev("b")));
        assert_eq!(b.take().len(), 2);
        assert!(b.is_empty());
    }
}
