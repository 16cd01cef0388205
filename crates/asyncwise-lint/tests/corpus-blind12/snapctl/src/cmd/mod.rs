pub mod pull;
pub mod push;
pub mod verify;
