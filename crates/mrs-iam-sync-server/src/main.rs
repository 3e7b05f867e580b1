//! `mrs-iam-sync-server`: run the loopback MRS IAM-sync server standalone.
//!
//! Prints `listening on http://HOST:PORT` as the first line on stdout, then
//! logs one line per request on stderr. Stops on Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use mrs_iam_sync_server::identity::{IdentityConfig, IdentityServer};
use mrs_iam_sync_server::{AccessKey, Config, DEMO_AK, Fault, IamUser, Server, parse_duration};

/// A loopback Huawei Cloud MRS IAM-synchronization server for tests and demos.
///
/// Without --ak/--sk it accepts the demo credentials of the library
/// (DEMO_AK / DEMO_SK); without --cluster it knows the demo clusters.
#[derive(Debug, Parser)]
#[command(name = "mrs-iam-sync-server", version)]
struct Args {
    /// Address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Accepted access key (with --sk); replaces the demo pair.
    #[arg(long, requires = "sk")]
    ak: Option<String>,
    /// Secret key for --ak.
    #[arg(long, requires = "ak")]
    sk: Option<String>,
    /// Accepted X-Auth-Token (repeatable); replaces the demo token.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,
    /// Known cluster id (repeatable); replaces the demo clusters.
    #[arg(long = "cluster", value_name = "ID")]
    clusters: Vec<String>,
    /// An IAM user that can be synchronized, with the groups it belongs to
    /// (repeatable). With --iam-user or --iam-group the IAM directory is
    /// exactly what these flags say; without, the demo users and groups.
    #[arg(long = "iam-user", value_name = "NAME[:GROUP,...]", value_parser = parse_iam_user)]
    iam_users: Vec<IamUser>,
    /// An IAM group that can be synchronized (repeatable); users' groups
    /// count too.
    #[arg(long = "iam-group", value_name = "NAME", value_parser = parse_iam_name)]
    iam_groups: Vec<String>,
    /// How long a synchronization task runs (e.g. 200ms, 2s).
    #[arg(long, value_parser = parse_duration)]
    sync_duration: Option<Duration>,
    /// Largest accepted request body, in bytes.
    #[arg(long)]
    max_body_bytes: Option<usize>,
    /// Inject a fault: kind[:count[:cluster]] with kind one of 500, 503,
    /// 429[=SECS], delay=DURATION, malformed-json, html, empty-body,
    /// missing-field, drop, drop-after (repeatable).
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<Fault>,
    /// Allow each access key (and the token callers together) this many
    /// requests per second, with a burst of --rate-burst; over it, answer
    /// 429 APIGW.0308 with Retry-After, as the API gateway does.
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    rate_limit: Option<f64>,
    /// The most requests a caller may send at once under --rate-limit (its
    /// token bucket's size; default one second's worth, e.g. 10 for a tenth
    /// of a second at 100 requests/s).
    #[arg(long, value_name = "N", value_parser = parse_burst, requires = "rate_limit")]
    rate_burst: Option<f64>,
    /// Answer every request this much later (the gateway's and service's
    /// own cost, e.g. 5ms).
    #[arg(long, value_parser = parse_duration)]
    latency: Option<Duration>,
    /// Do not log requests on stderr.
    #[arg(long)]
    quiet: bool,
    /// Also serve the loopback identity services (metadata, IAM, STS, pod
    /// identity) on this address; the keys they hand out are accepted here.
    #[arg(long, value_name = "ADDR")]
    identity: Option<SocketAddr>,
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

/// A burst in requests: finite and at least 1.
fn parse_burst(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(burst) if burst.is_finite() && burst >= 1.0 => Ok(burst),
        _ => Err(format!(
            "'{value}' is not a burst: give a number of requests of at least 1, e.g. 10"
        )),
    }
}

/// An IAM name must follow the spec's rule for names in requests.
fn parse_iam_name(name: &str) -> Result<String, String> {
    mrs_iam_sync_rules::UPDATE_SYNC_IAM_USER_REQUEST_USER_NAMES
        .item
        .check("IAM name", name)
        .map_err(|violation| violation.to_string())?;
    Ok(name.to_owned())
}

/// `NAME` or `NAME:GROUP,GROUP,...`.
fn parse_iam_user(text: &str) -> Result<IamUser, String> {
    let (name, groups) = match text.split_once(':') {
        Some((name, groups)) => (name, groups.split(',').collect()),
        None => (text, Vec::new()),
    };
    let groups = groups
        .into_iter()
        .map(parse_iam_name)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(IamUser::new(parse_iam_name(name)?, groups))
}

fn config_from(args: &Args) -> Config {
    let mut config = Config {
        log_requests: !args.quiet,
        rate_limit: args.rate_limit,
        rate_burst: args.rate_burst,
        latency: args.latency.unwrap_or_default(),
        ..Config::default()
    };
    if let (Some(ak), Some(sk)) = (&args.ak, &args.sk) {
        config.access_keys = vec![AccessKey::new(ak.clone(), sk.clone())];
    }
    if !args.tokens.is_empty() {
        config.tokens = args.tokens.clone();
    }
    if !args.clusters.is_empty() {
        config.clusters = args.clusters.clone();
    }
    if !args.iam_users.is_empty() || !args.iam_groups.is_empty() {
        config.iam_users = args.iam_users.clone();
        config.iam_groups = args.iam_groups.clone();
    }
    if let Some(d) = args.sync_duration {
        config.sync_duration = d;
    }
    if let Some(n) = args.max_body_bytes {
        config.max_body_bytes = n;
    }
    config
}

/// "users user1 (group1), user3; groups group1, group2".
fn describe_directory(config: &Config) -> String {
    let users: Vec<String> = config
        .iam_users
        .iter()
        .map(|user| match user.groups.as_slice() {
            [] => user.name.clone(),
            groups => format!("{} ({})", user.name, groups.join(", ")),
        })
        .collect();
    format!(
        "users {}; groups {}",
        users.join(", "),
        config.iam_groups.join(", ")
    )
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = config_from(&args);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let using_demo_key = config.access_keys.iter().any(|k| k.ak == DEMO_AK);
        let key_ring = config.key_ring.clone();
        let clusters = config.clusters.join(", ");
        let directory = describe_directory(&config);
        let server = match Server::start(config, args.listen).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", args.listen);
                return std::process::ExitCode::FAILURE;
            }
        };
        for fault in &args.faults {
            server.inject(fault.clone());
        }
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on {}", server.base_url());
        let _ = stdout.flush();
        drop(stdout);
        if using_demo_key {
            eprintln!(
                "accepting the demo credentials (AK {DEMO_AK}; SK: mrs_iam_sync_server::DEMO_SK)"
            );
        } else if let Some(k) = server.config().access_keys.first() {
            eprintln!("accepting AK {}", k.ak);
        }
        eprintln!("clusters: {clusters}");
        eprintln!("IAM directory: {directory}");
        if let Some(rate) = args.rate_limit {
            let burst = args.rate_burst.unwrap_or(rate.max(1.0));
            eprintln!("rate limit: {rate} requests/s per access key, bursts of {burst}");
        }
        let identity = match args.identity {
            None => None,
            Some(listen) => {
                let config = IdentityConfig {
                    key_ring,
                    ..IdentityConfig::default()
                };
                match IdentityServer::start(config, listen).await {
                    Ok(identity) => {
                        eprintln!(
                            "identity services (metadata, IAM, STS, pod identity) on {}",
                            identity.base_url()
                        );
                        Some(identity)
                    }
                    Err(e) => {
                        eprintln!("error: cannot listen on {listen}: {e}");
                        return std::process::ExitCode::FAILURE;
                    }
                }
            }
        };
        if !args.faults.is_empty() {
            eprintln!("faults: {:?}", args.faults);
        }
        stop_signal().await;
        eprintln!("stopping");
        server.shutdown().await;
        if let Some(identity) = identity {
            identity.shutdown().await;
        }
        std::process::ExitCode::SUCCESS
    })
}
