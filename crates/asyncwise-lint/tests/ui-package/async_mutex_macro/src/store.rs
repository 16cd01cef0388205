use tokio::sync::Mutex;

#[derive(Default)]
pub struct Store {
    db: Mutex<Db>, // ok: the macro below locks `db` and awaits another lock while holding it
    v4: Mutex<Pool>, // ok: locked through the macro's `$pool` metavariable
    names: Mutex<Vec<String>>, // ok: this file's macro locks a metavariable, which may be this lock
}

macro_rules! take_address {
    ($s:ident, $name:ident, $pool:ident) => {{
        let db = $s.db.lock().await;
        let next = $s.$pool.lock().await.next();
        db.put($name, next);
    }};
}

impl Store {
    pub async fn assign(&self, name: &str) {
        take_address!(self, name, v4);
        self.names.lock().await.push(name.to_string());
    }

    pub async fn count(&self) -> usize {
        let n = self.db.lock().await.len();
        n
    }
}
