// The trait implementation a connection's untyped `codec.decode(..)` reaches: it reads a file
// once per frame, the default form.
#[async_trait::async_trait]
pub trait Codec: Send {
    async fn decode(&self, frame: &[u8]) -> Vec<u8>;
}

pub struct Dictionary;

#[async_trait::async_trait]
impl Codec for Dictionary {
    async fn decode(&self, frame: &[u8]) -> Vec<u8> {
        let words = std::fs::read("dictionary.bin").unwrap_or_default(); //~ blocking_in_async
        [frame, &words[..]].concat()
    }
}

pub fn codec_for(_socket: &tokio::net::TcpStream) -> Box<dyn Codec> {
    Box::new(Dictionary)
}
