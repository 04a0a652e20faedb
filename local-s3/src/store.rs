//! Objects on disk.
//!
//! An object of bucket `b` with key `k` is one file, `DIR/b/H`, where `H`
//! is the hex SHA-256 of the key: no key, whatever its bytes, names a path
//! outside `DIR/b`. The file holds the object's bytes, then its
//! description (key, content type, metadata, headers, ETag, size) as JSON,
//! then a trailer: the JSON's length (8 bytes, little-endian) and
//! [`MAGIC`]. Bucket names are checked before they reach here (lower-case
//! letters, digits, `.` and `-`, never starting with `.`).
//!
//! Bytes and description are one file so that an object has one commit
//! point: uploads are written to `DIR/.incoming/`, synced, and renamed over
//! `DIR/b/H` only once accepted; the rename replaces the whole object at
//! once. Of two uploads to one key the last rename wins whole, and a `GET`,
//! which opens the file once and reads everything through that handle,
//! sees the old object or the new one, never a mix. A [`TempFile`] removes
//! its file unless committed, so a refused or interrupted upload leaves
//! nothing behind.
//!
//! An upload's first [`IN_MEMORY`] bytes stay in memory ([`Incoming`]); a
//! file is created only when more arrive. An accepted small upload is then
//! written, synced and renamed in one trip to the blocking pool instead of
//! one trip per step (see [`Store::commit`]).

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// The last bytes of every object file; anything else there is not an
/// object this version wrote.
const MAGIC: &[u8; 8] = b"PPLOBJ01";
/// The trailer: the description's length, then [`MAGIC`].
const TRAILER_LEN: u64 = 16;
/// The longest description read back: a key (1 KiB), and the form's fields
/// (S3's 20 KiB), JSON-escaped, with room to spare.
const MAX_DESCRIPTION_LEN: u64 = 1 << 20;
/// The most bytes of one upload held in memory before they go to a file:
/// 100 uploads in flight hold at most 6.4 MiB this way. Below it, an
/// upload costs one trip to the blocking pool rather than six (create,
/// write, flush, sync, directory, rename); with one client, each trip is a
/// thread wake-up on the request's path.
pub(crate) const IN_MEMORY: usize = 64 * 1024;

/// The directory of objects.
pub(crate) struct Store {
    root: PathBuf,
    incoming: PathBuf,
    next: AtomicU64,
    pid: u32,
    /// Whether commits sync the file before the rename ([`Config::fsync`]).
    ///
    /// [`Config::fsync`]: crate::Config::fsync
    fsync: bool,
}

/// What is stored beside an object's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredObject {
    pub(crate) key: String,
    pub(crate) content_type: Option<String>,
    pub(crate) metadata: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) etag: String,
    pub(crate) size: u64,
}

/// An upload being written; removed on drop unless committed.
pub(crate) struct TempFile {
    path: PathBuf,
    committed: bool,
}

impl TempFile {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The bytes of an upload as they arrive: in memory up to [`IN_MEMORY`],
/// in a file in `.incoming/` past it. Dropped uncommitted, it leaves
/// nothing behind.
pub(crate) struct Incoming<'a> {
    store: &'a Store,
    spool: Spool,
}

enum Spool {
    Memory(Vec<u8>),
    File(TempFile, tokio::fs::File),
}

impl Incoming<'_> {
    /// Appends `chunk`, moving what is held in memory to a file first when
    /// the two together pass [`IN_MEMORY`].
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        match &mut self.spool {
            Spool::Memory(held) if held.len() + chunk.len() <= IN_MEMORY => {
                held.extend_from_slice(chunk);
            }
            Spool::Memory(held) => {
                let held = std::mem::take(held);
                let (temp, mut file) = self.store.temp_file().await?;
                file.write_all(&held).await?;
                file.write_all(chunk).await?;
                self.spool = Spool::File(temp, file);
            }
            Spool::File(_, file) => file.write_all(chunk).await?,
        }
        Ok(())
    }

    /// Whether the bytes have gone to a file.
    #[cfg(test)]
    fn in_file(&self) -> bool {
        matches!(self.spool, Spool::File(..))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Store {
    /// Opens (creating) `dir`, and empties its `.incoming/` of uploads an
    /// earlier run left unfinished. With `fsync`, every commit syncs the
    /// object's file before it is renamed into place.
    pub(crate) fn open(dir: &Path, fsync: bool) -> io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        let incoming = dir.join(".incoming");
        match std::fs::remove_dir_all(&incoming) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        std::fs::create_dir_all(&incoming)?;
        Ok(Store {
            root: dir.to_path_buf(),
            incoming,
            next: AtomicU64::new(0),
            pid: std::process::id(),
            fsync,
        })
    }

    /// Where a new upload's bytes go; nothing on disk yet.
    pub(crate) fn incoming(&self) -> Incoming<'_> {
        Incoming {
            store: self,
            spool: Spool::Memory(Vec::new()),
        }
    }

    /// A name in `.incoming/` no other upload of any run has.
    fn temp_path(&self) -> PathBuf {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.incoming.join(format!("{}-{n}.part", self.pid))
    }

    /// A new, empty file for an upload.
    async fn temp_file(&self) -> io::Result<(TempFile, tokio::fs::File)> {
        let path = self.temp_path();
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok((
            TempFile {
                path,
                committed: false,
            },
            file,
        ))
    }

    fn path(&self, bucket: &str, key: &str) -> PathBuf {
        let name = hex::encode(Sha256::digest(key.as_bytes()));
        self.root.join(bucket).join(name)
    }

    /// Moves an accepted upload into place: appends its description to its
    /// bytes, syncs, and renames the file over the object's file, the one
    /// commit point. Everything after the bytes happens in one trip to the
    /// blocking pool; an upload still in memory is written there too.
    pub(crate) async fn commit(
        &self,
        incoming: Incoming<'_>,
        bucket: &str,
        object: &StoredObject,
    ) -> io::Result<()> {
        let path = self.path(bucket, &object.key);
        let description = to_json(object).to_string();
        let mut tail = Vec::with_capacity(description.len() + TRAILER_LEN as usize);
        tail.extend_from_slice(description.as_bytes());
        tail.extend_from_slice(&(description.len() as u64).to_le_bytes());
        tail.extend_from_slice(MAGIC);
        let (temp, file, head) = match incoming.spool {
            Spool::Memory(held) => {
                let temp = TempFile {
                    path: self.temp_path(),
                    committed: false,
                };
                (temp, None, held)
            }
            Spool::File(temp, mut file) => {
                // Waits for the writes in flight, and hands over the handle.
                file.flush().await?;
                (temp, Some(file.into_std().await), Vec::new())
            }
        };
        let root = self.root.clone();
        let fsync = self.fsync;
        let written = tokio::task::spawn_blocking(move || -> io::Result<()> {
            let mut temp = temp;
            let mut file = match file {
                Some(file) => file,
                None => std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(temp.path())?,
            };
            file.write_all(&head)?;
            file.write_all(&tail)?;
            if fsync {
                file.sync_all()?;
            }
            drop(file);
            std::fs::create_dir_all(path.parent().unwrap_or(&root))?;
            std::fs::rename(temp.path(), &path)?;
            temp.committed = true;
            Ok(())
        })
        .await;
        written.map_err(|e| io::Error::other(format!("the commit did not finish: {e}")))?
    }

    /// The object's description and an open handle on its file, positioned
    /// at the start of its bytes (`description.size` of them), if it
    /// exists. Everything comes from one open file, so a commit to the same
    /// key meanwhile changes nothing read through it.
    pub(crate) async fn find(
        &self,
        bucket: &str,
        key: &str,
    ) -> io::Result<Option<(StoredObject, tokio::fs::File)>> {
        let path = self.path(bucket, key);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let damaged = || {
            io::Error::other(format!(
                "{} is not an object file of this version",
                path.display()
            ))
        };
        let len = file.metadata().await?.len();
        let trailer_at = len.checked_sub(TRAILER_LEN).ok_or_else(damaged)?;
        file.seek(io::SeekFrom::Start(trailer_at)).await?;
        let mut trailer = [0u8; TRAILER_LEN as usize];
        file.read_exact(&mut trailer).await?;
        let (json_len, magic) = trailer.split_at(8);
        if magic != MAGIC {
            return Err(damaged());
        }
        let json_len = u64::from_le_bytes(json_len.try_into().map_err(|_| damaged())?);
        if json_len > MAX_DESCRIPTION_LEN {
            return Err(damaged());
        }
        let size = trailer_at.checked_sub(json_len).ok_or_else(damaged)?;
        file.seek(io::SeekFrom::Start(size)).await?;
        let mut text = vec![0u8; json_len as usize];
        file.read_exact(&mut text).await?;
        let object = serde_json::from_slice::<Value>(&text)
            .ok()
            .and_then(|v| from_json(&v))
            .filter(|o| o.size == size)
            .ok_or_else(damaged)?;
        if object.key != key {
            return Ok(None);
        }
        file.seek(io::SeekFrom::Start(0)).await?;
        Ok(Some((object, file)))
    }
}

fn to_json(o: &StoredObject) -> Value {
    json!({
        "key": o.key,
        "content_type": o.content_type,
        "metadata": o.metadata,
        "headers": o.headers,
        "etag": o.etag,
        "size": o.size,
    })
}

fn from_json(v: &Value) -> Option<StoredObject> {
    let pairs = |v: &Value| -> Option<Vec<(String, String)>> {
        v.as_array()?
            .iter()
            .map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string())))
            .collect()
    };
    Some(StoredObject {
        key: v["key"].as_str()?.to_string(),
        content_type: v["content_type"].as_str().map(str::to_string),
        metadata: pairs(&v["metadata"])?,
        headers: pairs(&v["headers"])?,
        etag: v["etag"].as_str()?.to_string(),
        size: v["size"].as_u64()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_round_trip() {
        let o = StoredObject {
            key: "a/../b\0\\c".into(),
            content_type: None,
            metadata: vec![("note".into(), "é \"x\"".into())],
            headers: vec![("Cache-Control".into(), "no-cache".into())],
            etag: "\"00\"".into(),
            size: 3,
        };
        assert_eq!(from_json(&to_json(&o)), Some(o));
    }

    #[test]
    fn every_key_maps_to_a_plain_name_inside_the_bucket() {
        let store = Store {
            root: PathBuf::from("/data"),
            incoming: PathBuf::from("/data/.incoming"),
            next: AtomicU64::new(0),
            pid: 1,
            fsync: true,
        };
        for key in [
            "../../etc/passwd",
            "/abs",
            "a\0b",
            "..\\..\\x",
            &"k".repeat(5000),
        ] {
            let data = store.path("b-1", key);
            assert_eq!(data.parent(), Some(Path::new("/data/b-1")), "{key:?}");
            assert_eq!(data.file_name().unwrap().len(), 64);
        }
    }

    fn object(key: &str, size: u64) -> StoredObject {
        StoredObject {
            key: key.into(),
            content_type: Some("text/plain".into()),
            metadata: vec![],
            headers: vec![],
            etag: "\"e\"".into(),
            size,
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("post-policy-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    async fn read_back(store: &Store, key: &str) -> (StoredObject, Vec<u8>) {
        let (found, mut file) = store.find("b", key).await.unwrap().unwrap();
        let mut bytes = vec![0; found.size as usize];
        file.read_exact(&mut bytes).await.unwrap();
        (found, bytes)
    }

    /// Both ways an upload's bytes can be held (memory, then a file past
    /// IN_MEMORY, the switch in the middle of a chunk) commit the same
    /// bytes, and leave nothing in `.incoming/`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn small_and_large_uploads_commit_the_same_bytes() {
        for fsync in [true, false] {
            let dir = scratch(&format!("commit-{fsync}"));
            let store = Store::open(&dir, fsync).unwrap();
            commit_each_way(&store, &dir).await;
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    async fn commit_each_way(store: &Store, dir: &Path) {
        for (size, chunk, in_file) in [
            (0, 7, false),
            (1024, 100, false),
            (IN_MEMORY, 1024, false),
            (IN_MEMORY + 1, 1000, true),
            (3 * IN_MEMORY + 5, 10_000, true),
        ] {
            let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let mut incoming = store.incoming();
            for part in bytes.chunks(chunk) {
                incoming.write(part).await.unwrap();
            }
            assert_eq!(incoming.in_file(), in_file, "{size} bytes");
            let key = format!("k-{size}");
            let object = object(&key, size as u64);
            store.commit(incoming, "b", &object).await.unwrap();
            assert_eq!(read_back(store, &key).await, (object, bytes), "{size}");
        }
        assert_eq!(std::fs::read_dir(dir.join(".incoming")).unwrap().count(), 0);
    }

    /// An upload dropped before its commit, held in memory or in a file,
    /// leaves nothing on disk and does not touch the object it would have
    /// replaced.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_upload_dropped_before_its_commit_leaves_nothing() {
        let dir = scratch("dropped");
        let store = Store::open(&dir, true).unwrap();
        let mut first = store.incoming();
        first.write(b"old").await.unwrap();
        store.commit(first, "b", &object("k", 3)).await.unwrap();
        for size in [10, IN_MEMORY * 2] {
            let mut incoming = store.incoming();
            incoming.write(&vec![b'n'; size]).await.unwrap();
            assert_eq!(incoming.in_file(), size > IN_MEMORY);
            drop(incoming);
            assert_eq!(std::fs::read_dir(dir.join(".incoming")).unwrap().count(), 0);
            assert_eq!(read_back(&store, "k").await.1, b"old");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
