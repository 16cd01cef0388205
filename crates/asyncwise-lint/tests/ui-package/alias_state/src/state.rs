#[derive(Default)]
pub struct AppState {
    pub creds: argon2_creds::Config<'static>,
    pub name: String,
}

pub struct Other {
    pub creds: Policy,
}

pub struct Policy;

impl Policy {
    pub fn password(&self, _p: &str) -> Result<String, String> {
        Ok(String::new())
    }
}
