//! File service discovery (`--store.sd-files`): Prometheus' `file_sd` format, a JSON or
//! YAML list of `{targets: [host:port, …], labels: {…}}` groups. Labels are ignored (the
//! Info API tells what an endpoint holds).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

use crate::endpoints::EndpointSpec;
use crate::{Error, Result};

#[derive(Deserialize)]
struct TargetGroup {
    #[serde(default)]
    targets: Vec<String>,
}

/// The targets of one file SD file.
pub fn read_targets(path: &Path) -> Result<Vec<EndpointSpec>> {
    let err = |reason: String| Error::FileSd {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    let groups: Vec<TargetGroup> = if is_json {
        serde_json::from_str(&text).map_err(|e| err(e.to_string()))?
    } else {
        serde_yaml_ng::from_str::<Option<Vec<TargetGroup>>>(&text)
            .map_err(|e| err(e.to_string()))?
            .unwrap_or_default()
    };
    groups
        .into_iter()
        .flat_map(|g| g.targets)
        .map(|t| EndpointSpec::parse(&t))
        .collect()
}

/// Watches a set of file SD files; [`FileSd::poll`] rereads those that changed.
#[derive(Debug, Default)]
pub struct FileSd {
    files: Vec<(PathBuf, Option<SystemTime>, Vec<EndpointSpec>)>,
}

impl FileSd {
    /// Watches `paths` (nothing read yet).
    pub fn new(paths: Vec<PathBuf>) -> Self {
        Self {
            files: paths.into_iter().map(|p| (p, None, Vec::new())).collect(),
        }
    }

    /// Rereads every file whose modification time changed and returns all targets. A file
    /// that fails to read or parse keeps its previous targets; the errors are returned
    /// alongside.
    pub fn poll(&mut self) -> (Vec<EndpointSpec>, Vec<Error>) {
        let mut errors = Vec::new();
        for (path, seen, targets) in &mut self.files {
            let modified = std::fs::metadata(&*path).and_then(|m| m.modified()).ok();
            if modified.is_some() && modified == *seen {
                continue;
            }
            match read_targets(path) {
                Ok(t) => {
                    *targets = t;
                    *seen = modified;
                }
                Err(e) => errors.push(e),
            }
        }
        let all = self
            .files
            .iter()
            .flat_map(|f| f.2.iter().cloned())
            .collect();
        (all, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yaml_and_json_and_notices_changes() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = dir.path().join("stores.yml");
        let json = dir.path().join("stores.json");
        std::fs::write(
            &yaml,
            "- targets: ['127.0.0.1:1', 'dns+localhost:2']\n  labels: {a: b}\n",
        )
        .unwrap();
        std::fs::write(&json, r#"[{"targets": ["127.0.0.1:3"]}]"#).unwrap();
        let mut sd = FileSd::new(vec![yaml.clone(), json]);
        let (targets, errors) = sd.poll();
        assert!(errors.is_empty());
        assert_eq!(
            targets.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["127.0.0.1:1", "dns+localhost:2", "127.0.0.1:3"]
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&yaml, "- targets: [bad]\n").unwrap();
        let (targets, errors) = sd.poll();
        assert_eq!(errors.len(), 1, "a broken file is reported");
        assert_eq!(targets.len(), 3, "and keeps its previous targets");
        std::fs::write(&yaml, "- targets: ['127.0.0.1:9']\n").unwrap();
        let (targets, _) = sd.poll();
        assert_eq!(targets[0].to_string(), "127.0.0.1:9");
    }
}
