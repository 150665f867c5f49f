//! Offsets in a local file (Java's `LocalFileOffsetStore`, broadcasting): by default
//! `~/.rocketmq_offsets/<client id>/<group>/offsets.json`, written atomically (a temporary file
//! renamed over the old one, the previous version kept as `.bak`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rmq_protocol::body::mq_map;
use rmq_protocol::MessageQueue;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Java's `OffsetSerializeWrapper`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Wrapper {
    #[serde(rename = "offsetTable", default, with = "mq_map")]
    offset_table: BTreeMap<MessageQueue, i64>,
}

/// The offsets file of one group.
#[derive(Debug, Clone)]
pub(crate) struct LocalFile {
    path: PathBuf,
}

impl LocalFile {
    /// `<dir>/<client id>/<group>/offsets.json`.
    pub(crate) fn new(dir: &Path, client_id: &str, group: &str) -> Self {
        LocalFile {
            path: dir.join(client_id).join(group).join("offsets.json"),
        }
    }

    /// Java's default directory, `~/.rocketmq_offsets` (or `rocketmq.client.localOffsetStoreDir`
    /// given as the `ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR` environment variable).
    pub(crate) fn default_dir() -> PathBuf {
        if let Ok(dir) = std::env::var("ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR") {
            return PathBuf::from(dir);
        }
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        home.join(".rocketmq_offsets")
    }

    fn err(&self, source: std::io::Error) -> Error {
        Error::OffsetFile {
            path: self.path.clone(),
            source,
        }
    }

    /// The stored offsets; the `.bak` copy when the file is unreadable; empty when neither
    /// exists.
    pub(crate) fn read(&self) -> Result<BTreeMap<MessageQueue, i64>> {
        match self.read_one(&self.path) {
            Ok(t) => Ok(t),
            Err(e) => self
                .read_one(&self.path.with_extension("json.bak"))
                .or(Err(e)),
        }
    }

    fn read_one(&self, path: &Path) -> Result<BTreeMap<MessageQueue, i64>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(self.err(e)),
        };
        let w: Wrapper = rmq_protocol::from_fastjson(&bytes)
            .map_err(|e| self.err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        Ok(w.offset_table)
    }

    /// Writes `table` atomically.
    pub(crate) fn write(&self, table: &BTreeMap<MessageQueue, i64>) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.err(e))?;
        let json = serde_json::to_vec_pretty(&Wrapper {
            offset_table: table.clone(),
        })
        .map_err(|e| self.err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(|e| self.err(e))?;
        if self.path.exists() {
            let _ = std::fs::copy(&self.path, self.path.with_extension("json.bak"));
        }
        std::fs::rename(&tmp, &self.path).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::offset_store::{Backend, OffsetStore};

    #[test]
    fn local_file_round_trips_and_survives_a_corrupt_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = LocalFile::new(dir.path(), "ip@1", "g");
        assert!(f.read().expect("empty").is_empty());
        let q = MessageQueue::new("T", "b", 3);
        f.write(&[(q.clone(), 42)].into()).expect("write");
        f.write(&[(q.clone(), 43)].into()).expect("write again");
        assert_eq!(f.read().expect("read").get(&q), Some(&43));
        std::fs::write(&f.path, b"{garbage").expect("corrupt");
        assert_eq!(f.read().expect("from .bak").get(&q), Some(&42));
    }

    #[test]
    fn unreadable_file_error_names_the_file_and_where_the_json_breaks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = LocalFile::new(dir.path(), "ip@1", "g");
        f.write(&BTreeMap::new()).expect("write");
        let corrupt = b"{\"offsetTable\": [1,";
        std::fs::write(&f.path, corrupt).expect("corrupt");
        std::fs::write(f.path.with_extension("json.bak"), corrupt).expect("corrupt .bak");
        let e = f.read().expect_err("both copies are corrupt");
        let text = e.to_string();
        assert!(text.starts_with("offset file "), "{text}");
        assert!(text.contains("offsets.json"), "{text}");
        assert!(text.contains("invalid JSON"), "{text}");
        // The root cause, serde_json's position, is part of the chain.
        assert!(text.contains("line 1 column"), "{text}");
    }

    #[tokio::test]
    async fn store_only_moves_forward_unless_told_and_persists_locally() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = LocalFile::new(dir.path(), "ip@1", "g");
        let store = OffsetStore::new(Backend::Local(file.clone()));
        let q = MessageQueue::new("T", "b", 0);
        store.update(&q, 10, true);
        store.update(&q, 5, true);
        assert_eq!(store.read_memory(&q), Some(10));
        store.update(&q, 5, false);
        assert_eq!(store.read_memory(&q), Some(5));
        store.persist(&q).await;
        let again = OffsetStore::new(Backend::Local(file));
        again.load().expect("load");
        assert_eq!(again.read_memory(&q), Some(5));
        assert_eq!(again.read_store(&q).await.expect("read"), Some(5));
        assert_eq!(again.table_of("T").len(), 1);
        again.remove(&q);
        assert_eq!(again.read_memory(&q), None);
    }
}
