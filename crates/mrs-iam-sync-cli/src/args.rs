//! The command line: global options and one subcommand.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use mrs_iam_sync::SigningAlgorithm;

use crate::progress::Mode;
use crate::{duration, exit};

/// Inspect and drive IAM user synchronization on Huawei Cloud MRS clusters.
///
/// Credentials come from the official SDK's default chain: OIDC federation
/// (HUAWEICLOUD_OIDC_*), the environment (HUAWEICLOUD_SDK_AK / _SK, or
/// HUAWEICLOUD_SDK_IDP_ID / _ID_TOKEN_FILE), the profile file
/// ~/.huaweicloud/credentials, the ECS/BMS metadata service (an agency bound
/// to the instance: no keys needed), CCE pod identity
/// (HC_CONTAINER_CREDENTIALS_FULL_URI); or an IAM token with --token /
/// HUAWEICLOUD_SDK_AUTH_TOKEN. The secret key is never taken from the command
/// line. `mrs-iam-sync credentials` tells which source is used. Try
/// `mrs-iam-sync demo` for a tour against loopback servers.
#[derive(Debug, Parser)]
#[command(name = "mrs-iam-sync", version, after_help = exit::help())]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Region id, e.g. cn-north-4 [default: $HUAWEICLOUD_SDK_REGION].
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Endpoint URL instead of the region's, e.g. http://127.0.0.1:8080.
    /// Repeat it, or give a comma-separated list, for several endpoints of
    /// the service: a request that cannot be delivered to one goes to the
    /// next.
    #[arg(
        long = "endpoint",
        global = true,
        value_name = "URL",
        value_delimiter = ','
    )]
    pub endpoints: Vec<String>,
    /// Project id [default: from the credentials, $HUAWEICLOUD_SDK_PROJECT_ID,
    /// or looked up at IAM for the region].
    #[arg(long, global = true, value_name = "ID")]
    pub project_id: Option<String>,
    /// Cluster id (`status` takes it more than once).
    #[arg(long = "cluster-id", global = true, value_name = "ID")]
    pub cluster_ids: Vec<String>,
    /// Authenticate with this IAM token (X-Auth-Token) instead of AK/SK
    /// [default: $HUAWEICLOUD_SDK_AUTH_TOKEN].
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Send at most N requests per second, retries included (for a gateway
    /// limit known up front). Without it the client still slows down by
    /// itself when the gateway throttles it.
    #[arg(long, global = true, value_name = "N", value_parser = parse_rate)]
    pub max_rate: Option<f64>,
    /// How AK/SK requests are signed: hmac-sha256, hmac-sm3, ecdsa-p256-sha256
    /// or sm2-sm3 (an IAM token ignores it).
    #[arg(long, global = true, value_name = "ALGORITHM", default_value = "hmac-sha256",
          value_parser = str::parse::<SigningAlgorithm>)]
    pub signing_algorithm: SigningAlgorithm,
    /// Send requests through this proxy (http://[USER:PASSWORD@]HOST:PORT,
    /// percent-encoded), instead of $HTTPS_PROXY / $HTTP_PROXY / $ALL_PROXY;
    /// $NO_PROXY still applies. The metadata service and pod identity are
    /// never proxied.
    #[arg(long, global = true, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,
    /// Use no proxy, whatever $HTTPS_PROXY, $HTTP_PROXY and $ALL_PROXY say.
    #[arg(long, global = true)]
    pub no_proxy: bool,
    /// Also trust the CA certificates of this PEM file (TLS inspected under
    /// a private CA); repeatable.
    #[arg(long = "ca-bundle", global = true, value_name = "FILE")]
    pub ca_bundles: Vec<PathBuf>,
    /// Present this client certificate (PEM) for mutual TLS; needs
    /// --client-key.
    #[arg(long, global = true, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The private key (PEM) of --client-cert.
    #[arg(long, global = true, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Do not verify TLS certificates (anyone on the network path can then
    /// read and change requests and credentials): for a test bench only.
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Print one JSON object per line instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// How to show progress on stderr: a bar (`status`) or a spinner
    /// (waiting) when stderr is a terminal (auto); plain lines for logs
    /// (`status`: one every few seconds; waiting: one per poll); or nothing.
    #[arg(long, global = true, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
    /// Log each request on stderr: -v one line per attempt (method, URL,
    /// status, size, latency, request id, attempt, retry decision); -vv also
    /// the credential source, the signed header names and the rate limiter.
    /// MRS_IAM_SYNC_LOG (tracing's filter syntax, e.g.
    /// `mrs_iam_sync::request=debug`) takes precedence. Never a secret.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// A rate in requests per second: positive and finite.
fn parse_rate(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "'{value}' is not a rate: give requests per second above zero, e.g. 100"
        )),
    }
}

/// The `--progress` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// A bar or spinner when stderr is a terminal; otherwise nothing
    /// (`demo`: lines).
    #[value(alias = "spinner", alias = "bar")]
    Auto,
    /// Plain lines on stderr, for logs: `status` every few seconds, waiting
    /// at each poll.
    Lines,
    /// Nothing.
    None,
}

impl ProgressArg {
    /// The mode this choice gives: `auto` draws when stderr is a terminal
    /// and otherwise falls back to `otherwise`.
    pub fn mode(self, otherwise: Mode) -> Mode {
        match self {
            ProgressArg::Auto if std::io::stderr().is_terminal() => Mode::Draw,
            ProgressArg::Auto => otherwise,
            ProgressArg::Lines => Mode::Lines,
            ProgressArg::None => Mode::Quiet,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tell whether an IAM sync is running, on one cluster or many
    /// (ListClusterSyncTaskStatus).
    #[command(after_help = exit::help())]
    Status(StatusArgs),
    /// Wait until no IAM sync is running on the cluster.
    #[command(after_help = exit::help())]
    Wait(WaitArgs),
    /// Start synchronizing IAM users and groups to the cluster
    /// (UpdateSyncIamUser).
    #[command(after_help = exit::help())]
    Sync(SyncArgs),
    /// List the IAM users and groups synchronized to the cluster
    /// (ShowSyncIamUser).
    #[command(after_help = exit::help())]
    Users,
    /// Remove synchronized users and groups from the cluster
    /// (CancelSyncIamUser).
    #[command(after_help = exit::help())]
    Cancel(CancelArgs),
    /// Tell whether the cluster has ever completed an IAM sync
    /// (ListClusterSyncStatus).
    #[command(after_help = exit::help())]
    Synced,
    /// Tell which credential source is used, its access key id, the project
    /// id (configured or looked up) and when the credentials expire. Never
    /// prints a secret key or a token.
    #[command(after_help = exit::help())]
    Credentials,
    /// Run the whole workflow against a loopback server started in-process:
    /// no credentials or network needed.
    #[command(after_help = exit::help())]
    Demo(DemoArgs),
    /// Print a shell completion script (see the README for where to put it).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a
    /// directory.
    Man(ManArgs),
}

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Read cluster ids from this file (one per line; blank lines and `#`
    /// comments are ignored; `-` reads standard input).
    #[arg(long, value_name = "FILE")]
    pub clusters_file: Option<PathBuf>,
    /// How many clusters to ask at once.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Write the ids of the clusters left unanswered (after Ctrl-C) to this
    /// file, one per line, for `--clusters-file` to finish the run; empty
    /// when every cluster answered.
    #[arg(long, value_name = "FILE")]
    pub remaining: Option<PathBuf>,
}

/// How to wait (`wait`, `sync --wait`).
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Give up after this long (e.g. 30s, 2m, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = duration::parse)]
    pub timeout: Duration,
    /// The first pause between two polls; it doubles after each poll.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration::parse)]
    pub interval: Duration,
    /// The longest pause between two polls [default: 8 × --interval].
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub max_interval: Option<Duration>,
}

/// `sync`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).multiple(true).args(["all", "users", "groups"])))]
pub struct SyncArgs {
    /// Synchronize every IAM user and group.
    #[arg(long, conflicts_with_all = ["users", "groups"])]
    pub all: bool,
    /// An IAM user to synchronize, with its groups (repeatable).
    #[arg(long = "user", value_name = "NAME")]
    pub users: Vec<String>,
    /// An IAM group to synchronize (repeatable).
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,
    /// Then wait until the sync has finished.
    #[arg(long)]
    pub wait: bool,
    /// How to wait, with --wait.
    #[command(flatten)]
    pub waiting: WaitArgs,
}

/// `cancel`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).multiple(true).args(["users", "groups"])))]
pub struct CancelArgs {
    /// An IAM user to remove (repeatable).
    #[arg(long = "user", value_name = "NAME")]
    pub users: Vec<String>,
    /// An IAM group to remove (repeatable).
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write mrs-iam-sync.1 and a page per command (mrs-iam-sync-status.1,
    /// ...) into this directory instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How long the loopback server's sync task runs.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = duration::parse)]
    pub sync_duration: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sync_needs_something_to_sync() {
        assert!(Cli::try_parse_from(["mrs-iam-sync", "sync"]).is_err());
        assert!(Cli::try_parse_from(["mrs-iam-sync", "sync", "--all", "--user", "u"]).is_err());
        assert!(
            Cli::try_parse_from(["mrs-iam-sync", "sync", "--user", "u", "--group", "g"]).is_ok()
        );
        assert!(Cli::try_parse_from(["mrs-iam-sync", "cancel"]).is_err());
    }

    #[test]
    fn endpoints_repeat_or_come_as_a_list() {
        let parsed = Cli::try_parse_from([
            "mrs-iam-sync",
            "status",
            "--endpoint",
            "https://a,https://b",
            "--endpoint=https://c",
        ])
        .unwrap();
        assert_eq!(
            parsed.global.endpoints,
            ["https://a", "https://b", "https://c"]
        );
        for alone in ["--client-cert", "--client-key"] {
            let err = Cli::try_parse_from(["mrs-iam-sync", "status", alone, "x.pem"]).unwrap_err();
            assert!(err.to_string().contains("required"), "{err}");
        }
        assert!(
            Cli::try_parse_from([
                "mrs-iam-sync",
                "status",
                "--proxy",
                "http://p",
                "--no-proxy"
            ])
            .is_err()
        );
    }

    #[test]
    fn max_rate_is_a_positive_number() {
        let parsed = Cli::try_parse_from(["mrs-iam-sync", "status", "--max-rate", "97.5"]).unwrap();
        assert_eq!(parsed.global.max_rate, Some(97.5));
        for bad in ["0", "-3", "fast", "inf", "NaN"] {
            let flag = format!("--max-rate={bad}");
            let err = Cli::try_parse_from(["mrs-iam-sync", "status", &flag])
                .expect_err(bad)
                .to_string();
            assert!(
                err.contains("--max-rate") && err.contains("not a rate"),
                "{err}"
            );
        }
    }
}
