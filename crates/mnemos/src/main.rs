//! `mnemos`: one binary with Thanos-style subcommands.

mod cli;
mod components;
mod logging;
mod selector;
mod tools;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse_thanos_style();
    let _tracing = match logging::init(&cli.log, cli.command.component()) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("mnemos: cannot set up logging: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    match cli.command.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "command failed");
            eprintln!("mnemos: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
