use std::path::PathBuf;

use crate::fetch::Page;

pub struct PageStore {
    dir: PathBuf,
}

async fn compress(body: Vec<u8>) -> Vec<u8> {
    smol::future::yield_now().await;
    body
}

impl PageStore {
    pub fn new(dir: PathBuf) -> PageStore {
        PageStore { dir }
    }

    fn path_for(&self, page: &Page) -> PathBuf {
        let name: String = page.url.as_str().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        self.dir.join(name)
    }

    pub async fn save(&self, page: &Page) -> std::io::Result<()> {
        let compressed = smol::block_on(compress(page.body.clone())); //~ block_on_in_async
        let path = self.path_for(page);
        smol::unblock(move || std::fs::write(path, compressed)).await
    }

    pub async fn save_raw(&self, page: &Page) -> std::io::Result<()> {
        std::fs::write(self.path_for(page), &page.body) //~ blocking_in_async(pedantic)
    }

    pub async fn size_on_disk(&self, page: &Page) -> u64 {
        let body = async_std::task::block_on(async_std::fs::read(self.path_for(page))); //~ block_on_in_async
        body.map(|b| b.len() as u64).unwrap_or(0)
    }
}
