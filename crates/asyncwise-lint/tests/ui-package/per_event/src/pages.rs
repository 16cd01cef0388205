use axum::extract::State;

pub async fn index() -> String {
    std::fs::read_to_string("static/index.html").unwrap_or_default() //~ blocking_in_async
}

// Not registered anywhere, but its extractor makes it a handler.
pub async fn settings(State(root): State<String>) -> String {
    render(&root) //~ blocking_in_async
}

fn render(root: &str) -> String {
    std::fs::read_to_string(format!("{root}/settings.html")).unwrap_or_default()
}
