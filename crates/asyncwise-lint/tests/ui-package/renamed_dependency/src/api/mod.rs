extern crate chat_core as chat;

pub mod client;
