//! Objects on disk.
//!
//! An object of bucket `b` with key `k` is stored as `DIR/b/H` (its bytes)
//! and `DIR/b/H.json` (key, content type, metadata, headers, ETag), where
//! `H` is the hex SHA-256 of the key: no key, whatever its bytes, names a
//! path outside `DIR/b`. Bucket names are checked before they reach here
//! (lower-case letters, digits, `.` and `-`, never starting with `.`).
//!
//! Uploads are written to `DIR/.incoming/` and renamed into place only once
//! accepted; a [`TempFile`] removes its file unless committed, so a refused
//! or interrupted upload leaves nothing behind.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The directory of objects.
pub(crate) struct Store {
    root: PathBuf,
    incoming: PathBuf,
    next: AtomicU64,
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

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Store {
    /// Opens (creating) `dir`, and empties its `.incoming/` of uploads an
    /// earlier run left unfinished.
    pub(crate) fn open(dir: &Path) -> io::Result<Store> {
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
        })
    }

    /// A new, empty file for an upload.
    pub(crate) async fn temp_file(&self) -> io::Result<(TempFile, tokio::fs::File)> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self
            .incoming
            .join(format!("{}-{n}.part", std::process::id()));
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

    fn paths(&self, bucket: &str, key: &str) -> (PathBuf, PathBuf) {
        let name = hex::encode(Sha256::digest(key.as_bytes()));
        let dir = self.root.join(bucket);
        (dir.join(&name), dir.join(format!("{name}.json")))
    }

    /// Moves an accepted upload into place, with its description beside it.
    pub(crate) async fn commit(
        &self,
        mut temp: TempFile,
        bucket: &str,
        object: &StoredObject,
    ) -> io::Result<()> {
        let (data, meta) = self.paths(bucket, &object.key);
        tokio::fs::create_dir_all(data.parent().unwrap_or(&self.root)).await?;
        let meta_temp = TempFile {
            path: temp.path.with_extension("json"),
            committed: false,
        };
        tokio::fs::write(meta_temp.path(), to_json(object).to_string()).await?;
        tokio::fs::rename(temp.path(), &data).await?;
        temp.committed = true;
        let mut meta_temp = meta_temp;
        tokio::fs::rename(meta_temp.path(), &meta).await?;
        meta_temp.committed = true;
        Ok(())
    }

    /// The object's description and the path of its bytes, if it exists.
    pub(crate) async fn find(
        &self,
        bucket: &str,
        key: &str,
    ) -> io::Result<Option<(StoredObject, PathBuf)>> {
        let (data, meta) = self.paths(bucket, key);
        let text = match tokio::fs::read_to_string(&meta).await {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let object = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| from_json(&v))
            .ok_or_else(|| io::Error::other(format!("{} is damaged", meta.display())))?;
        Ok((object.key == key).then_some((object, data)))
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
        };
        for key in [
            "../../etc/passwd",
            "/abs",
            "a\0b",
            "..\\..\\x",
            &"k".repeat(5000),
        ] {
            let (data, meta) = store.paths("b-1", key);
            assert_eq!(data.parent(), Some(Path::new("/data/b-1")), "{key:?}");
            assert_eq!(meta.parent(), Some(Path::new("/data/b-1")), "{key:?}");
            assert_eq!(data.file_name().unwrap().len(), 64);
        }
    }
}
