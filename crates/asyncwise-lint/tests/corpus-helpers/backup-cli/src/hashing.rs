//! File hashing and manifests.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub fn manifest_for(root: &Path) -> io::Result<String> {
    let mut out = String::new();
    for path in crate::walk::collect_files(root)? {
        let sum = sha256_file(&path)?;
        let _ = writeln!(out, "{sum}  {}", path.strip_prefix(root).unwrap_or(&path).display());
    }
    Ok(out)
}

/// Lines present in one manifest and not the other.
pub fn compare(expected: &str, actual: &str) -> Vec<String> {
    let mut diff: Vec<String> = expected
        .lines()
        .filter(|l| !actual.contains(*l))
        .map(|l| format!("- {l}"))
        .collect();
    diff.extend(
        actual
            .lines()
            .filter(|l| !expected.contains(*l))
            .map(|l| format!("+ {l}")),
    );
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tree");

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0xAB, 0x01]), "ab01");
    }

    #[test]
    fn manifest_lists_every_file() {
        let m = manifest_for(Path::new(FIXTURE)).unwrap(); // @helper
        assert_eq!(m.lines().count(), 3);
    }

    #[tokio::test]
    async fn manifest_round_trips_through_compare() {
        let m = manifest_for(Path::new(FIXTURE)).unwrap(); // @helper //~ blocking_in_async
        assert!(compare(&m, &m).is_empty()); // @helper
    }
}
