// inline_accept_loop across targets: the binary names its own package's library by the
// library's name (`use relay_hub::net;`, `relay_hub::net::serve(..)`). A connection handed to a
// library async fn that never suspends (`net::park`, which only stores the socket) is the
// pedantic form; one handed to a library async fn that reads from it (`net::serve`) is
// reported. The crate pass settles both.
pub mod net;
