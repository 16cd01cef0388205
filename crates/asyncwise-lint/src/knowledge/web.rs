//! Web frameworks and event sources: what makes code run once per request, connection or
//! message. Read by the per-event analysis (`model::analysis::per_event`), which holds no names
//! of its own.

/// Method names whose awaited call yields the next event of a source.
pub const EVENT_SOURCES: &[&str] = &["accept", "next", "try_next", "recv_from"];

/// Attribute names that register an async fn as a route handler (actix-web, rocket, poem,
/// ntex, salvo), and axum's `debug_handler`.
pub const ROUTE_ATTRIBUTES: &[&str] = &[
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "head",
    "options",
    "route",
    "routes",
    "handler",
    "debug_handler",
];

/// Type paths (or `module::` prefixes) of web framework extractors: an async fn taking one is
/// a request handler (or middleware, which runs per request too).
pub const EXTRACTOR_TYPES: &[&str] = &[
    "axum::extract::",
    "axum::Json",
    "axum::Form",
    "axum::Extension",
    "axum_extra::extract::",
    "axum_extra::TypedHeader",
    "actix_web::web::",
    "actix_web::HttpRequest",
    "actix_web::dev::ServiceRequest",
    "rocket::State",
    "rocket::serde::json::Json",
    "poem::web::",
    "poem::Request",
    "salvo::Request",
    "ntex::web::types::",
    "tonic::Request",
    "tonic::Streaming",
    // pingora's proxy `Session` is "the per request object" its `ProxyHttp` phases
    // (`request_filter`, `upstream_peer`, ...) receive (docs.rs/pingora-proxy, trait
    // `ProxyHttp`): a function taking one runs once per proxied request.
    "pingora_proxy::Session",
    "pingora::proxy::Session",
];

/// Functions whose arguments are route handlers: axum's method routers and the service and
/// middleware adapters of tower, hyper and axum (matched by the last path segment, on a path
/// into one of [`WEB_CRATES`] or unresolved).
pub const REGISTERING_FNS: &[&str] = &[
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "head",
    "options",
    "any",
    "on",
    "service_fn",
    "from_fn",
    "from_fn_with_state",
];

/// Crates whose routing functions [`REGISTERING_FNS`] names.
pub const WEB_CRATES: &[&str] = &[
    "axum",
    "actix_web",
    "hyper",
    "hyper_util",
    "tower",
    "poem",
    "salvo",
    "warp",
    "ntex",
];

/// Methods whose path arguments are route handlers: actix's `.to(f)` and `.service(f)`,
/// axum's chained method routers (`get(a).post(b)`) and `fallback`, poem's `.handler`,
/// warp's `.and_then(f)`. Only arguments that resolve to an async fn of the crate count.
pub const REGISTERING_METHODS: &[&str] = &[
    "to", "service", "handler", "and_then", "fallback", "get", "post", "put", "delete", "patch",
];
