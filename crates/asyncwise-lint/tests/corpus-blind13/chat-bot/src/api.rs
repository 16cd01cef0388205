//! The few client-server API calls the bot needs.

use serde::Deserialize;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

pub struct BotConfig {
    pub homeserver: String,
    pub user: String,
    pub password: String,
    pub state_path: std::path::PathBuf,
}

impl BotConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(BotConfig {
            homeserver: std::env::var("BOT_HOMESERVER")?,
            user: std::env::var("BOT_USER")?,
            password: std::env::var("BOT_PASSWORD")?,
            state_path: std::env::var("BOT_STATE").unwrap_or_else(|_| "roombot.json".into()).into(),
        })
    }
}

#[derive(Deserialize)]
pub struct Session {
    pub access_token: String,
}

#[derive(Deserialize)]
pub struct SyncResponse {
    pub next_batch: String,
    pub events: Vec<RoomEvent>,
}

#[derive(Deserialize, Clone)]
pub struct RoomEvent {
    pub room_id: String,
    pub sender: String,
    pub body: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: Option<u16>,
    pub message: String,
}

impl ApiError {
    pub fn is_transient(&self) -> bool {
        matches!(self.status, None | Some(429) | Some(502..=504))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<reqwest::Error> for ApiError {
    fn from(e: reqwest::Error) -> Self {
        ApiError {
            status: e.status().map(|s| s.as_u16()),
            message: e.to_string(),
        }
    }
}

impl Client {
    pub fn new(base: &str) -> Self {
        Client {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            token: None,
        }
    }

    pub fn with_token(self, token: String) -> Self {
        Client {
            token: Some(token),
            ..self
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/_matrix/client/v3{path}", self.base)
    }

    pub async fn login(&self, user: &str, password: &str) -> Result<Session, ApiError> {
        let body = serde_json::json!({ "type": "m.login.password", "user": user, "password": password });
        Ok(self.http.post(self.url("/login")).json(&body).send().await?.error_for_status()?.json().await?)
    }

    pub async fn sync(&self, since: Option<&str>) -> Result<SyncResponse, ApiError> {
        let mut req = self.http.get(self.url("/sync")).query(&[("timeout", "30000")]);
        if let Some(since) = since {
            req = req.query(&[("since", since)]);
        }
        Ok(req.bearer_auth(self.token.as_deref().unwrap_or_default()).send().await?.json().await?)
    }

    pub async fn send_text(&self, room: &str, text: &str) -> Result<(), ApiError> {
        let body = serde_json::json!({ "msgtype": "m.text", "body": text });
        self.http
            .post(self.url(&format!("/rooms/{room}/send/m.room.message")))
            .bearer_auth(self.token.as_deref().unwrap_or_default())
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    pub async fn display_name(&self, user: &str) -> Result<String, ApiError> {
        Ok(self.http.get(self.url(&format!("/profile/{user}/displayname"))).send().await?.text().await?)
    }

    pub async fn room_topic(&self, room: &str) -> Result<String, ApiError> {
        Ok(self.http.get(self.url(&format!("/rooms/{room}/state/m.room.topic"))).send().await?.text().await?)
    }
}

#[derive(Clone)]
pub struct Directory {
    http: reqwest::Client,
    base: String,
}

impl Directory {
    pub async fn member_count(&self, room: &str) -> Result<u64, ApiError> {
        Ok(self.http.get(format!("{}/rooms/{room}/members", self.base)).send().await?.json().await?)
    }
}
