//! A minimal SMTP client over a blocking `std::net::TcpStream`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub helo: String,
}

pub fn send_plain(cfg: &SmtpConfig, from: &str, to: &str, body: &str) -> io::Result<()> {
    let stream = TcpStream::connect((cfg.host.as_str(), cfg.port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    expect_code(&mut reader, 220)?;
    command(&mut writer, &mut reader, &format!("HELO {}", cfg.helo), 250)?;
    command(&mut writer, &mut reader, &format!("MAIL FROM:<{from}>"), 250)?;
    command(&mut writer, &mut reader, &format!("RCPT TO:<{to}>"), 250)?;
    command(&mut writer, &mut reader, "DATA", 354)?;
    command(&mut writer, &mut reader, &format!("{}\r\n.", dot_stuff(body)), 250)?;
    command(&mut writer, &mut reader, "QUIT", 221)
}

/// Whether the relay accepts connections (the readiness probe).
pub async fn relay_reachable(cfg: &SmtpConfig) -> bool {
    TcpStream::connect((cfg.host.as_str(), cfg.port)).is_ok() //~ blocking_in_async
}

fn command(w: &mut impl Write, r: &mut impl BufRead, line: &str, code: u16) -> io::Result<()> {
    w.write_all(line.as_bytes())?;
    w.write_all(b"\r\n")?;
    expect_code(r, code)
}

fn expect_code(r: &mut impl BufRead, code: u16) -> io::Result<()> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    if line.get(..3) == Some(code.to_string().as_str()) {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::Other, format!("expected {code}, got {line:?}")))
    }
}

fn dot_stuff(body: &str) -> String {
    body.lines()
        .map(|l| if l.starts_with('.') { format!(".{l}") } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\r\n")
}
