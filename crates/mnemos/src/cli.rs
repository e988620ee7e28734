//! Top-level command line: global flags and the subcommands.

use std::collections::BTreeSet;
use std::ffi::OsString;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::components::{CompactArgs, QueryArgs, QueryFrontendArgs, SidecarArgs, StoreArgs};
use crate::logging::LogArgs;
use crate::tools::ToolsCommand;

/// Global query and long-term storage for Prometheus.
#[derive(Debug, Parser)]
#[command(name = "mnemos", version, about, long_about = None)]
pub struct Cli {
    /// Logging flags shared by every subcommand.
    #[command(flatten)]
    pub log: LogArgs,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process' arguments with Thanos' forms of boolean flags: `--flag`,
    /// `--flag=true|false` and `--no-flag` all work for every boolean flag.
    pub fn parse_thanos_style() -> Self {
        Self::parse_thanos_style_from(std::env::args_os())
    }

    /// [`Cli::parse_thanos_style`] over given arguments (the first is the program name).
    pub fn parse_thanos_style_from(args: impl IntoIterator<Item = OsString>) -> Self {
        Self::try_parse_thanos_style_from(args).unwrap_or_else(|e| e.exit())
    }

    /// [`Cli::parse_thanos_style_from`], returning clap's error instead of exiting.
    pub fn try_parse_thanos_style_from(
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<Self, clap::Error> {
        let cmd = Self::command();
        let mut names = BTreeSet::new();
        bool_flags(&cmd, &mut names);
        let cmd = thanos_bools(cmd);
        let matches = cmd
            .clone()
            .try_get_matches_from(negations_rewritten(args, &names))?;
        let set = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok());
        let unknown = unknown_env_vars(&cmd, &matches, set);
        if !unknown.is_empty() {
            return Err(cmd.clone().error(
                clap::error::ErrorKind::UnknownArgument,
                format!(
                    "environment variable{} {} set, but `{}` has no such flag; unset {}",
                    if unknown.len() > 1 { "s" } else { "" },
                    unknown.join(", "),
                    command_path(&cmd, &matches),
                    if unknown.len() > 1 { "them" } else { "it" },
                ),
            ));
        }
        Self::from_arg_matches(&matches)
    }
}

/// Variables with mnemos' prefix that are read by its scripts and tests, not by a flag.
const SCRIPT_ENV_VARS: [&str; 5] = [
    "MNEMOS_BIN",
    "MNEMOS_BENCH_LOG",
    "MNEMOS_BENCH_WORK",
    "MNEMOS_GARAGE_BIN",
    "MNEMOS_TOOLS_DIR",
];

/// The subcommands the arguments chose, from the root: each with its matches.
fn chosen_path<'a>(
    cmd: &'a clap::Command,
    matches: &'a clap::ArgMatches,
) -> Vec<&'a clap::Command> {
    let mut path = vec![cmd];
    let (mut cmd, mut matches) = (cmd, matches);
    while let Some((name, sub_matches)) = matches.subcommand() {
        let Some(sub) = cmd.find_subcommand(name) else {
            break;
        };
        path.push(sub);
        (cmd, matches) = (sub, sub_matches);
    }
    path
}

/// `mnemos tools bucket ls`, say.
fn command_path(cmd: &clap::Command, matches: &clap::ArgMatches) -> String {
    chosen_path(cmd, matches)
        .iter()
        .map(|c| c.get_name())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `MNEMOS_*` variables among `set` that no flag of the chosen command reads (nor a
/// script: [`SCRIPT_ENV_VARS`], `MNEMOS_DEMO_*`): a setting that would otherwise be
/// silently ignored, e.g. `MNEMOS_GRPC_SERVER_TLS_CERT` before mnemos has that flag.
fn unknown_env_vars(
    cmd: &clap::Command,
    matches: &clap::ArgMatches,
    set: impl Iterator<Item = String>,
) -> Vec<String> {
    let read: BTreeSet<String> = chosen_path(cmd, matches)
        .iter()
        .flat_map(|c| c.get_arguments())
        .filter_map(|a| a.get_env())
        .filter_map(|e| e.to_str().map(str::to_string))
        .collect();
    let mut unknown: Vec<String> = set
        .filter(|k| k.starts_with("MNEMOS_") && !k.starts_with("MNEMOS_DEMO_"))
        .filter(|k| !read.contains(k) && !SCRIPT_ENV_VARS.contains(&k.as_str()))
        .collect();
    unknown.sort();
    unknown
}

/// Whether `arg` is a boolean flag: a switch, or a flag taking `true`/`false`.
fn is_bool(arg: &clap::Arg) -> bool {
    if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
        return true;
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_string())
        .collect();
    matches!(arg.get_action(), ArgAction::Set) && values == ["true", "false"]
}

/// Every boolean flag of `cmd` and its subcommands takes `--flag` (true) and `--flag=VALUE`,
/// and may be given more than once (the last one wins, as in Thanos).
fn thanos_bools(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|arg| {
        if arg.is_positional() || !is_bool(&arg) {
            return arg;
        }
        let default = match arg.get_action() {
            ArgAction::SetFalse => "true",
            ArgAction::SetTrue => "false",
            _ => "",
        };
        let id = arg.get_id().clone();
        let arg = arg
            .action(ArgAction::Set)
            .overrides_with(id)
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .value_parser(clap::builder::BoolishValueParser::new());
        if default.is_empty() {
            arg
        } else {
            arg.default_value(default)
        }
    })
    .mut_subcommands(thanos_bools)
}

/// The long names of every boolean flag in `cmd` and its subcommands.
fn bool_flags(cmd: &clap::Command, out: &mut BTreeSet<String>) {
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long().filter(|_| is_bool(arg)) {
            out.insert(long.to_string());
        }
    }
    for sub in cmd.get_subcommands() {
        bool_flags(sub, out);
    }
}

/// `--no-NAME` of a boolean flag `NAME` becomes `--NAME=false` (up to a `--`).
fn negations_rewritten(
    args: impl IntoIterator<Item = OsString>,
    bools: &BTreeSet<String>,
) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut options_ended = false;
    for arg in args {
        let negated = arg
            .to_str()
            .filter(|_| !options_ended)
            .and_then(|a| a.strip_prefix("--no-"))
            .filter(|name| bools.contains(*name))
            .map(|name| OsString::from(format!("--{name}=false")));
        options_ended |= arg == "--";
        out.push(negated.unwrap_or(arg));
    }
    out
}

/// The subcommands, named as in Thanos.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs next to one Prometheus: ships its blocks to object storage, serves recent data.
    Sidecar(SidecarArgs),
    /// Store gateway: serves the blocks in object storage over StoreAPI.
    Store(StoreArgs),
    /// Compactor: compacts, downsamples and applies retention in object storage.
    Compact(CompactArgs),
    /// Querier: a Prometheus HTTP API over every sidecar and store gateway, and a StoreAPI
    /// for queriers stacked on it. (Boxed: by far the largest set of flags.)
    Query(Box<QueryArgs>),
    /// Query-frontend: splits range queries by time, caches results (in memory, memcached,
    /// Redis) and retries, in front of a querier.
    QueryFrontend(Box<QueryFrontendArgs>),
    /// Operator tools: TSDB blocks and buckets.
    #[command(subcommand)]
    Tools(ToolsCommand),
}

impl Command {
    /// Name of the component, for traces (`service.name`) and metrics.
    pub fn component(&self) -> &'static str {
        match self {
            Command::Sidecar(_) => "sidecar",
            Command::Store(_) => "store",
            Command::Compact(_) => "compact",
            Command::Query(_) => "query",
            Command::QueryFrontend(_) => "query-frontend",
            Command::Tools(_) => "tools",
        }
    }

    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Sidecar(a) => a.run(),
            Command::Store(a) => a.run(),
            Command::Compact(a) => a.run(),
            Command::Query(a) => a.run(),
            Command::QueryFrontend(a) => a.run(),
            Command::Tools(t) => t.run(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::parse_thanos_style_from(args.iter().map(OsString::from))
    }

    fn partial_response(args: &[&str]) -> bool {
        match parse(args).command {
            Command::Query(q) => q.partial_response,
            other => panic!("not a query: {other:?}"),
        }
    }

    /// The arguments prometheus-operator gives its Thanos sidecar container (every optional
    /// one it sets from the Prometheus resource, but the gRPC TLS flags).
    #[test]
    fn prometheus_operator_sidecar_arguments_parse() {
        let args = [
            "mnemos",
            "sidecar",
            "--prometheus.url=http://localhost:9090/",
            "--grpc-address=:10901",
            "--http-address=:10902",
            "--objstore.config=$(OBJSTORE_CONFIG)",
            "--tsdb.path=/prometheus",
            "--tracing.config=$(TRACING_CONFIG)",
            "--log.level=info",
            "--log.format=logfmt",
            "--min-time=-2w",
            "--prometheus.ready_timeout=10m",
            "--prometheus.get_config_timeout=30s",
            "--prometheus.get_config_interval=30s",
        ];
        let parsed = Cli::try_parse_thanos_style_from(args.iter().map(OsString::from));
        assert!(
            matches!(
                parsed,
                Ok(Cli {
                    command: Command::Sidecar(_),
                    ..
                })
            ),
            "{parsed:?}"
        );
    }

    #[test]
    fn unknown_mnemos_env_vars_are_named() {
        let cmd = thanos_bools(Cli::command());
        let unknown = |args: &[&str], env: &[&str]| {
            let matches = cmd.clone().try_get_matches_from(args).expect("args");
            unknown_env_vars(&cmd, &matches, env.iter().map(|e| e.to_string()))
        };
        let q = ["mnemos", "query"];
        assert!(unknown(&q, &["MNEMOS_QUERY_TIMEOUT", "MNEMOS_LOG_LEVEL", "HOME"]).is_empty());
        assert!(unknown(&q, &["MNEMOS_BIN", "MNEMOS_DEMO_DIR"]).is_empty());
        assert_eq!(
            unknown(&q, &["MNEMOS_TSDB_PATH", "MNEMOS_OBJSTORE_CONFIG"]),
            ["MNEMOS_OBJSTORE_CONFIG", "MNEMOS_TSDB_PATH"]
        );
        let ls = ["mnemos", "tools", "bucket", "ls", "--objstore.config=x"];
        assert!(unknown(&ls, &["MNEMOS_OBJSTORE_CONFIG_FILE"]).is_empty());
        assert_eq!(
            unknown(&ls, &["MNEMOS_QUERY_TIMEOUT"]),
            ["MNEMOS_QUERY_TIMEOUT"]
        );
        let matches = cmd.clone().try_get_matches_from(ls).expect("args");
        assert_eq!(command_path(&cmd, &matches), "mnemos tools bucket ls");
    }

    #[test]
    fn boolean_flags_take_thanos_forms() {
        let q = ["mnemos", "query"];
        assert!(partial_response(&q));
        for (flag, want) in [
            ("--query.partial-response", true),
            ("--query.partial-response=true", true),
            ("--query.partial-response=false", false),
            ("--no-query.partial-response", false),
        ] {
            assert_eq!(partial_response(&[q[0], q[1], flag]), want, "{flag}");
        }
        let wait = |args: &[&str]| match parse(args).command {
            Command::Compact(c) => c.wait,
            other => panic!("not compact: {other:?}"),
        };
        let c = ["mnemos", "compact", "--objstore.config=type: FILESYSTEM"];
        assert!(!wait(&c));
        assert!(wait(&[c[0], c[1], c[2], "--wait"]));
        assert!(!wait(&[c[0], c[1], c[2], "--wait=false"]));
        assert!(!wait(&[c[0], c[1], c[2], "--wait", "--no-wait"]));
        assert!(Cli::command()
            .try_get_matches_from(["mnemos", "query", "--no-such"])
            .is_err());
    }

    #[test]
    fn deduplication_func_takes_thanos_values() {
        use mnemos_dedup::DedupFunc;
        let try_parse = |args: &[&str]| {
            Cli::try_parse_thanos_style_from(args.iter().map(OsString::from)).map(|c| c.command)
        };
        let query = |extra: &[&str]| match try_parse(&[&["mnemos", "query"], extra].concat())
            .expect("query args")
        {
            Command::Query(q) => q.dedup_func,
            other => panic!("not a query: {other:?}"),
        };
        assert_eq!(query(&[]), DedupFunc::Penalty);
        assert_eq!(query(&["--deduplication.func=chain"]), DedupFunc::Chain);
        // Thanos' querier reads an empty value as its default, penalty.
        assert_eq!(query(&["--deduplication.func="]), DedupFunc::Penalty);
        let compact = ["mnemos", "compact", "--objstore.config=type: FILESYSTEM"];
        let func = |extra: &[&str]| {
            try_parse(&[&compact[..], extra].concat()).map(|c| match c {
                Command::Compact(c) => c.dedup_func,
                other => panic!("not compact: {other:?}"),
            })
        };
        assert_eq!(func(&[]).expect("default"), DedupFunc::Penalty);
        assert_eq!(
            func(&["--deduplication.func", "chain"]).expect("chain"),
            DedupFunc::Chain
        );
        // Empty means 1:1 to Thanos' compactor and penalty to mnemos: refused, with why.
        let err = func(&["--deduplication.func="]).unwrap_err().to_string();
        assert!(err.contains("say \"chain\""), "{err}");
        for args in [
            &["mnemos", "query", "--deduplication.func=max"][..],
            &[
                compact[0],
                compact[1],
                compact[2],
                "--deduplication.func=Penalty",
            ],
        ] {
            let err = try_parse(args).unwrap_err().to_string();
            assert!(err.contains("expected \"penalty\" or \"chain\""), "{err}");
        }
    }

    #[test]
    fn every_flag_has_an_env_var() {
        fn check(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") || arg.is_positional() {
                    continue;
                }
                assert!(
                    arg.get_env().is_some(),
                    "flag --{} of `{path}` has no env var",
                    arg.get_long().unwrap_or(id)
                );
            }
            for sub in cmd.get_subcommands() {
                check(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        Cli::command().debug_assert();
        thanos_bools(Cli::command()).debug_assert();
        check(&Cli::command(), "mnemos");
    }
}
