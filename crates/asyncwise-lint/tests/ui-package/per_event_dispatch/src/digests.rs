// A method call on a value of another crate's type (`sha2::Sha256::new()`) reaches that
// crate's method: `hasher.update(..)` on the connection's path does not put this package's
// `Catalogue::update`, which nothing calls, on a per-event path.
pub trait Update {
    async fn update(&self);
}

pub struct Catalogue;

impl Update for Catalogue {
    async fn update(&self) {
        let _list = std::fs::read("catalogue.json"); //~ blocking_in_async(pedantic)
    }
}

pub fn fingerprint(frame: &[u8]) -> Vec<u8> {
    let mut hasher = sha2::Sha256::new();
    hasher.update(frame);
    hasher.finalize().to_vec()
}
