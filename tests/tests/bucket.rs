//! Bucket tools and the block layer, the same checks against the filesystem bucket and
//! against a real S3 server (Garage on 127.0.0.1): safe upload with external labels, `ls`,
//! `inspect`, `verify`, `download` (contents checked with promtool), partial uploads and
//! unreadable metas skipped, deletion marks honoured, truncated files detected.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mnemos_block::{DeletionMark, MetaFetcher};
use mnemos_e2e::garage::Garage;
use mnemos_e2e::openmetrics::Spec;
use mnemos_e2e::process::stdout_of;
use mnemos_e2e::{assert_same_dump, mnemos_bin, promtool};
use prometheus_client::registry::Registry;
use ulid::Ulid;

fn bucket_cmd(config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(mnemos_bin());
    cmd.args(["tools", "bucket"])
        .args(args)
        .arg(format!("--objstore.config-file={}", config.display()));
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run mnemos")
}

/// Backfills a few 2h blocks with promtool; returns the data dir and its block dirs.
fn backfilled_blocks(work: &Path) -> (PathBuf, Vec<PathBuf>) {
    let spec = Spec {
        seed: 42,
        series: 30,
        samples_per_series: 400,
        label_names: 2,
        start_ms: 1_700_000_000_000,
        max_step_ms: 60_000,
    };
    let (data, blocks) = promtool::backfill(work, &spec);
    assert!(
        blocks.len() >= 3,
        "expected several blocks, got {}",
        blocks.len()
    );
    (data, blocks)
}

fn check_bucket(work: &Path, yaml: &str) {
    let config = work.join("objstore.yml");
    std::fs::write(&config, yaml).expect("write objstore config");
    let (data, blocks) = backfilled_blocks(work);
    let bucket = mnemos_e2e::open_bucket(yaml);
    let rt = mnemos_e2e::runtime();

    // Upload with external labels, in Thanos' form (`upload-blocks --path`, every block of
    // the directory); the tool prints each block id.
    let printed = stdout_of(&mut bucket_cmd(
        &config,
        &[
            "upload-blocks",
            &format!("--path={}", data.display()),
            "--label",
            "cluster=eu1",
            "--label",
            "replica=a",
        ],
    ));
    let ids: Vec<Ulid> = printed
        .lines()
        .map(|l| Ulid::from_string(l.trim()).expect("upload prints block ids"))
        .collect();
    assert_eq!(ids.len(), blocks.len());

    // ls lists every block with its labels and source; -o json gives the metas.
    let ls = stdout_of(&mut bucket_cmd(&config, &["ls"]));
    let rows: Vec<&str> = ls.lines().skip(1).collect();
    assert_eq!(rows.len(), blocks.len(), "{ls}");
    for id in &ids {
        let row = rows
            .iter()
            .find(|r| r.starts_with(&id.to_string()))
            .unwrap_or_else(|| panic!("{id} not listed:\n{ls}"));
        assert!(row.contains("{cluster=\"eu1\",replica=\"a\"}"), "{row}");
        assert!(row.contains("\traw\t1\t"), "resolution and level: {row}");
        assert!(row.contains("bucket.upload"), "{row}");
    }
    let json = stdout_of(&mut bucket_cmd(&config, &["ls", "-o", "json"]));
    for line in json.lines() {
        let meta: serde_json::Value = serde_json::from_str(line).expect("meta json");
        let id = meta["ulid"].as_str().expect("ulid");
        let local = data.join(id);
        assert_eq!(meta["thanos"]["labels"]["cluster"], "eu1");
        assert_eq!(meta["thanos"]["downsample"]["resolution"], 0);
        let files = meta["thanos"]["files"].as_array().expect("files");
        for f in files {
            let rel = f["rel_path"].as_str().expect("rel_path");
            if rel == "meta.json" {
                continue;
            }
            let size = std::fs::metadata(local.join(rel))
                .expect("local file")
                .len();
            assert_eq!(f["size_bytes"].as_u64(), Some(size), "{id}/{rel}");
        }
        assert!(files.iter().any(|f| f["rel_path"] == "index"));
        assert!(files.iter().any(|f| f["rel_path"] == "chunks/000001"));
    }

    // verify: all sound.
    let verify = run(&mut bucket_cmd(&config, &["verify"]));
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "verify failed:\n{out}");
    assert_eq!(
        out.lines().filter(|l| l.ends_with(": ok")).count(),
        blocks.len()
    );

    // download: promtool sees the same samples as in the local blocks.
    let down = work.join("downloaded");
    let mut download = bucket_cmd(&config, &["download", &format!("--dir={}", down.display())]);
    for id in &ids {
        download.arg(format!("--id={id}"));
    }
    stdout_of(&mut download);
    promtool::ensure_wal(&down);
    promtool::ensure_wal(&data);
    assert_same_dump(
        "downloaded blocks",
        &promtool::dump(&data, &[]),
        &promtool::dump(&down, &[]),
    );

    // A partial upload (no meta.json) and an unreadable meta.json are skipped, not fatal.
    let partial = Ulid::new();
    let corrupt = Ulid::new();
    rt.block_on(async {
        let src = &blocks[0];
        let chunks = std::fs::read(src.join("chunks/000001")).expect("chunks");
        bucket
            .put(&format!("{partial}/chunks/000001"), chunks.into())
            .await
            .expect("put partial chunks");
        bucket
            .put(&format!("{corrupt}/meta.json"), "{\"ulid\": ".into())
            .await
            .expect("put corrupt meta");
    });
    let fetcher = MetaFetcher::new(
        bucket.clone(),
        Some(work.join("meta-cache")),
        &mut Registry::default(),
    );
    let seen = rt.block_on(fetcher.fetch()).expect("fetch");
    assert!(seen.partial.contains(&partial));
    assert!(seen.corrupted.contains_key(&corrupt));
    assert_eq!(seen.metas.len(), blocks.len());
    let ls = run(&mut bucket_cmd(&config, &["ls"]));
    assert!(ls.status.success());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&ls.stdout),
        String::from_utf8_lossy(&ls.stderr),
    );
    assert!(!stdout.contains(&partial.to_string()) && !stdout.contains(&corrupt.to_string()));
    assert!(
        stderr.contains(&format!("skipped {partial}: partial upload")),
        "{stderr}"
    );
    let inspect = stdout_of(&mut bucket_cmd(&config, &["inspect"]));
    assert!(
        inspect.contains(&format!("block {partial}\n  state: partial upload")),
        "{inspect}"
    );
    let verify = run(&mut bucket_cmd(&config, &["verify"]));
    assert!(
        !verify.status.success(),
        "verify must fail on the unreadable meta.json"
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains(&corrupt.to_string()));

    // The disk cache lets a fresh fetcher start without refetching (metas never change).
    assert!(work
        .join("meta-cache")
        .join(ids[0].to_string())
        .join("meta.json")
        .is_file());

    // A deletion mark hides the block from readers; the mark reads back as written.
    rt.block_on(async {
        let mark = DeletionMark::now(ids[0], "test");
        mnemos_block::write_mark(&bucket, ids[0], &mark)
            .await
            .expect("mark");
        let back: Option<DeletionMark> = mnemos_block::read_mark(&bucket, ids[0])
            .await
            .expect("read mark");
        assert_eq!(back, Some(mark));
        bucket
            .delete(&format!("{corrupt}/meta.json"))
            .await
            .expect("delete corrupt");
    });
    let ls = stdout_of(&mut bucket_cmd(&config, &["ls"]));
    assert!(
        !ls.contains(&ids[0].to_string()),
        "deletion-marked block listed:\n{ls}"
    );
    assert_eq!(ls.lines().count() - 1, blocks.len() - 1);
    // Deleting it removes every object, the mark included.
    rt.block_on(async {
        let deleted = mnemos_block::delete_block(&bucket, ids[0])
            .await
            .expect("delete");
        assert!(deleted >= 4, "meta, index, chunks, mark: {deleted}");
        let left = bucket
            .list_objects(&format!("{}/", ids[0]))
            .await
            .expect("list");
        assert!(left.is_empty(), "{left:?}");
    });

    // Marks by Thanos' file names, and their removal (`--remove`, `--no-remove`).
    let id = ids[1].to_string();
    let state = |config: &Path| {
        let inspect = stdout_of(&mut bucket_cmd(config, &["inspect", &format!("--id={id}")]));
        inspect
            .lines()
            .find_map(|l| l.trim().strip_prefix("state: "))
            .unwrap_or_default()
            .to_string()
    };
    for marker in ["no-downsample-mark.json", "no-compact-mark.json"] {
        let out = stdout_of(&mut bucket_cmd(
            &config,
            &[
                "mark",
                &format!("--id={id}"),
                &format!("--marker={marker}"),
                "--no-remove",
            ],
        ));
        assert!(out.contains(&format!("{id}: marked")), "{out}");
    }
    assert_eq!(state(&config), "no-compact-mark,no-downsample-mark");
    for marker in ["no-downsample", "no-compact-mark.json"] {
        let out = stdout_of(&mut bucket_cmd(
            &config,
            &[
                "mark",
                &format!("--id={id}"),
                &format!("--marker={marker}"),
                "--remove",
            ],
        ));
        assert!(out.contains(&format!("{id}: mark removed")), "{out}");
    }
    assert_eq!(state(&config), "ok");

    // A truncated file is reported by verify with both sizes.
    rt.block_on(async {
        let key = format!("{}/index", ids[1]);
        let index = bucket.get(&key).await.expect("index");
        bucket
            .put(&key, index.slice(..index.len() / 2))
            .await
            .expect("truncate");
    });
    let verify = run(&mut bucket_cmd(
        &config,
        &["verify", &format!("--id={}", ids[1])],
    ));
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(!verify.status.success());
    assert!(
        out.contains(&format!("{}: index has", ids[1])) && out.contains("meta.json says"),
        "{out}"
    );
}

#[test]
fn bucket_tools_on_filesystem() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("bucket");
    check_bucket(
        work.path(),
        &format!(
            "type: FILESYSTEM\nconfig:\n  directory: {}\n",
            dir.display()
        ),
    );
}

#[test]
fn bucket_tools_on_s3() {
    let work = tempfile::tempdir().expect("tempdir");
    let garage = Garage::start(work.path());
    check_bucket(work.path(), &garage.objstore_yaml(&garage.endpoint()));
}

#[test]
fn bucket_upload_exports_traces_over_otlp() {
    let work = tempfile::tempdir().expect("tempdir");
    let sink = mnemos_e2e::otlp::OtlpSink::start();
    let (_data, blocks) = backfilled_blocks(work.path());
    let config = work.path().join("objstore.yml");
    let dir = work.path().join("bucket");
    std::fs::write(
        &config,
        format!(
            "type: FILESYSTEM\nconfig:\n  directory: {}\n",
            dir.display()
        ),
    )
    .expect("config");
    let mut upload = bucket_cmd(&config, &["upload", "--label", "cluster=eu1"]);
    upload
        .arg(format!("--tracing.config={}", sink.tracing_yaml()))
        .arg(&blocks[0]);
    stdout_of(&mut upload);
    let received = sink.received();
    let traces: Vec<&Vec<u8>> = received
        .iter()
        .filter(|(path, _)| path == "/v1/traces")
        .map(|(_, body)| body)
        .collect();
    assert!(!traces.is_empty(), "no OTLP export received: {received:?}");
    let contains = |needle: &str| {
        traces
            .iter()
            .any(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
    };
    assert!(contains("block.upload"), "span name missing");
    assert!(contains("mnemos-tools"), "service name missing");
}

#[test]
fn an_objstore_setting_mnemos_does_not_implement_stops_the_command() {
    let config = "type: S3\nconfig:\n  bucket: b\n  endpoint: 127.0.0.1:1\n  sse_config:\n    type: SSE-KMS\n    kms_key_id: kms-key-id-value\n    kms_encryption_context:\n      team: kms-context-value\n";
    let out = run(Command::new(mnemos_bin())
        .args(["tools", "bucket", "ls"])
        .arg(format!("--objstore.config={config}")));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("config.sse_config.kms_encryption_context is set"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("kms-key-id-value") && !stderr.contains("kms-context-value"),
        "{stderr}"
    );
}

/// Garage reached with credentials that are not in the objstore YAML: first only in the
/// `AWS_*` environment variables, then only in a shared credentials file at a named
/// profile. The log names the source, never the secret; a wrong secret is refused by S3.
#[test]
fn s3_credentials_from_the_environment_and_a_shared_file() {
    let work = tempfile::tempdir().expect("tempdir");
    let garage = Garage::start(work.path());
    let yaml = format!(
        "type: S3\nconfig:\n  bucket: {}\n  endpoint: {}\n  region: {}\n  insecure: true\n",
        garage.bucket(),
        garage.endpoint(),
        garage.region()
    );
    let ls = |vars: &[(&str, &str)]| {
        let mut cmd = Command::new(mnemos_bin());
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env("HOME", work.path())
            .env("MNEMOS_LOG_LEVEL", "info")
            .args(["tools", "bucket", "ls"])
            .arg(format!("--objstore.config={yaml}"));
        for (k, v) in vars {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();

    let from_env = ls(&[
        ("AWS_ACCESS_KEY_ID", garage.access_key()),
        ("AWS_SECRET_ACCESS_KEY", garage.secret_key()),
    ]);
    assert!(from_env.status.success(), "{}", stderr(&from_env));
    assert!(stderr(&from_env).contains("environment (AWS_ACCESS_KEY_ID)"));
    assert!(!stderr(&from_env).contains(garage.secret_key()));

    let file = work.path().join("aws-credentials");
    std::fs::write(
        &file,
        format!(
            "[default]\naws_access_key_id = nobody\naws_secret_access_key = wrong\n\n\
             [mnemos]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            garage.access_key(),
            garage.secret_key()
        ),
    )
    .expect("credentials file");
    let file = file.to_str().expect("utf-8 path");
    let from_file = ls(&[
        ("AWS_SHARED_CREDENTIALS_FILE", file),
        ("AWS_PROFILE", "mnemos"),
    ]);
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    assert!(stderr(&from_file).contains("(profile mnemos)"));
    assert!(!stderr(&from_file).contains(garage.secret_key()));

    // The default profile holds keys Garage does not know: refused, not served anonymously.
    let wrong = ls(&[("AWS_SHARED_CREDENTIALS_FILE", file)]);
    assert!(!wrong.status.success(), "{}", stderr(&wrong));
}
