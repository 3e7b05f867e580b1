//! `mrs-iam-sync`: inspect and drive IAM user synchronization on Huawei
//! Cloud MRS clusters from the command line. See the crate README for the
//! commands and the exit codes ([`exit`]).

#![warn(missing_docs)]

mod args;
mod client;
mod commands;
mod duration;
mod exit;
mod interrupt;
mod log;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version print to stdout and succeed.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    if let Err(failure) = log::init(cli.global.verbose) {
        eprintln!("{}", failure.report());
        return ExitCode::from(failure.code());
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(commands::run(&cli)) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(failure) => {
            eprintln!("{}", failure.report());
            ExitCode::from(failure.code())
        }
    }
}
