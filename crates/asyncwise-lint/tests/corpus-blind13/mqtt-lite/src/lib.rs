//! A small MQTT 3.1.1 client on smol.

mod client;
mod packet;
mod session;

pub use client::{Client, Options};
pub use packet::{Packet, QoS};
pub use session::Session;
