// The application state reaches handlers through a type alias declared here, around actix's
// shared-state handle: a field of the state read in another file is the state struct's field.
mod handlers;
mod state;

use std::sync::Arc;

pub type SharedState = Arc<crate::state::AppState>;
pub type AppData = actix_web::web::Data<SharedState>;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let data = AppData::new(Arc::new(state::AppState::default()));
    actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .service(handlers::register)
    })
    .bind("0.0.0.0:8080")?
    .run()
    .await
}
