//! Object storage security settings against real servers, through the `mnemos` binary's
//! startup path: SSE-C against Garage (objects written with a customer key are read back
//! only with that key), and S3 credentials from web identity through a real STS (moto over
//! HTTPS, its certificate trusted through `http_config.tls_config.ca_file`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mnemos_e2e::garage::Garage;
use mnemos_e2e::moto::{self, Moto};
use mnemos_e2e::openmetrics::Spec;
use mnemos_e2e::process::log_digest;
use mnemos_e2e::{mnemos_bin, promtool};
use ulid::Ulid;

/// A JWT-shaped web identity token (moto does not check its signature).
const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bW5lbW9zIn0.c2lnbmF0dXJl";
/// The role the test assumes.
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/mnemos-e2e";

/// `mnemos tools bucket <args> --objstore.config-file=<config>`, with no AWS setting of
/// the environment the test runs in, `HOME` at `home`, and info logs.
fn bucket_cmd(config: &Path, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(mnemos_bin());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home)
        .env("MNEMOS_LOG_LEVEL", "info")
        .args(["tools", "bucket"])
        .args(args)
        .arg(format!("--objstore.config-file={}", config.display()));
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run mnemos")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a command that must succeed; returns (stdout, stderr).
fn ok(cmd: &mut Command) -> (String, String) {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        log_digest(&stderr(&out))
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
    )
}

/// Two small blocks made by promtool; returns their data directory.
fn blocks(work: &Path) -> PathBuf {
    let spec = Spec {
        seed: 7,
        series: 5,
        samples_per_series: 200,
        label_names: 1,
        start_ms: 1_700_000_000_000,
        max_step_ms: 60_000,
    };
    promtool::backfill(work, &spec).0
}

/// `upload-blocks --path=<data>`: the uploaded block ids.
fn upload(cmd: Command) -> Vec<Ulid> {
    let mut cmd = cmd;
    let (printed, _) = ok(&mut cmd);
    let ids: Vec<Ulid> = printed
        .lines()
        .map(|l| Ulid::from_string(l.trim()).expect("upload prints block ids"))
        .collect();
    assert!(!ids.is_empty());
    ids
}

#[test]
fn sse_c_objects_are_readable_only_with_their_key() {
    let work = tempfile::tempdir().expect("tempdir");
    let home = work.path();
    let garage = Garage::start(work.path());
    let plain_yaml = garage.objstore_yaml(&garage.endpoint());
    let key_yaml = |name: &str, key: [u8; 32]| {
        let path = work.path().join(name);
        std::fs::write(&path, key).expect("write key");
        format!(
            "{plain_yaml}  sse_config:\n    type: SSE-C\n    encryption_key: {}\n",
            path.display()
        )
    };
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    let sse_yaml = key_yaml("sse-c.key", key);
    let config = work.path().join("objstore.yml");
    std::fs::write(&config, &sse_yaml).expect("write config");
    let data = blocks(work.path());

    // The binary writes blocks with the key, lists and verifies them with it.
    let path_arg = format!("--path={}", data.display());
    let ids = upload(bucket_cmd(
        &config,
        home,
        &["upload-blocks", &path_arg, "--label", "cluster=sse"],
    ));
    let (ls, log) = ok(&mut bucket_cmd(&config, home, &["ls"]));
    for id in &ids {
        assert!(ls.contains(&id.to_string()), "{id} not listed:\n{ls}");
    }
    assert!(
        log.contains("sse=\"SSE-C\"") || log.contains("sse=SSE-C"),
        "{log}"
    );
    let (verify, _) = ok(&mut bucket_cmd(&config, home, &["verify"]));
    assert_eq!(
        verify.lines().filter(|l| l.ends_with(": ok")).count(),
        ids.len(),
        "{verify}"
    );

    // The same objects through the library: with the key they read back, also a part of a
    // multipart upload; without it, or with another key, S3 refuses them.
    let with_key = mnemos_e2e::open_bucket(&sse_yaml);
    let without_key = mnemos_e2e::open_bucket(&plain_yaml);
    let wrong_key = mnemos_e2e::open_bucket(&key_yaml("other.key", [1u8; 32]));
    let meta = format!("{}/meta.json", ids[0]);
    let big = work.path().join("big");
    let big_len: usize = (33 << 20) + 12_345;
    let content: Vec<u8> = (0..big_len).map(|i| (i % 251) as u8).collect();
    std::fs::write(&big, &content).expect("write big file");
    mnemos_e2e::runtime().block_on(async {
        let json = with_key.get(&meta).await.expect("read with the key");
        assert!(json.starts_with(b"{"), "meta.json decrypted");
        assert_eq!(
            with_key.size(&meta).await.expect("head"),
            Some(json.len() as u64)
        );
        let err = without_key
            .get(&meta)
            .await
            .expect_err("read without the key");
        assert!(!err.is_not_found(), "{err}");
        wrong_key
            .get(&meta)
            .await
            .expect_err("read with another key");

        let sent = with_key
            .upload_file("sse/big", &big)
            .await
            .expect("multipart upload with the key");
        assert_eq!(sent, big_len as u64);
        let start = (20 << 20) + 7;
        let part = with_key
            .get_range("sse/big", start as u64..start as u64 + 4096)
            .await
            .expect("range read with the key");
        assert_eq!(&part[..], &content[start..start + 4096]);
        without_key
            .get_range("sse/big", 0..16)
            .await
            .expect_err("range read without the key");
    });

    // Without the key, the binary cannot read the metas: no block is listed as sound.
    let plain_config = work.path().join("plain.yml");
    std::fs::write(&plain_config, &plain_yaml).expect("write config");
    let out = run(&mut bucket_cmd(&plain_config, home, &["ls"]));
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() || !listed.contains(&ids[0].to_string()),
        "listed without the key:\n{listed}"
    );
}

#[test]
fn s3_credentials_from_web_identity_through_a_real_sts() {
    let Some(python) =
        moto::moto_python_or_skip("s3_credentials_from_web_identity_through_a_real_sts")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let home = work.path();
    let moto = Moto::start(&python, work.path());
    let token_file = work.path().join("web-identity-token");
    std::fs::write(&token_file, TOKEN).expect("write token");
    let yaml = |extra: &str| {
        format!(
            "type: S3\nconfig:\n  bucket: {}\n  endpoint: {}\n  region: {}\n  max_retries: 1\n{extra}",
            moto::BUCKET,
            moto.endpoint(),
            moto::REGION,
        )
    };
    let tls = format!(
        "  http_config:\n    tls_config:\n      ca_file: {}\n",
        moto.ca_file().display()
    );
    let write = |name: &str, text: String| {
        let p = work.path().join(name);
        std::fs::write(&p, text).expect("write config");
        p
    };
    let config = write(
        "objstore.yml",
        yaml(&format!("  sts_endpoint: {}\n{tls}", moto.url())),
    );
    let web_identity = |config: &Path, args: &[&str]| {
        let mut cmd = bucket_cmd(config, home, args);
        cmd.env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
            .env("AWS_ROLE_ARN", ROLE_ARN)
            .env("AWS_ROLE_SESSION_NAME", "mnemos-e2e");
        cmd
    };

    // Written and read back by the binary, with credentials from STS only.
    let data = blocks(work.path());
    let path_arg = format!("--path={}", data.display());
    let ids = upload(web_identity(
        &config,
        &["upload-blocks", &path_arg, "--label", "cluster=irsa"],
    ));
    let (ls, log) = ok(&mut web_identity(&config, &["ls"]));
    for id in &ids {
        assert!(ls.contains(&id.to_string()), "{id} not listed:\n{ls}");
    }
    assert!(
        log.contains(&format!("web identity (role {ROLE_ARN})")),
        "credential source not logged:\n{log}"
    );
    assert!(!log.contains(TOKEN), "the token reached the log");
    let (verify, _) = ok(&mut web_identity(&config, &["verify"]));
    assert_eq!(
        verify.lines().filter(|l| l.ends_with(": ok")).count(),
        ids.len(),
        "{verify}"
    );
    let calls = moto.web_identity_calls();
    assert!(
        calls >= 3,
        "{calls} AssumeRoleWithWebIdentity calls:\n{}",
        moto.log()
    );

    // The STS endpoint from AWS_ENDPOINT_URL_STS when the YAML has none.
    let env_config = write("env-sts.yml", yaml(&tls));
    ok(web_identity(&env_config, &["ls"]).env("AWS_ENDPOINT_URL_STS", moto.url()));
    assert!(moto.web_identity_calls() > calls);

    // The token is only exchanged where configured: an STS that does not answer stops the
    // command, and so does an untrusted certificate (no ca_file).
    let closed = format!("https://127.0.0.1:{}", mnemos_e2e::process::free_port());
    let dead_sts = write(
        "dead-sts.yml",
        yaml(&format!("  sts_endpoint: {closed}\n{tls}")),
    );
    let out = run(&mut web_identity(&dead_sts, &["ls"]));
    assert!(!out.status.success(), "listed without STS");
    assert!(!stderr(&out).contains(TOKEN));
    let untrusted = write(
        "untrusted.yml",
        yaml(&format!("  sts_endpoint: {}\n", moto.url())),
    );
    let out = run(&mut web_identity(&untrusted, &["ls"]));
    assert!(!out.status.success(), "an unknown CA was trusted");

    // Plain-HTTP STS is refused at startup, naming the key and not its value.
    let plain_sts = write(
        "plain-sts.yml",
        yaml(&format!(
            "  sts_endpoint: http://{}\n{tls}",
            moto.endpoint()
        )),
    );
    let out = run(&mut web_identity(&plain_sts, &["ls"]));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("config.sts_endpoint must be an https:// URL"),
        "{}",
        stderr(&out)
    );
}

/// A bucket behind mutual TLS: without `cert_file`/`key_file` the server refuses the
/// connection; with them the binary writes and reads blocks.
#[test]
fn s3_over_mutual_tls_with_a_client_certificate() {
    let Some(python) = moto::moto_python_or_skip("s3_over_mutual_tls_with_a_client_certificate")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let home = work.path();
    let moto = Moto::start_mutual_tls(&python, work.path());
    let (cert, key) = moto.client_cert();
    let yaml = |tls_extra: &str| {
        format!(
            "type: S3\nconfig:\n  bucket: {}\n  endpoint: {}\n  region: {}\n  access_key: moto\n  \
             secret_key: moto\n  max_retries: 1\n  http_config:\n    tls_config:\n      \
             ca_file: {}\n{tls_extra}",
            moto::BUCKET,
            moto.endpoint(),
            moto::REGION,
            moto.ca_file().display(),
        )
    };
    let with_cert = work.path().join("mtls.yml");
    std::fs::write(
        &with_cert,
        yaml(&format!(
            "      cert_file: {}\n      key_file: {}\n",
            cert.display(),
            key.display()
        )),
    )
    .expect("write config");
    let without_cert = work.path().join("no-cert.yml");
    std::fs::write(&without_cert, yaml("")).expect("write config");

    let out = run(&mut bucket_cmd(&without_cert, home, &["ls"]));
    assert!(!out.status.success(), "served without a client certificate");

    let data = blocks(work.path());
    let path_arg = format!("--path={}", data.display());
    let ids = upload(bucket_cmd(
        &with_cert,
        home,
        &["upload-blocks", &path_arg, "--label", "cluster=mtls"],
    ));
    let (verify, _) = ok(&mut bucket_cmd(&with_cert, home, &["verify"]));
    assert_eq!(
        verify.lines().filter(|l| l.ends_with(": ok")).count(),
        ids.len(),
        "{verify}"
    );
}
