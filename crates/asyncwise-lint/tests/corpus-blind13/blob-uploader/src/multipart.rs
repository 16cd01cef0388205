use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use md5::{Digest, Md5};

#[derive(Clone, Debug)]
pub struct PartEtag {
    pub number: usize,
    pub etag: String,
}

pub(crate) fn etag_of(resp: &reqwest::Response) -> PartEtag {
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    PartEtag { number: 0, etag }
}

pub(crate) fn upload_id_of(xml: &str) -> String {
    xml.split("<UploadId>")
        .nth(1)
        .and_then(|rest| rest.split("</UploadId>").next())
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn completion_xml(etags: &[PartEtag]) -> String {
    let mut out = String::from("<CompleteMultipartUpload>");
    for (i, p) in etags.iter().enumerate() {
        out.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>\"{}\"</ETag></Part>",
            i + 1,
            p.etag
        ));
    }
    out.push_str("</CompleteMultipartUpload>");
    out
}

pub(crate) fn md5_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Md5::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
