use crate::Cache;

pub struct Conn;

impl Conn {
    pub async fn write(&mut self, _bytes: &[u8]) {}
}

pub async fn log(_n: u32) {}

impl Cache {
    pub async fn send(&self, bytes: &[u8]) {
        let mut conn = self.conn.lock().await;
        conn.write(bytes).await;
        conn.write(b"\n").await;
    }
}

pub async fn remember(name: String) {
    let mut session = crate::SESSION.lock().await;
    log(0).await;
    *session = Some(name);
}
