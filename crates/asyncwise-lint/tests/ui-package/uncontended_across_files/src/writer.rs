use crate::offsets::Offsets;

impl Offsets {
    pub fn record(&self, partition: u32, offset: u64) {
        self.seen.insert(partition, offset);
    }
}
