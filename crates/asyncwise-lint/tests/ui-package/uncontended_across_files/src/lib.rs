// lock_across_await across files: whether anyone can contend for a read guard is a question
// about every file of the crate. `Registry.entries` (declared in `registry.rs`) is built once
// and only read anywhere (`manager.rs`, `status.rs`): its shard read guards held across awaits
// block nobody (the pedantic form), also through a parameter of the struct's type and a
// local bound to `&self.entries`. A field of the same name on another struct (`Runtime.entries`,
// a `Registry`) has methods called on it that say nothing about the map. `Sessions.live` is
// filled through a local before the struct is built and never written after (pedantic).
// A private field is reached only from its own module: a write of a `live` field in
// `cache.rs`, whose struct the use does not name, is not `Sessions.live`.
// `Offsets.seen` is written in `writer.rs` and read across an await in `flusher.rs`: default.
pub mod cache;
pub mod flusher;
pub mod manager;
pub mod offsets;
pub mod registry;
pub mod sessions;
pub mod status;
pub mod writer;
