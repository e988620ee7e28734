//! A real single-node Garage 2.5 S3 server on free 127.0.0.1 ports, with one
//! bucket (`mnemos`) and one read/write/owner access key (`mnemos-test`).

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::http;
use crate::process::{free_port, run_ok, stdout_of, wait_for, ChildGuard};

/// Name of the bucket every [`Garage`] creates.
pub const BUCKET: &str = "mnemos";
/// Name of the access key every [`Garage`] creates.
pub const KEY_NAME: &str = "mnemos-test";
/// S3 region Garage is configured with (Garage checks it in SigV4 signatures).
pub const REGION: &str = "garage";

/// A running single-node Garage with bucket [`BUCKET`] and key [`KEY_NAME`];
/// the server is killed when this value drops.
pub struct Garage {
    bin: PathBuf,
    config: PathBuf,
    log: PathBuf,
    s3_port: u16,
    admin_port: u16,
    access_key: String,
    secret_key: String,
    startup: Duration,
    guard: ChildGuard,
}

/// Path of the `garage` binary: `$MNEMOS_GARAGE_BIN`, else `garage` on PATH,
/// else `$HOME/.cache/mnemos-tools/bin/garage`; panics if none exists.
pub fn garage_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("MNEMOS_GARAGE_BIN") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "MNEMOS_GARAGE_BIN={} is not a file",
            p.display()
        );
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join("garage");
        if p.is_file() {
            return p;
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        let p = PathBuf::from(home).join(".cache/mnemos-tools/bin/garage");
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`garage` (Garage 2.5 S3 server) is not installed: run scripts/test.sh which installs it \
         (or set MNEMOS_GARAGE_BIN)"
    );
}

/// 64 random hex digits (from /dev/urandom), for `rpc_secret`.
fn random_hex32() -> String {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("read /dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Value of a `Label:   value` line in `garage key …` table output.
fn table_value(output: &str, label: &str) -> Option<String> {
    output.lines().find_map(|l| {
        l.trim()
            .strip_prefix(label)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

impl Garage {
    /// Writes a config into `work`, starts `garage server` (log in
    /// `work/garage.log`), applies a one-node layout, creates key
    /// [`KEY_NAME`] and bucket [`BUCKET`] with read/write/owner rights, and
    /// waits until the S3 API answers.
    pub fn start(work: &Path) -> Garage {
        let t0 = Instant::now();
        let bin = garage_bin();
        let meta = work.join("garage-meta");
        let data = work.join("garage-data");
        std::fs::create_dir_all(&meta).expect("create garage metadata dir");
        std::fs::create_dir_all(&data).expect("create garage data dir");
        let rpc_port = free_port();
        let s3_port = free_port();
        let admin_port = free_port();
        let config = work.join("garage.toml");
        let log = work.join("garage.log");
        let toml = format!(
            r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1

rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3_port}"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
"#,
            meta = meta.display(),
            data = data.display(),
            secret = random_hex32(),
        );
        std::fs::write(&config, toml).expect("write garage config");

        let mut cmd = Command::new(&bin);
        cmd.arg("-c")
            .arg(&config)
            .arg("server")
            .env("NO_COLOR", "1");
        let mut guard = ChildGuard::spawn("garage", &mut cmd, &log);
        let cli = || {
            let mut c = Command::new(&bin);
            c.arg("-c").arg(&config);
            c
        };

        // The CLI talks RPC to the node; `status` succeeds once it is up.
        let up = wait_for(Duration::from_secs(30), Duration::from_millis(100), || {
            guard.assert_running();
            cli()
                .arg("status")
                .output()
                .ok()
                .filter(|o| o.status.success())
        });
        assert!(
            up.is_some(),
            "garage did not answer `garage status` within 30s; log: {}",
            log.display()
        );

        // `node id -q` prints `<64 hex>@127.0.0.1:<rpc port>`.
        let id_line = stdout_of(cli().args(["node", "id", "-q"]));
        let node_id = id_line
            .trim()
            .split('@')
            .next()
            .filter(|id| id.len() == 64)
            .unwrap_or_else(|| panic!("unexpected `garage node id` output {id_line:?}"))
            .to_string();
        run_ok(cli().args(["layout", "assign", "-z", "dc1", "-c", "1G", &node_id]));
        run_ok(cli().args(["layout", "apply", "--version", "1"]));

        let key_out = stdout_of(cli().args(["key", "create", KEY_NAME]));
        let access_key = table_value(&key_out, "Key ID:")
            .unwrap_or_else(|| panic!("no `Key ID:` in `garage key create` output:\n{key_out}"));
        let secret_key = table_value(&key_out, "Secret key:").unwrap_or_else(|| {
            panic!("no `Secret key:` in `garage key create` output:\n{key_out}")
        });
        run_ok(cli().args(["bucket", "create", BUCKET]));
        run_ok(cli().args([
            "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", KEY_NAME,
        ]));

        // An unsigned request gets 403 AccessDenied once the S3 API serves.
        let path = format!("/{BUCKET}?list-type=2");
        let s3_up = wait_for(Duration::from_secs(30), Duration::from_millis(100), || {
            guard.assert_running();
            http::get(s3_port, &path).ok().filter(|r| r.status == 403)
        });
        assert!(
            s3_up.is_some(),
            "garage S3 API on 127.0.0.1:{s3_port} did not answer 403 to an anonymous GET within 30s; log: {}",
            log.display()
        );

        Garage {
            bin,
            config,
            log,
            s3_port,
            admin_port,
            access_key,
            secret_key,
            startup: t0.elapsed(),
            guard,
        }
    }

    /// S3 API address as `127.0.0.1:PORT` (no scheme).
    pub fn endpoint(&self) -> String {
        self.addr().to_string()
    }

    /// S3 API socket address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.s3_port))
    }

    /// Admin API socket address (no admin token is configured, so only the
    /// unauthenticated endpoints such as `/health` work).
    pub fn admin_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.admin_port))
    }

    /// Access key id (`GK…`) of key [`KEY_NAME`].
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// Secret access key of key [`KEY_NAME`].
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The bucket name, [`BUCKET`].
    pub fn bucket(&self) -> &str {
        BUCKET
    }

    /// The S3 region, [`REGION`].
    pub fn region(&self) -> &str {
        REGION
    }

    /// Thanos objstore YAML for the bucket, with `endpoint` (`host:port`, no
    /// scheme) as the S3 endpoint, so that a test can point it at a proxy.
    pub fn objstore_yaml(&self, endpoint: &str) -> String {
        format!(
            "type: S3\nconfig:\n  bucket: {BUCKET}\n  endpoint: {endpoint}\n  region: {REGION}\n  access_key: {}\n  secret_key: {}\n  insecure: true\n",
            self.access_key, self.secret_key
        )
    }

    /// A `garage -c <config>` command for running further CLI subcommands.
    pub fn cli(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("-c").arg(&self.config);
        c
    }

    /// Path of the server log (stdout and stderr).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// How long [`Garage::start`] took.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// Process id of the server.
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// Freezes the server (SIGSTOP): connections are accepted by the kernel
    /// but nothing answers until [`Garage::resume`]. Returns once the process is stopped
    /// (a signal is delivered asynchronously: on a busy machine a thread may still answer a
    /// request sent right after `kill` returns).
    pub fn pause(&self) {
        run_ok(
            Command::new("kill")
                .arg("-STOP")
                .arg(self.pid().to_string()),
        );
        // Every thread's `/proc/<pid>/task/<tid>/stat` reads `tid (comm) STATE …`.
        let tasks = format!("/proc/{}/task", self.pid());
        let stopped =
            crate::process::wait_for(Duration::from_secs(10), Duration::from_millis(10), || {
                let all_stopped = std::fs::read_dir(&tasks).ok()?.all(|task| {
                    task.ok()
                        .and_then(|t| std::fs::read_to_string(t.path().join("stat")).ok())
                        .and_then(|text| {
                            let state = text.rsplit_once(')')?.1.trim_start().chars().next()?;
                            Some(matches!(state, 'T' | 't'))
                        })
                        .unwrap_or(false)
                });
                all_stopped.then_some(())
            });
        assert!(
            stopped.is_some(),
            "garage did not stop within 10s of SIGSTOP"
        );
    }

    /// Unfreezes the server (SIGCONT) after [`Garage::pause`].
    pub fn resume(&self) {
        run_ok(
            Command::new("kill")
                .arg("-CONT")
                .arg(self.pid().to_string()),
        );
    }
}

/// A temporary work directory with a Garage in it, its objstore config file
/// (`bucket.yml`), a client of its bucket and a runtime to drive it: what tests that run
/// `mnemos` commands against S3 share.
pub struct GarageBucket {
    work: tempfile::TempDir,
    _garage: Garage,
    /// `--objstore.config-file` for the bucket.
    pub config: PathBuf,
    /// A client of the bucket.
    pub bucket: mnemos_objstore::Bucket,
    /// A runtime for the client.
    pub rt: tokio::runtime::Runtime,
}

impl GarageBucket {
    /// Starts Garage in a new temporary directory and writes the objstore config.
    pub fn start() -> Self {
        let work = tempfile::tempdir().expect("tempdir");
        let garage = Garage::start(work.path());
        let yaml = garage.objstore_yaml(&garage.endpoint());
        let config = work.path().join("bucket.yml");
        std::fs::write(&config, &yaml).expect("write objstore config");
        let bucket = crate::open_bucket(&yaml);
        GarageBucket {
            work,
            _garage: garage,
            config,
            bucket,
            rt: crate::runtime(),
        }
    }

    /// The work directory.
    pub fn path(&self) -> &Path {
        self.work.path()
    }

    /// `mnemos compact` on the bucket, with its data directory `<work>/<data>`, its HTTP
    /// listener on `http_port`, no consistency or deletion delay, then `extra`.
    pub fn compact_cmd(&self, data: &str, http_port: u16, extra: &[&str]) -> Command {
        let mut cmd = Command::new(crate::mnemos_bin());
        cmd.arg("compact")
            .arg(format!("--objstore.config-file={}", self.config.display()))
            .arg(format!("--data-dir={}", self.path().join(data).display()))
            .arg(format!("--http-address=127.0.0.1:{http_port}"))
            .args(["--consistency-delay=0s", "--delete-delay=0s"])
            .args(extra);
        cmd
    }
}
