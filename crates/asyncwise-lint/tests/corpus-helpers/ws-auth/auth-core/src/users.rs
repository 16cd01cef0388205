//! Users in a JSON file: small deployments only.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub password_hash: String,
}

pub struct UserDb {
    path: PathBuf,
    users: Mutex<HashMap<String, User>>,
}

impl UserDb {
    pub fn open(path: PathBuf) -> io::Result<UserDb> {
        let users = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(io::Error::from)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e),
        };
        Ok(UserDb {
            path,
            users: Mutex::new(users),
        })
    }

    /// Re-reads the file (the API calls this on SIGHUP); returns the number of users.
    pub async fn reload(&self) -> io::Result<usize> {
        let fresh = UserDb::open(self.path.clone())?; // @helper //~ blocking_in_async
        let fresh = fresh.users.into_inner().unwrap_or_else(|e| e.into_inner());
        let n = fresh.len();
        *self.users.lock().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(n)
    }

    pub fn find(&self, name: &str) -> Option<User> {
        self.users.lock().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
    }

    /// Inserts and writes the whole file.
    pub fn insert(&self, user: User) -> io::Result<()> {
        let snapshot = {
            let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
            users.insert(user.name.clone(), user);
            serde_json::to_vec_pretty(&*users).map_err(io::Error::from)?
        };
        self.persist(&snapshot)
    }

    fn persist(&self, bytes: &[u8]) -> io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &self.path)
    }
}
