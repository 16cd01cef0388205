//! The incremental cache: per-file results stored on disk, keyed by content.
//!
//! A run that finds a file unchanged reuses what the last run computed for it instead of
//! parsing and analysing it again. What a file's entry holds is up to the engine (any
//! serde-serializable value: today its [`FileAnalysis`](crate::facts::FileAnalysis), outline and
//! suppressions); the crate pass re-runs from the summaries whenever any of them (or anything
//! else it reads) changed, so findings that depend on other files stay right after any edit.
//!
//! Layout: one file per package under `DIR/v3/`, named by a hash of the package's root; it
//! holds, behind a checksum, the run's *fingerprint* (tool version, the binary's identity and whatever else the
//! engine says can change per-file results) and one entry per file, keyed by its display path
//! and a hash of what the file's result depends on (its text, module path, edition). A package
//! file whose fingerprint differs is ignored as a whole and replaced; one that cannot be decoded
//! (corrupt, truncated, another format) likewise. Writes go to a temporary file renamed over
//! the old one, so concurrent runs never see half a file (the last writer wins, and every
//! writer's entries are valid). Entries of files that no longer exist are dropped when the
//! package is written again, so the cache stays as large as the checked code.
//!
//! **The crate pass's result is stored too** ([`Cache::crate_pass`]), one record per group of
//! packages under `DIR/v3/crates/`, with the hash of everything the pass read (the engine's
//! `crate_pass_key`: every file's encoded summary, the packages, the findings it settles). A
//! run whose inputs hash the same takes the stored result and never decodes the summaries
//! (each entry holds its file's summary as bytes of their own, decoded only when the pass
//! runs): a run with nothing changed, or after an edit that leaves every summary byte for byte
//! as it was (a comment after the last item, say), skips the crate index altogether. After an
//! edit that only moved code in one file (lines added or removed, so every span after them
//! moved), the stored result is moved the same way instead, when the engine can show that this
//! is all the edit did: each re-analysed file keeps its previous entry
//! ([`PackageCache::get_previous`]) for that (the engine's `moved` module).
//!
//! **Unchanged files are not read.** Each entry also records the file's [`FileStamp`] (size,
//! modification and status-change times, inode) as it was when the file was read, and a hash of
//! the file's context without its text. A later run whose `stat` gives the same stamp and whose
//! context hashes the same uses the entry without reading or hashing the file, as ruff and
//! cargo do. A stamp is trusted only when the file had not changed for [`RACY_WINDOW`] before it
//! was read: an edit made in the same clock tick as the read (timestamps are coarse, and an edit
//! may keep the size) would leave the stamp as it was, so such a file is read and hashed again
//! (git's "racily clean" rule). Any other edit changes the status-change time, which no tool can
//! set back.
//!
//! Serialization is [postcard](https://docs.rs/postcard): a compact, non-self-describing binary
//! serde format that is actively maintained (bincode, the usual choice, stopped development in
//! 2025). Hashes are XXH3-128, fast enough that hashing a file costs far less than reading it.
//!
//! ```
//! use asyncwise_lint::cache::{Cache, file_key};
//! let dir = tempfile::tempdir().unwrap();
//! let cache = Cache::open(dir.path(), 7).unwrap();
//! let root = std::path::Path::new("/work/svc");
//! let key = file_key(&["fn main() {}", "crate"]);
//! let mut package = cache.package(root);
//! assert!(package.get::<String>("src/main.rs", key).is_none());
//! package.put("src/main.rs", key, &"result".to_string()).unwrap();
//! cache.save(package, &Default::default()).unwrap();
//! let package = cache.package(root);
//! assert_eq!(package.get::<String>("src/main.rs", key).unwrap(), "result");
//! assert!(dir.path().join(".gitignore").is_file());
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::model::TestCode;
use crate::model::test_code::OutOfLineTestMod;

/// The cache directory's name beside the workspace root.
pub const DIR_NAME: &str = ".asyncwise_cache";

/// Starts every package file; the last byte is the layout's version.
const MAGIC: &[u8; 8] = b"AWCACHE\x03";

/// The layout's subdirectory: a new layout gets a new one, and the old one is left alone.
const LAYOUT: &str = "v3";

/// How long a file must have been unchanged before it was read for its [`FileStamp`] to be
/// trusted: more than the coarsest timestamp granularity of common file systems (FAT's 2 s).
pub const RACY_WINDOW: std::time::Duration = std::time::Duration::from_secs(3);

/// What `stat` says about a file, recorded with its cache entry: when a later `stat` says the
/// same (and the stamp [is trusted](FileStamp::trusted)), the file has not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Length in bytes.
    pub size: u64,
    /// Modification time, in nanoseconds since the Unix epoch.
    pub modified: i128,
    /// Status-change time (`ctime`) in nanoseconds since the Unix epoch (0 where the platform
    /// has none).
    pub changed: i128,
    /// Inode number (0 where the platform has none): a file replaced by another is another.
    pub inode: u64,
    /// When the stamp was taken (before the file was read), in nanoseconds since the epoch.
    pub taken: i128,
}

impl FileStamp {
    /// The stamp of a file from its metadata, taken at `now` (which must be before the file is
    /// read).
    ///
    /// ```
    /// use asyncwise_lint::cache::FileStamp;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("a.rs");
    /// std::fs::write(&path, "fn f() {}").unwrap();
    /// let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    /// std::fs::File::options().write(true).open(&path).unwrap().set_modified(old).unwrap();
    /// let meta = std::fs::metadata(&path).unwrap();
    /// let stamp = FileStamp::of(&meta, std::time::SystemTime::now());
    /// assert_eq!(stamp.size, 9);
    /// // Just written: its status-change time is now, so the stamp is not trusted yet.
    /// assert!(!stamp.trusted());
    /// let later = FileStamp::of(&meta, std::time::SystemTime::now() + std::time::Duration::from_secs(10));
    /// assert!(later.trusted());
    /// ```
    pub fn of(meta: &std::fs::Metadata, now: std::time::SystemTime) -> FileStamp {
        let nanos = |t: Option<std::time::SystemTime>| -> i128 {
            match t {
                Some(t) => match t.duration_since(std::time::UNIX_EPOCH) {
                    Ok(after) => after.as_nanos() as i128,
                    Err(before) => -(before.duration().as_nanos() as i128),
                },
                None => 0,
            }
        };
        #[cfg(unix)]
        let (changed, inode) = {
            use std::os::unix::fs::MetadataExt;
            (
                i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
                meta.ino(),
            )
        };
        #[cfg(not(unix))]
        let (changed, inode) = (0, 0);
        FileStamp {
            size: meta.len(),
            modified: nanos(meta.modified().ok()),
            changed,
            inode,
            taken: nanos(Some(now)),
        }
    }

    /// Whether the file had been unchanged for [`RACY_WINDOW`] when the stamp was taken, so that
    /// any later edit shows in its times.
    pub fn trusted(&self) -> bool {
        let last_change = self.modified.max(self.changed);
        last_change.saturating_add(RACY_WINDOW.as_nanos() as i128) <= self.taken
    }

    /// The same file, unchanged: everything but the time the stamp was taken is equal.
    fn same_file(&self, other: &FileStamp) -> bool {
        (self.size, self.modified, self.changed, self.inode)
            == (other.size, other.modified, other.changed, other.inode)
    }
}

/// Something went wrong with the cache directory. A run that meets one goes on uncached.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The directory could not be created or prepared.
    #[error("could not create the cache directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A package file could not be written.
    #[error("could not write the cache file {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A value could not be encoded.
    #[error("could not encode a cache entry: {0}")]
    Encode(#[from] postcard::Error),
}

/// An open cache directory, for one run.
#[derive(Debug)]
pub struct Cache {
    /// `DIR/v3`.
    packages: PathBuf,
    /// What every entry of this run depends on besides its own key.
    fingerprint: u128,
}

impl Cache {
    /// Creates `dir` (with a `.gitignore` of `*` and a `CACHEDIR.TAG`, as ruff's cache has) if
    /// needed. `fingerprint` must change whenever per-file results can change for the same file
    /// key: another tool version, another configuration of the analysis.
    pub fn open(dir: &Path, fingerprint: u128) -> Result<Cache, CacheError> {
        let packages = dir.join(LAYOUT);
        let create = |path: &Path, source| CacheError::CreateDir {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(&packages).map_err(|e| create(dir, e))?;
        for (name, text) in [
            (".gitignore", "# Created by asyncwise.\n*\n"),
            (
                "CACHEDIR.TAG",
                "Signature: 8a477f597d28d172789f06886806bc55\n# Created by asyncwise.\n",
            ),
        ] {
            let path = dir.join(name);
            if !path.is_file() {
                write_atomically(&path, text.as_bytes()).map_err(|e| create(dir, e))?;
            }
        }
        Ok(Cache {
            packages,
            fingerprint,
        })
    }

    /// The stored entries of the package rooted at `root` (none if there is no valid file).
    pub fn package(&self, root: &Path) -> PackageCache {
        let file = self
            .packages
            .join(format!("{:032x}.bin", file_key(&[&root.to_string_lossy()])));
        // The file's bytes are kept for the run: entries are slices of them, decoded only when
        // a file asks for its own (no copy of every payload up front).
        let mut data = std::fs::read(&file).ok();
        let stored = data.as_deref().and_then(|data| {
            let body = data.strip_prefix(MAGIC.as_slice())?;
            // A file damaged anywhere is not used: postcard has no redundancy of its own.
            let (body, checksum) = body.split_at_checked(body.len().checked_sub(16)?)?;
            if xxhash_rust::xxh3::xxh3_128(body).to_le_bytes() != checksum {
                return None;
            }
            let decoded: Envelope<'_> = postcard::from_bytes(body).ok()?;
            let start_of = |slice: &[u8]| slice.as_ptr() as usize - data.as_ptr() as usize;
            (decoded.fingerprint == self.fingerprint).then(|| {
                let mut entries = HashMap::with_capacity(decoded.entries.len());
                for stored in decoded.entries {
                    let start = start_of(stored.payload.0);
                    let entry = Entry {
                        key: stored.key,
                        context: stored.context,
                        stamp: stored.stamp,
                        payload: Payload::Stored(start..start + stored.payload.0.len()),
                    };
                    entries.insert(stored.path.to_owned(), entry);
                }
                entries
            })
        });
        let dirty = stored.is_none() && (data.is_some() || file.exists());
        if stored.is_none() {
            data = None;
        }
        PackageCache {
            // Anything there that could not be used is replaced at the end of the run.
            dirty,
            file,
            data: data.unwrap_or_default(),
            entries: stored.unwrap_or_default(),
            fresh: Mutex::new(Vec::new()),
            used: Mutex::new(HashSet::new()),
            restamped: Mutex::new(Vec::new()),
        }
    }

    /// Writes a package's entries back if anything changed: the entries put this run, the
    /// stored ones for files of `seen` that were used, and the stored ones of files outside
    /// `seen` that still exist (another run's targets). Entries of files that no longer exist
    /// and of files in `seen` that were neither used nor put (an edit that no longer parses)
    /// are dropped.
    pub fn save(&self, package: PackageCache, seen: &HashSet<String>) -> Result<(), CacheError> {
        let PackageCache {
            file,
            data: stored,
            mut entries,
            fresh,
            used,
            restamped,
            mut dirty,
        } = package;
        let fresh = fresh.into_inner().unwrap_or_else(|e| e.into_inner());
        let used = used.into_inner().unwrap_or_else(|e| e.into_inner());
        let restamped = restamped.into_inner().unwrap_or_else(|e| e.into_inner());
        for (path, stamp) in restamped {
            if let Some(entry) = entries.get_mut(&path) {
                entry.stamp = Some(stamp);
                dirty = true;
            }
        }
        let before = entries.len();
        entries.retain(|path, _| {
            if seen.contains(path) {
                used.contains(path)
            } else {
                Path::new(path).exists()
            }
        });
        dirty |= entries.len() != before || !fresh.is_empty();
        if !dirty {
            return Ok(());
        }
        for (path, entry) in fresh {
            entries.insert(path, entry);
        }
        // Sorted, so that the same entries always make the same file.
        let mut sorted: Vec<(&String, &Entry)> = entries.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let entries: Vec<StoredEntry<'_>> = sorted
            .into_iter()
            .map(|(path, entry)| StoredEntry {
                path: path.as_str(),
                key: entry.key,
                context: entry.context,
                stamp: entry.stamp,
                payload: Bytes(entry.payload.bytes(&stored)),
            })
            .collect();
        let envelope = Envelope {
            fingerprint: self.fingerprint,
            entries,
        };
        // Encoded straight into the file through one small buffer, hashed on the way: a
        // buffer of the whole file (1.4 MB for tokio) was fresh memory, and the page faults
        // of touching it cost more than encoding it.
        let mut encoded = Ok(());
        let written = write_atomically_with(&file, |out| {
            out.write_all(MAGIC)?;
            let mut sink = HashingSink::new(out);
            if let Err(e) = postcard::to_extend(&envelope, &mut sink) {
                // (The temporary file is removed: nothing is renamed into place.)
                encoded = Err(e);
                return Err(std::io::Error::other("encoding failed"));
            }
            let checksum = sink.finish()?;
            out.write_all(&checksum.to_le_bytes())
        });
        encoded?;
        written.map_err(|source| CacheError::Write { path: file, source })
    }
}

impl Cache {
    /// The file of a dependency's entry: `DIR/v3/deps/`, named by a hash of `key` (the crate's
    /// name, version and source directory).
    fn dependency_file(&self, key: &[&str]) -> PathBuf {
        self.packages
            .join(DEPENDENCIES)
            .join(format!("{:032x}.bin", file_key(key)))
    }

    /// The stored summary of a dependency crate (see
    /// [`engine::dependencies`](crate::engine::dependencies)), keyed by `key`: none when there is
    /// none, it was written by another build, or it is damaged in any way.
    ///
    /// ```
    /// use asyncwise_lint::cache::Cache;
    /// let dir = tempfile::tempdir().unwrap();
    /// let cache = Cache::open(dir.path(), 7).unwrap();
    /// let key = ["ffprobe", "0.4.0", "/registry/ffprobe-0.4.0"];
    /// assert!(cache.dependency::<Vec<String>>(&key).is_none());
    /// cache.put_dependency(&key, &vec!["summary".to_string()]).unwrap();
    /// assert_eq!(cache.dependency::<Vec<String>>(&key).unwrap(), ["summary"]);
    /// // Another build's entries are not read.
    /// let other = Cache::open(dir.path(), 8).unwrap();
    /// assert!(other.dependency::<Vec<String>>(&key).is_none());
    /// ```
    pub fn dependency<T: DeserializeOwned>(&self, key: &[&str]) -> Option<T> {
        self.record(&self.dependency_file(key))
    }

    /// The value stored in `file` by [`Cache::put_record`]: none when there is none, it was
    /// written by another build, or it is damaged in any way.
    fn record<T: DeserializeOwned>(&self, file: &Path) -> Option<T> {
        let data = std::fs::read(file).ok()?;
        let body = data.strip_prefix(MAGIC.as_slice())?;
        let (body, checksum) = body.split_at_checked(body.len().checked_sub(16)?)?;
        if xxhash_rust::xxh3::xxh3_128(body).to_le_bytes() != checksum {
            return None;
        }
        let (fingerprint, value): (u128, T) = postcard::from_bytes(body).ok()?;
        (fingerprint == self.fingerprint).then_some(value)
    }

    /// Stores the summary of a dependency crate under `key`, written to a temporary file and
    /// renamed into place (concurrent runs see the old entry, none, or the new one).
    pub fn put_dependency<T: Serialize>(&self, key: &[&str], value: &T) -> Result<(), CacheError> {
        self.put_record(
            &self.packages.join(DEPENDENCIES),
            &self.dependency_file(key),
            value,
        )
    }

    /// The file of a group of packages' crate-pass record: `DIR/v3/crates/`, named by a hash
    /// of `key` (the group's package roots).
    fn crate_pass_file(&self, key: &[&str]) -> PathBuf {
        self.packages
            .join(CRATE_PASSES)
            .join(format!("{:032x}.bin", file_key(key)))
    }

    /// The stored crate-pass result of the group of packages named by `group` (its package
    /// roots), as [`Cache::put_crate_pass`] wrote it: none when there is none, it was written
    /// by another build, or it is damaged in any way. What the result was computed from is the
    /// caller's to check (the engine stores the hash of the crate pass's inputs with it).
    ///
    /// ```
    /// use asyncwise_lint::cache::Cache;
    /// let dir = tempfile::tempdir().unwrap();
    /// let cache = Cache::open(dir.path(), 7).unwrap();
    /// let group = ["/work/svc"];
    /// assert!(cache.crate_pass::<(u128, Vec<String>)>(&group).is_none());
    /// cache.put_crate_pass(&group, &(5u128, vec!["finding".to_string()])).unwrap();
    /// assert_eq!(cache.crate_pass::<(u128, Vec<String>)>(&group).unwrap().0, 5);
    /// assert!(Cache::open(dir.path(), 8).unwrap().crate_pass::<(u128, Vec<String>)>(&group).is_none());
    /// ```
    pub fn crate_pass<T: DeserializeOwned>(&self, group: &[&str]) -> Option<T> {
        self.record(&self.crate_pass_file(group))
    }

    /// Stores the crate-pass result of a group of packages (see [`Cache::crate_pass`]),
    /// written to a temporary file and renamed into place.
    pub fn put_crate_pass<T: Serialize>(
        &self,
        group: &[&str],
        value: &T,
    ) -> Result<(), CacheError> {
        self.put_record(
            &self.packages.join(CRATE_PASSES),
            &self.crate_pass_file(group),
            value,
        )
    }

    /// Writes `value` with the run's fingerprint and a checksum to `file` in `dir`, atomically.
    fn put_record<T: Serialize>(
        &self,
        dir: &Path,
        file: &Path,
        value: &T,
    ) -> Result<(), CacheError> {
        let file = file.to_path_buf();
        std::fs::create_dir_all(dir).map_err(|source| CacheError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let body = postcard::to_allocvec(&(self.fingerprint, value))?;
        let checksum = xxhash_rust::xxh3::xxh3_128(&body).to_le_bytes();
        write_atomically_with(&file, |out| {
            out.write_all(MAGIC)?;
            out.write_all(&body)?;
            out.write_all(&checksum)
        })
        .map_err(|source| CacheError::Write { path: file, source })
    }
}

/// The subdirectory of the layout's directory holding dependency summaries.
const DEPENDENCIES: &str = "deps";

/// The subdirectory of the layout's directory holding crate-pass records.
const CRATE_PASSES: &str = "crates";

/// One package's entries during a run: read by the workers, written back at the end
/// ([`Cache::save`]).
#[derive(Debug)]
pub struct PackageCache {
    file: PathBuf,
    /// The package file as read (empty when there was none, or it could not be used).
    data: Vec<u8>,
    /// Display path → entry.
    entries: HashMap<String, Entry>,
    /// Entries computed this run.
    fresh: Mutex<Vec<(String, Entry)>>,
    /// Stored entries this run used.
    used: Mutex<HashSet<String>>,
    /// Stored entries used after reading the file, whose stamp is now another.
    restamped: Mutex<Vec<(String, FileStamp)>>,
    /// The stored file must be rewritten even if no entry changes (it was unusable).
    dirty: bool,
}

/// One file's stored result.
#[derive(Debug)]
struct Entry {
    /// What the result depends on, text included.
    key: u128,
    /// What it depends on besides the text (0 when not given).
    context: u128,
    /// The file as it was read, when it was read from disk.
    stamp: Option<FileStamp>,
    /// The encoded value.
    payload: Payload,
}

/// Where an entry's encoded value is.
#[derive(Debug)]
enum Payload {
    /// In the package file as read ([`PackageCache::data`]), at these bytes.
    Stored(std::ops::Range<usize>),
    /// Encoded this run.
    Fresh(Vec<u8>),
}

impl Payload {
    /// The encoded value, given the package file as read.
    fn bytes<'a>(&'a self, stored: &'a [u8]) -> &'a [u8] {
        match self {
            Payload::Stored(range) => stored.get(range.clone()).unwrap_or_default(),
            Payload::Fresh(bytes) => bytes,
        }
    }
}

impl PackageCache {
    /// The stored value for `path` if its key is `key` and it decodes as a `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str, key: u128) -> Option<T> {
        let entry = self.entries.get(path)?;
        if entry.key != key {
            return None;
        }
        let value = postcard::from_bytes(entry.payload.bytes(&self.data)).ok()?;
        lock(&self.used).insert(path.to_owned());
        Some(value)
    }

    /// The stored value for `path` without reading the file: when it was stored with context
    /// hash `context` and a [trusted](FileStamp::trusted) stamp of the same file as `stamp`.
    ///
    /// ```
    /// use asyncwise_lint::cache::{Cache, FileStamp};
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("a.rs");
    /// std::fs::write(&file, "fn f() {}").unwrap();
    /// let meta = std::fs::metadata(&file).unwrap();
    /// let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
    /// let stamp = FileStamp::of(&meta, later);
    /// let cache = Cache::open(&dir.path().join("cache"), 7).unwrap();
    /// let package = cache.package(dir.path());
    /// package.put_read("a.rs", 1, 2, Some(stamp), &5u32).unwrap();
    /// cache.save(package, &Default::default()).unwrap();
    /// let package = cache.package(dir.path());
    /// assert_eq!(package.get_unchanged::<u32>("a.rs", 2, &stamp), Some(5));
    /// assert_eq!(package.get_unchanged::<u32>("a.rs", 3, &stamp), None, "another context");
    /// ```
    pub fn get_unchanged<T: DeserializeOwned>(
        &self,
        path: &str,
        context: u128,
        stamp: &FileStamp,
    ) -> Option<T> {
        let entry = self.entries.get(path)?;
        let stored = entry.stamp.as_ref()?;
        if entry.context != context || !stored.trusted() || !stored.same_file(stamp) {
            return None;
        }
        let value = postcard::from_bytes(entry.payload.bytes(&self.data)).ok()?;
        lock(&self.used).insert(path.to_owned());
        Some(value)
    }

    /// Whether the entry of `path` (stored under the display path `name`) may answer for it
    /// without reading it: its file's `stat` still matches a trusted stamp. A hint for
    /// ordering work; [`PackageCache::get_unchanged`] decides.
    ///
    /// ```
    /// use asyncwise_lint::cache::{Cache, FileStamp};
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("a.rs");
    /// std::fs::write(&file, "fn f() {}").unwrap();
    /// let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
    /// let stamp = FileStamp::of(&std::fs::metadata(&file).unwrap(), later);
    /// let cache = Cache::open(&dir.path().join("cache"), 7).unwrap();
    /// let package = cache.package(dir.path());
    /// package.put_read("a.rs", 1, 2, Some(stamp), &5u32).unwrap();
    /// cache.save(package, &Default::default()).unwrap();
    /// let package = cache.package(dir.path());
    /// assert!(package.may_be_unchanged("a.rs", &file));
    /// std::fs::write(&file, "fn g() { h() }").unwrap();
    /// assert!(!package.may_be_unchanged("a.rs", &file), "edited (another size)");
    /// assert!(!package.may_be_unchanged("b.rs", &file), "no entry");
    /// ```
    pub fn may_be_unchanged(&self, name: &str, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|meta| {
            self.stamp_matches(name, &FileStamp::of(&meta, std::time::UNIX_EPOCH))
        })
    }

    /// [`PackageCache::may_be_unchanged`] for a stamp the caller has already taken: a run
    /// stats each file once, and passes the same stamp on to [`PackageCache::get_unchanged`].
    ///
    /// ```
    /// use asyncwise_lint::cache::{Cache, FileStamp};
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("a.rs");
    /// std::fs::write(&file, "fn f() {}").unwrap();
    /// let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
    /// let stamp = FileStamp::of(&std::fs::metadata(&file).unwrap(), later);
    /// let cache = Cache::open(&dir.path().join("cache"), 7).unwrap();
    /// let package = cache.package(dir.path());
    /// package.put_read("a.rs", 1, 2, Some(stamp), &5u32).unwrap();
    /// cache.save(package, &Default::default()).unwrap();
    /// let package = cache.package(dir.path());
    /// assert!(package.stamp_matches("a.rs", &stamp));
    /// std::fs::write(&file, "fn g() { h() }").unwrap();
    /// let now = std::time::SystemTime::now();
    /// let edited = FileStamp::of(&std::fs::metadata(&file).unwrap(), now);
    /// assert!(!package.stamp_matches("a.rs", &edited), "edited (another size)");
    /// ```
    pub fn stamp_matches(&self, name: &str, stamp: &FileStamp) -> bool {
        self.entries
            .get(name)
            .and_then(|e| e.stamp)
            .is_some_and(|stored| stored.trusted() && stored.same_file(stamp))
    }

    /// The value stored for `path` with context hash `context`, whatever the text it was
    /// computed from (the file as it was before an edit), if it decodes as a `T`. Not counted
    /// as used: the entry is replaced by this run's.
    ///
    /// ```
    /// use asyncwise_lint::cache::Cache;
    /// let dir = tempfile::tempdir().unwrap();
    /// let cache = Cache::open(&dir.path().join("cache"), 7).unwrap();
    /// let package = cache.package(dir.path());
    /// package.put_read("a.rs", 1, 2, None, &5u32).unwrap();
    /// cache.save(package, &["a.rs".to_string()].into()).unwrap();
    /// let package = cache.package(dir.path());
    /// assert_eq!(package.get::<u32>("a.rs", 9), None, "another text");
    /// assert_eq!(package.get_previous::<u32>("a.rs", 2), Some(5));
    /// assert_eq!(package.get_previous::<u32>("a.rs", 3), None, "another context");
    /// ```
    pub fn get_previous<T: DeserializeOwned>(&self, path: &str, context: u128) -> Option<T> {
        let entry = self.entries.get(path)?;
        if entry.context != context {
            return None;
        }
        postcard::from_bytes(entry.payload.bytes(&self.data)).ok()
    }

    /// [`PackageCache::get`] for a file read from disk with stamp `stamp`: a hit whose stored
    /// stamp is another (the file was touched, or was read too soon after an edit to trust)
    /// records the new one, so that the next run need not read the file.
    pub fn get_read<T: DeserializeOwned>(
        &self,
        path: &str,
        key: u128,
        stamp: Option<FileStamp>,
    ) -> Option<T> {
        let value = self.get(path, key)?;
        let stored = self.entries.get(path).and_then(|e| e.stamp);
        if let Some(stamp) = stamp
            && stored.is_none_or(|s| !s.same_file(&stamp) || (!s.trusted() && stamp.trusted()))
        {
            lock(&self.restamped).push((path.to_owned(), stamp));
        }
        Some(value)
    }

    /// Records `value` as the result for `path` with key `key`.
    pub fn put<T: Serialize + ?Sized>(
        &self,
        path: &str,
        key: u128,
        value: &T,
    ) -> Result<(), CacheError> {
        self.put_read(path, key, 0, None, value)
    }

    /// Records `value` as the result for `path` with key `key`, context hash `context` (what
    /// the key covers besides the text) and the stamp the file had when it was read.
    pub fn put_read<T: Serialize + ?Sized>(
        &self,
        path: &str,
        key: u128,
        context: u128,
        stamp: Option<FileStamp>,
        value: &T,
    ) -> Result<(), CacheError> {
        let payload = postcard::to_allocvec(value)?;
        let entry = Entry {
            key,
            context,
            stamp,
            payload: Payload::Fresh(payload),
        };
        lock(&self.fresh).push((path.to_owned(), entry));
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The package file's contents after [`MAGIC`].
#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    fingerprint: u128,
    #[serde(borrow)]
    entries: Vec<StoredEntry<'a>>,
}

/// An [`Entry`] as the package file holds it.
#[derive(Serialize, Deserialize)]
struct StoredEntry<'a> {
    path: &'a str,
    key: u128,
    context: u128,
    stamp: Option<FileStamp>,
    #[serde(borrow)]
    payload: Bytes<'a>,
}

/// A byte string encoded as one (not as a sequence of numbers).
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Bytes<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'de [u8]>::deserialize(deserializer).map(Bytes)
    }
}

/// Bytes stored as one run of bytes (a `Vec<u8>` would be encoded byte by byte): a value
/// encoded on its own inside an entry, decoded only when it is needed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedBytes(pub Vec<u8>);

impl Serialize for EncodedBytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for EncodedBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'de [u8]>::deserialize(deserializer).map(|bytes| EncodedBytes(bytes.to_vec()))
    }
}

/// Writes `data` to a temporary file beside `path`, then renames it to `path`.
///
/// The old file is removed first: renaming over an existing file makes ext4 (`auto_da_alloc`)
/// allocate and start writing the new file's blocks inside `rename`, which took from 1.5 ms on
/// a quiet machine to half a second under disk load, on every warm run that changed anything.
/// A concurrent reader that comes in between finds no file and runs uncached, as with any
/// cache miss; one that opened the old file keeps reading it.
fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |out| out.write_all(data))
}

/// [`write_atomically`] of what `write` writes to the temporary file.
fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let unique = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.{unique}.tmp", std::process::id()));
    let temporary = path.with_file_name(name);
    let written = std::fs::File::create(&temporary)
        .and_then(|file| {
            let mut out = std::io::BufWriter::with_capacity(SINK_CHUNK, file);
            write(&mut out)?;
            out.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            Ok(())
        })
        .and_then(|()| {
            // (Absent already is fine; any other failure shows in the rename.)
            let _ = std::fs::remove_file(path);
            std::fs::rename(&temporary, path)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// The size of the chunks a cache file is written in.
const SINK_CHUNK: usize = 64 * 1024;

/// Where postcard encodes a package file: bytes are hashed (for the checksum) and written out
/// a chunk at a time. `Extend` cannot fail, so the first write error is kept for
/// [`HashingSink::finish`].
struct HashingSink<'a, W: std::io::Write> {
    out: &'a mut W,
    chunk: Vec<u8>,
    hasher: Xxh3,
    error: Option<std::io::Error>,
}

impl<'a, W: std::io::Write> HashingSink<'a, W> {
    fn new(out: &'a mut W) -> Self {
        HashingSink {
            out,
            chunk: Vec::with_capacity(SINK_CHUNK),
            hasher: Xxh3::new(),
            error: None,
        }
    }

    fn flush_chunk(&mut self) {
        self.hasher.update(&self.chunk);
        if self.error.is_none()
            && let Err(e) = self.out.write_all(&self.chunk)
        {
            self.error = Some(e);
        }
        self.chunk.clear();
    }

    /// Writes what is left; the hash of everything written, or the first error.
    fn finish(mut self) -> std::io::Result<u128> {
        self.flush_chunk();
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(self.hasher.digest128()),
        }
    }
}

impl<W: std::io::Write> Extend<u8> for &mut HashingSink<'_, W> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        self.chunk.extend(bytes);
        if self.chunk.len() >= SINK_CHUNK {
            self.flush_chunk();
        }
    }
}

/// A 128-bit hash of some strings (each is delimited, so `["ab", "c"]` and `["a", "bc"]`
/// differ).
///
/// ```
/// use asyncwise_lint::cache::file_key;
/// assert_eq!(file_key(&["a", "b"]), file_key(&["a", "b"]));
/// assert_ne!(file_key(&["ab", "c"]), file_key(&["a", "bc"]));
/// ```
pub fn file_key(parts: &[&str]) -> u128 {
    let mut hasher = Xxh3::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.digest128()
}

/// The fingerprint of this build of asyncwise together with `settings` (a description of
/// everything else per-file results depend on): its version, and the size and modification time
/// of the running executable, so that a rebuilt binary never reads an older build's results.
///
/// ```
/// let a = asyncwise_lint::cache::fingerprint("knowledge A");
/// assert_eq!(a, asyncwise_lint::cache::fingerprint("knowledge A"));
/// assert_ne!(a, asyncwise_lint::cache::fingerprint("knowledge B"));
/// ```
pub fn fingerprint(settings: &str) -> u128 {
    let executable = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .unwrap_or_default();
            format!("{} {}", m.len(), modified.as_nanos())
        })
        .unwrap_or_default();
    file_key(&[
        std::str::from_utf8(MAGIC).unwrap_or_default(),
        env!("CARGO_PKG_VERSION"),
        &executable,
        settings,
    ])
}

/// The default cache directory for a run over `paths`: [`DIR_NAME`] in the root of the
/// workspace holding the first path (the nearest directory above it whose `Cargo.toml` has a
/// `[workspace]` table, else the nearest with a `Cargo.toml`), else in the current directory.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir_all(dir.path().join("member/src")).unwrap();
/// std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = [\"member\"]\n").unwrap();
/// std::fs::write(dir.path().join("member/Cargo.toml"), "[package]\nname = \"member\"\n").unwrap();
/// let cache = asyncwise_lint::cache::default_dir(&[dir.path().join("member/src")]);
/// assert_eq!(cache, dir.path().join(".asyncwise_cache"));
/// ```
pub fn default_dir(paths: &[PathBuf]) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let Some(first) = paths.first() else {
        return cwd.join(DIR_NAME);
    };
    let start = cwd.join(first);
    let mut package = None;
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        if text
            .lines()
            .any(|l| l.trim_start().starts_with("[workspace]"))
        {
            return dir.join(DIR_NAME);
        }
        package.get_or_insert_with(|| dir.to_path_buf());
    }
    package.unwrap_or(cwd).join(DIR_NAME)
}

/// serde's remote definition of [`TestCode`] (which lives with the model and stays free of
/// serialization concerns).
#[derive(Serialize, Deserialize)]
#[serde(remote = "TestCode")]
pub(crate) struct TestCodeDef {
    items: Vec<(usize, usize)>,
    #[serde(with = "out_of_line")]
    out_of_line: Vec<OutOfLineTestMod>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "OutOfLineTestMod")]
struct OutOfLineTestModDef {
    nesting: Vec<String>,
    name: String,
    path_attr: Option<String>,
}

mod out_of_line {
    use super::{OutOfLineTestMod, OutOfLineTestModDef};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    struct Ref<'a>(&'a OutOfLineTestMod);

    impl Serialize for Ref<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            OutOfLineTestModDef::serialize(self.0, serializer)
        }
    }

    #[derive(Deserialize)]
    struct Owned(#[serde(with = "OutOfLineTestModDef")] OutOfLineTestMod);

    pub(super) fn serialize<S: Serializer>(
        modules: &[OutOfLineTestMod],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(modules.iter().map(Ref))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<OutOfLineTestMod>, D::Error> {
        Ok(Vec::<Owned>::deserialize(deserializer)?
            .into_iter()
            .map(|m| m.0)
            .collect())
    }
}

/// `&'static str` fields (rule names, table rows) come back from the cache as the same static
/// strings when the registry has them, else as strings leaked once per distinct value (a
/// handful per run).
fn intern(text: &str) -> &'static str {
    if let Some(rule) = crate::rules::find(text) {
        return rule.name;
    }
    if text == crate::suppress::INVALID_SUPPRESSION {
        return crate::suppress::INVALID_SUPPRESSION;
    }
    static LEAKED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut leaked = lock(&LEAKED);
    match leaked.get(text) {
        Some(known) => known,
        None => {
            let new: &'static str = Box::leak(text.to_owned().into_boxed_str());
            leaked.insert(new);
            new
        }
    }
}

struct InternVisitor;

impl serde::de::Visitor<'_> for InternVisitor {
    type Value = &'static str;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<&'static str, E> {
        Ok(intern(text))
    }
}

/// Deserializes a `&'static str` field through [`intern`].
pub(crate) fn interned<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    d.deserialize_str(InternVisitor)
}

/// Deserializes a `Vec<&'static str>` field through [`intern`].
pub(crate) fn interned_list<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<&'static str>, D::Error> {
    struct Interned(&'static str);
    impl<'de> Deserialize<'de> for Interned {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            interned(d).map(Interned)
        }
    }
    Ok(Vec::<Interned>::deserialize(d)?
        .into_iter()
        .map(|i| i.0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_and_foreign_files_are_ignored_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new("/somewhere/pkg");
        let cache = Cache::open(dir.path(), 1).unwrap();
        let package = cache.package(root);
        package.put("a.rs", 5, &vec![1u32, 2, 3]).unwrap();
        let seen: HashSet<String> = ["a.rs".to_owned()].into();
        cache.save(package, &seen).unwrap();
        let file = std::fs::read_dir(dir.path().join(LAYOUT))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let whole = std::fs::read(&file).unwrap();
        assert_eq!(
            cache.package(root).get::<Vec<u32>>("a.rs", 5),
            Some(vec![1, 2, 3])
        );
        // One bit flipped: nothing is used.
        let mut flipped = whole.clone();
        flipped[whole.len() / 2] ^= 1;
        std::fs::write(&file, &flipped).unwrap();
        assert!(cache.package(root).get::<Vec<u32>>("a.rs", 5).is_none());
        // Truncated: nothing is used, and the next save rewrites it.
        std::fs::write(&file, &whole[..whole.len() / 2]).unwrap();
        let package = cache.package(root);
        assert!(package.get::<Vec<u32>>("a.rs", 5).is_none());
        cache.save(package, &seen).unwrap();
        let rewritten = cache.package(root);
        assert!(rewritten.entries.is_empty() && !rewritten.dirty);
        // Another fingerprint (another version): ignored.
        let cache = Cache::open(dir.path(), 1).unwrap();
        cache
            .save(
                {
                    let p = cache.package(root);
                    p.put("a.rs", 5, &vec![1u32]).unwrap();
                    p
                },
                &seen,
            )
            .unwrap();
        assert_eq!(
            cache.package(root).get::<Vec<u32>>("a.rs", 5),
            Some(vec![1])
        );
        let other = Cache::open(dir.path(), 2).unwrap();
        assert!(other.package(root).get::<Vec<u32>>("a.rs", 5).is_none());
        // Another key: a miss.
        assert!(cache.package(root).get::<Vec<u32>>("a.rs", 6).is_none());
    }

    #[test]
    fn entries_of_missing_files_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("kept.rs");
        std::fs::write(&existing, "").unwrap();
        let existing = existing.to_string_lossy().into_owned();
        let cache = Cache::open(&dir.path().join("cache"), 1).unwrap();
        let root = dir.path();
        let package = cache.package(root);
        for path in [existing.as_str(), "gone.rs", "seen.rs"] {
            package.put(path, 1, &path.to_owned()).unwrap();
        }
        cache.save(package, &HashSet::new()).unwrap();
        let package = cache.package(root);
        assert_eq!(package.entries.len(), 3);
        // A run that sees only `seen.rs` and cannot use its entry keeps the file that exists.
        let seen: HashSet<String> = ["seen.rs".to_owned()].into();
        cache.save(package, &seen).unwrap();
        let package = cache.package(root);
        let mut left: Vec<&String> = package.entries.keys().collect();
        left.sort();
        assert_eq!(left, [&existing]);
    }

    #[test]
    fn interned_strings_are_shared() {
        assert_eq!(intern("blocking_in_async"), "blocking_in_async");
        let a = intern("some::Type");
        let b = intern(&String::from("some::Type"));
        assert!(std::ptr::eq(a, b));
    }
}
