//! gRPC `UserService` implementation (tonic).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use tokio::sync::mpsc::{self, unbounded_channel as queue};
use tokio::sync::RwLock;
use tokio_stream::wrappers::{ReceiverStream, UnboundedReceiverStream};
use tonic::{Request, Response, Status};
use tracing::{info, warn};

use crate::pb::user_service_server::UserService;
use crate::pb::{GetUserRequest, ListUsersRequest, User, WatchRequest, UserEvent, AvatarRequest, AvatarReply};
use crate::store::UserStore;

type EventStream = Pin<Box<dyn Stream<Item = Result<UserEvent, Status>> + Send>>;
type UserStream = Pin<Box<dyn Stream<Item = Result<User, Status>> + Send>>;

pub struct Users {
    store: UserStore,
    avatar_base: String,
    watchers: Arc<RwLock<HashMap<u64, mpsc::UnboundedSender<Result<UserEvent, Status>>>>>,
}

impl Users {
    pub fn new(store: UserStore, avatar_base: String) -> Self {
        Users { store, avatar_base, watchers: Arc::new(RwLock::new(HashMap::new())) }
    }

    pub async fn notify(&self, event: UserEvent) {
        let watchers = self.watchers.read().await;
        for (id, tx) in watchers.iter() {
            if tx.send(Ok(event.clone())).is_err() {
                warn!("watcher {id} is gone");
            }
        }
    }
}

#[tonic::async_trait]
impl UserService for Users {
    type ListUsersStream = UserStream;
    type WatchStream = EventStream;

    async fn get_user(&self, req: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let id = req.into_inner().id;
        let user = self
            .store
            .find(id)
            .await
            .map_err(|e| Status::internal(e.to_string()))?
            .ok_or_else(|| Status::not_found(format!("user {id}")))?;
        Ok(Response::new(user))
    }

    async fn list_users(
        &self,
        req: Request<ListUsersRequest>,
    ) -> Result<Response<Self::ListUsersStream>, Status> {
        let page_size = req.into_inner().page_size.clamp(1, 500) as usize;
        let (tx, rx) = mpsc::channel(16);
        let store = self.store.clone();
        tokio::spawn(async move { //~ detached_task
            let mut cursor = None;
            loop {
                let page = store.page(cursor, page_size).await.unwrap();
                for user in page.users {
                    tx.send(Ok(user)).await.expect("client hung up");
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn watch(&self, req: Request<WatchRequest>) -> Result<Response<Self::WatchStream>, Status> {
        let watcher_id = req.into_inner().watcher_id;
        let (tx, rx) = queue(); //~ unbounded_channel
        self.watchers.write().await.insert(watcher_id, tx);
        info!("watcher {watcher_id} subscribed");
        Ok(Response::new(Box::pin(UnboundedReceiverStream::new(rx))))
    }

    async fn get_avatar(&self, req: Request<AvatarRequest>) -> Result<Response<AvatarReply>, Status> {
        let user_id = req.into_inner().user_id;
        let url = format!("{}/{}.png", self.avatar_base, user_id);
        let bytes = reqwest::blocking::get(&url).and_then(|r| r.bytes()).map_err(|e| Status::unavailable(e.to_string()))?; //~ blocking_in_async
        Ok(Response::new(AvatarReply { png: bytes.to_vec() }))
    }

    async fn resize_avatar(&self, req: Request<AvatarRequest>) -> Result<Response<AvatarReply>, Status> {
        let req = req.into_inner();
        let url = format!("{}/{}.png", self.avatar_base, req.user_id);
        let png = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
            let bytes = reqwest::blocking::get(&url).map_err(|e| e.to_string())?.bytes().map_err(|e| e.to_string())?;
            let out = std::process::Command::new("convert").arg("-resize").arg("64x64").output().map_err(|e| e.to_string())?;
            Ok(if out.status.success() { out.stdout } else { bytes.to_vec() })
        })
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map_err(Status::internal)?;
        Ok(Response::new(AvatarReply { png }))
    }

    async fn export_users(&self, req: Request<ListUsersRequest>) -> Result<Response<()>, Status> {
        let limit = req.into_inner().page_size as usize;
        let path = format!("/var/exports/users-{limit}.jsonl");
        let status = std::process::Command::new("gzip").arg("-f").arg(&path).status().map_err(|e| Status::internal(e.to_string()))?; //~ blocking_in_async
        if !status.success() {
            return Err(Status::internal("gzip failed"));
        }
        let out = tokio::process::Command::new("sha256sum").arg(format!("{path}.gz")).output().await.map_err(|e| Status::internal(e.to_string()))?;
        info!("export checksum: {}", String::from_utf8_lossy(&out.stdout));
        Ok(Response::new(()))
    }
}

/// Pushes keep-alive events to every watcher.
pub async fn keepalive(users: Arc<Users>) {
    let mut tick = tokio::time::interval(Duration::from_secs(20));
    loop {
        tick.tick().await;
        users.notify(UserEvent::keepalive()).await;
    }
}
