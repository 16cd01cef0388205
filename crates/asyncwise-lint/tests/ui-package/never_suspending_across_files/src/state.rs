use std::sync::Mutex;

use crate::audit::AuditLog;

pub struct AppState {
    pub audit: AuditLog,
    pub limits: Mutex<u64>,
}
