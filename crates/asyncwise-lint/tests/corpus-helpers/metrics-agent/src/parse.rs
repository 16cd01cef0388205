//! statsd line format: `name:value|type`, one or more per datagram.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub name: String,
    pub value: f64,
    pub kind: char,
}

pub fn parse_datagram(data: &[u8]) -> Vec<Sample> {
    String::from_utf8_lossy(data).lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let (name, rest) = line.split_once(':')?;
    let (value, kind) = rest.split_once('|')?;
    Some(Sample {
        name: name.to_owned(),
        value: value.parse().ok()?,
        kind: kind.chars().next()?,
    })
}
