#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QoS {
    AtMostOnce = 0,
    AtLeastOnce = 1,
}

#[derive(Debug, Clone)]
pub enum Packet {
    ConnAck { code: u8 },
    Publish { pid: u16, topic: String, payload: Vec<u8> },
    PubAck { pid: u16 },
    PingResp,
    Other(u8),
}

pub fn remaining_length(mut n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(4);
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            return out;
        }
    }
}

pub fn encode_publish(pid: u16, topic: &str, payload: &[u8], qos: QoS) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    body.extend_from_slice(topic.as_bytes());
    if qos == QoS::AtLeastOnce {
        body.extend_from_slice(&pid.to_be_bytes());
    }
    body.extend_from_slice(payload);
    let mut out = vec![0x30 | ((qos as u8) << 1)];
    out.extend(remaining_length(body.len()));
    out.extend(body);
    out
}

pub fn decode(header: u8, body: &[u8]) -> Packet {
    match header >> 4 {
        2 => Packet::ConnAck { code: body.get(1).copied().unwrap_or(0xff) },
        3 => {
            let tlen = u16::from_be_bytes([body[0], body[1]]) as usize;
            let topic = String::from_utf8_lossy(&body[2..2 + tlen]).into_owned();
            let pid = if header & 0x06 != 0 {
                u16::from_be_bytes([body[2 + tlen], body[3 + tlen]])
            } else {
                0
            };
            let start = 2 + tlen + if header & 0x06 != 0 { 2 } else { 0 };
            Packet::Publish { pid, topic, payload: body[start..].to_vec() }
        }
        4 => Packet::PubAck { pid: u16::from_be_bytes([body[0], body[1]]) },
        13 => Packet::PingResp,
        other => Packet::Other(other),
    }
}
