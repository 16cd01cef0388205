pub mod game;
pub mod lobby;
pub mod net;

pub type PlayerId = u64;
