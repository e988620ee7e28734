//! Verification of a block in the bucket: meta.json parses, and every file it lists exists
//! with the size it records.

use std::collections::BTreeMap;

use mnemos_objstore::Bucket;
use mnemos_tsdb::meta::BlockMeta;
use ulid::Ulid;

use crate::download::fetch_meta;
use crate::error::{Error, Result};
use crate::layout::{INDEX_FILE, META_FILE};

/// Problems found in one block; empty means the block is sound. A missing or unparsable
/// meta.json is a problem of the block; any other bucket error (a transient failure) is
/// returned as an error, since it says nothing about the block.
pub async fn verify_block(bucket: &Bucket, id: Ulid) -> Result<Vec<String>> {
    let meta = match fetch_meta(bucket, id).await {
        Ok(meta) => meta,
        Err(Error::Bucket(e)) if !e.is_not_found() => return Err(Error::Bucket(e)),
        Err(e) => return Ok(vec![format!("meta.json: {e}")]),
    };
    let prefix = format!("{id}/");
    let present: BTreeMap<String, u64> = bucket
        .list_objects(&prefix)
        .await?
        .into_iter()
        .map(|o| (o.key[prefix.len()..].to_string(), o.size))
        .collect();
    Ok(meta_problems(id, &meta, &present))
}

/// Problems of a block's meta.json, given the objects present in its directory (paths
/// relative to the block directory, with their sizes).
fn meta_problems(id: Ulid, meta: &BlockMeta, present: &BTreeMap<String, u64>) -> Vec<String> {
    let mut problems = Vec::new();
    if meta.ulid != id.to_string() {
        problems.push(format!("meta.json ulid is {}", meta.ulid));
    }
    if meta.min_time >= meta.max_time {
        problems.push(format!(
            "empty time range [{}, {})",
            meta.min_time, meta.max_time
        ));
    }
    let Some(thanos) = &meta.thanos else {
        problems.push("meta.json has no thanos section".to_string());
        return problems;
    };
    if thanos.files.is_empty() {
        problems.push("meta.json lists no files".to_string());
    }
    if !thanos.files.iter().any(|f| f.rel_path == INDEX_FILE) {
        problems.push("meta.json does not list the index".to_string());
    }
    for file in &thanos.files {
        match present.get(&file.rel_path) {
            None => problems.push(format!("{} is missing", file.rel_path)),
            Some(&size) if file.rel_path != META_FILE && size != file.size_bytes => {
                problems.push(format!(
                    "{} has {size} bytes, meta.json says {}",
                    file.rel_path, file.size_bytes
                ))
            }
            Some(_) => {}
        }
    }
    problems
}
