// A pingora proxy: each phase of `ProxyHttp` receives the request's `Session`, so an async fn
// taking one runs once per proxied request, as a web framework's handler does. Readings: a
// directory listing made for a request (an auto-index) is the default form; the same listing
// made when the proxy loads its configuration is the pedantic form (no per-event path).
use pingora::proxy::Session;

pub struct StaticFiles {
    pub root: String,
}

impl StaticFiles {
    pub async fn serve(&self, session: &mut Session) -> bool {
        let path = format!("{}{}", self.root, session.req_header().uri.path());
        let listing = index_of(&path); //~ blocking_in_async
        respond(session, listing).await
    }

    pub async fn load(root: String) -> StaticFiles {
        let _entries = index_of(&root); //~ blocking_in_async(pedantic)
        settle().await;
        StaticFiles { root }
    }
}

fn index_of(dir: &str) -> Vec<String> {
    glob::glob(&format!("{dir}/*"))
        .map(|paths| paths.flatten().map(|p| p.display().to_string()).collect())
        .unwrap_or_default()
}

async fn respond(_session: &mut Session, _listing: Vec<String>) -> bool {
    true
}

async fn settle() {}
