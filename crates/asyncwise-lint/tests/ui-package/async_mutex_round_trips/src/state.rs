use std::collections::{HashMap, HashSet};

use tokio::sync::Mutex;

use crate::upstream::Upstream;

pub mod proto {
    tonic::include_proto!("members");
}

pub struct AppState {
    pub upstream: Upstream,
    pub members: proto::members_client::MembersClient<tonic::transport::Channel>,
    // Looked up and filled beside the upstream fetch only.
    pub pages: Mutex<HashMap<String, String>>, //~ async_mutex_unneeded(pedantic)
    // Filled beside the fetch, and read on its own by `seen`.
    pub visited: Mutex<HashSet<String>>, //~ async_mutex_unneeded
    // Looked up and filled beside the gRPC call only.
    pub names: Mutex<HashMap<u64, String>>, //~ async_mutex_unneeded(pedantic)
}

impl AppState {
    pub async fn connect() -> Self {
        let channel = tonic::transport::Channel::from_static("http://members:50051").connect_lazy();
        AppState {
            upstream: Upstream::new(),
            members: proto::members_client::MembersClient::new(channel),
            pages: Mutex::default(),
            visited: Mutex::default(),
            names: Mutex::default(),
        }
    }
}
