//! Shared by the end-to-end tests: a loopback server on its own runtime, and
//! the built `mrs-iam-sync` binary run against it with a clean environment.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, DEMO_TOKEN, Server};
use serde_json::Value;

/// The tests' sync duration: short, yet long enough to be seen running.
pub const SYNC: Duration = Duration::from_millis(400);

/// A loopback server on a runtime of its own, stopped when dropped.
pub struct TestServer {
    server: Option<Server>,
    runtime: tokio::runtime::Runtime,
}

impl TestServer {
    /// The demo setup with a short sync.
    pub fn start() -> Self {
        Self::with(Config {
            sync_duration: SYNC,
            ..Config::default()
        })
    }

    /// A server with this configuration.
    pub fn with(config: Config) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(Server::start(config, "127.0.0.1:0".parse().unwrap()))
            .expect("server starts");
        TestServer {
            server: Some(server),
            runtime,
        }
    }

    /// Loopback identity services (metadata, IAM, STS, pod identity) on this
    /// server's runtime.
    pub fn identity(
        &self,
        config: mrs_iam_sync_server::identity::IdentityConfig,
    ) -> mrs_iam_sync_server::identity::IdentityServer {
        self.runtime
            .block_on(mrs_iam_sync_server::identity::IdentityServer::start(
                config,
                "127.0.0.1:0".parse().unwrap(),
            ))
            .expect("identity server starts")
    }

    /// The server.
    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("running")
    }

    /// The binary with `--endpoint` of this server and the demo AK/SK and
    /// project id in its (otherwise empty) environment.
    pub fn cli(&self) -> Cli {
        Cli::new()
            .arg("--endpoint")
            .arg(self.server().base_url())
            .env("HUAWEICLOUD_SDK_AK", DEMO_AK)
            .env("HUAWEICLOUD_SDK_SK", DEMO_SK)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID)
    }
}

impl Drop for TestServer {
    /// Stops the server; every request it received (all sent by the CLI,
    /// through the client) must conform to the spec.
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            if !std::thread::panicking() {
                mrs_iam_sync_tests::conformance::assert_requests_conform(&server);
            }
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// `http://127.0.0.1:PORT` of a port nothing listens on (bound, then released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!("http://{}", listener.local_addr().expect("address"))
}

/// A run of the binary being prepared: an empty environment but for what
/// the test sets (no HOME: no profile file is ever read).
pub struct Cli {
    command: Command,
    stdin: Option<String>,
}

impl Cli {
    /// The binary, with nothing inherited from the test's environment.
    pub fn new() -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mrs-iam-sync"));
        command
            .env_clear()
            .env("HOME", "/nonexistent-home-of-the-cli-tests")
            // Never the real metadata service: a port nothing listens on.
            .env("HUAWEICLOUD_SDK_METADATA_ENDPOINT", closed_port_url())
            .stdin(Stdio::null());
        Cli {
            command,
            stdin: None,
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.command.args(args);
        self
    }

    /// Sets a variable of the child's environment.
    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    /// Removes a variable from the child's environment.
    pub fn env_remove(mut self, name: &str) -> Self {
        self.command.env_remove(name);
        self
    }

    /// Feeds this text to standard input.
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Runs it to the end. Checks what every run must satisfy: no secret in
    /// any output, and at most one line on stderr for an error.
    pub fn run(mut self) -> Run {
        let output = match self.stdin.take() {
            None => self.command.output().expect("the binary runs"),
            Some(text) => {
                let mut child = self
                    .command
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("the binary runs");
                let mut stdin = child.stdin.take().expect("piped stdin");
                stdin.write_all(text.as_bytes()).expect("write stdin");
                drop(stdin);
                child.wait_with_output().expect("the binary ends")
            }
        };
        let run = Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        };
        for secret in [DEMO_SK, DEMO_TOKEN, "wrong-secret-key"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "a secret leaked: {run:#?}"
            );
        }
        let errors = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .count();
        assert!(errors <= 1, "more than one error line: {run:#?}");
        run
    }
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the whole run when it differs.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }

    /// stdout as JSON lines.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    /// The one error line of stderr, with request ids replaced.
    pub fn error_line(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{self:#?}");
        redact(lines[0])
    }
}

/// Replaces volatile values: request ids (32 hex digits), loopback ports,
/// timings in `(waited ...)` and `after ... (N polls)`.
pub fn redact(text: &str) -> String {
    let mut text = redact_words(text);
    for (start, end) in [("(waited ", ")"), ("after ", " polls)")] {
        let mut from = 0;
        while let Some(at) = text[from..].find(start) {
            let begin = from + at + start.len();
            let Some(len) = text[begin..].find(end) else {
                break;
            };
            text.replace_range(begin..begin + len, "[timing]");
            from = begin + "[timing]".len();
        }
    }
    text
}

fn redact_words(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive([' ', '\n', '(', ')', '"']) {
        let (core, tail) = word.split_at(word.trim_end_matches([' ', '\n', '(', ')', '"']).len());
        let hex = core.len() == 32 && core.bytes().all(|b| b.is_ascii_hexdigit());
        if hex {
            out.push_str("[request-id]");
        } else if let Some(port) = core.strip_prefix("http://127.0.0.1:") {
            out.push_str("http://127.0.0.1:[port]");
            out.push_str(port.trim_start_matches(|c: char| c.is_ascii_digit()));
        } else {
            out.push_str(core);
        }
        out.push_str(tail);
    }
    out
}

/// A file under the tests' scratch directory with these contents.
pub fn scratch_file(name: &str, contents: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mrs-iam-sync-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("write scratch file");
    path
}

/// insta settings that hide request ids and timings in JSON snapshots.
pub fn json_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let request_id = insta::dynamic_redaction(|value, _| {
        if value.as_str().is_some() {
            "[request-id]".into()
        } else {
            value
        }
    });
    settings.add_redaction("[].error.request_id", request_id);
    settings.add_redaction("[].elapsed_ms", "[elapsed]");
    settings.add_redaction("[].polls", "[polls]");
    settings
}
