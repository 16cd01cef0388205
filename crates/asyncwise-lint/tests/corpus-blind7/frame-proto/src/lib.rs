//! A length-prefixed frame protocol and the line-based admin console beside it.

pub mod console;
pub mod session;
pub mod poll;

/// A decoded frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub kind: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn decode(buf: &[u8]) -> std::io::Result<Self> {
        let (&kind, payload) = buf
            .split_first()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "empty frame"))?;
        Ok(Self { kind, payload: payload.to_vec() })
    }
}
