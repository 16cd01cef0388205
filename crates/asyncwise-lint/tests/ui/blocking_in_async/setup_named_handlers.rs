// Readings: an async fn named like a set-up step (`new`, `create`, `init`) runs once when a
// component starts, so blocking directly in it is the pedantic form. A request handler with
// such a name (a gRPC service's `create`, taking a `tonic::Request`) runs once per request:
// its name says which action the client asked for, not when it runs.
use std::path::PathBuf;

use tonic::{Request, Response, Status};

pub struct Users {
    dir: PathBuf,
}

pub struct CreateUserRequest {
    pub name: String,
}

impl Users {
    pub async fn create(&self, request: Request<CreateUserRequest>) -> Result<Response<()>, Status> {
        let name = request.into_inner().name;
        std::fs::write(self.dir.join(&name), b"{}").map_err(|e| Status::internal(e.to_string()))?; //~ blocking_in_async
        Ok(Response::new(()))
    }
}

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub async fn create(dir: PathBuf) -> std::io::Result<Store> {
        std::fs::write(dir.join("VERSION"), b"1")?; //~ blocking_in_async(pedantic)
        Ok(Store { dir })
    }

    pub async fn init(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir) //~ blocking_in_async(pedantic)
    }
}
