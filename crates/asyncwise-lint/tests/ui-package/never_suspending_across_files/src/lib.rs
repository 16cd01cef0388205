// lock_across_await across files: a std guard of a lock whose type another file declares
// (`st.limits`, a field of `state.rs`'s struct) held across an await of a crate async fn that
// never suspends (`AuditLog::record`, whose body only pushes to a buffer) is no suspension (the
// pedantic form); held
// across one that does (`AuditLog::persist`), it is reported. Both conditions are settled by the
// crate pass.
pub mod audit;
pub mod routes;
pub mod state;
