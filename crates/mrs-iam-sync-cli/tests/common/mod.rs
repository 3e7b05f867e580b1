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

    /// Runs `future` on this server's runtime (what it spawns keeps running
    /// there): loopback proxies and TLS fronts for the tests.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
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

impl Cli {
    /// Starts it without a terminal (stdout and stderr piped), to signal it
    /// while it runs.
    pub fn spawn(mut self) -> Running {
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let collect = |mut pipe: Box<dyn std::io::Read + Send>| {
            let text = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let sink = text.clone();
            let reader = std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(read @ 1..) = pipe.read(&mut buffer) {
                    sink.lock().unwrap().extend_from_slice(&buffer[..read]);
                }
            });
            (text, reader)
        };
        let stdout = collect(Box::new(child.stdout.take().expect("stdout")));
        let stderr = collect(Box::new(child.stderr.take().expect("stderr")));
        Running {
            child,
            stdout,
            stderr,
        }
    }
}

type Collected = (
    std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    std::thread::JoinHandle<()>,
);

/// A run of the binary still going (see [`Cli::spawn`]).
pub struct Running {
    child: std::process::Child,
    stdout: Collected,
    stderr: Collected,
}

impl Running {
    /// stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.0.lock().unwrap()).into_owned()
    }

    /// Waits (at most 30 s) until stderr says `text`.
    #[track_caller]
    pub fn wait_for_stderr(&self, text: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !self.stderr().contains(text) {
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {text:?} on stderr: {:?}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT, as `kill -INT` would.
    pub fn interrupt(&self) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("a pid");
        rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    }

    /// Waits for the end.
    pub fn finish(mut self) -> Run {
        let status = self.child.wait().expect("the binary ends");
        let text = |(collected, reader): Collected| {
            reader.join().expect("pipe reader");
            String::from_utf8(collected.lock().unwrap().clone()).expect("UTF-8")
        };
        Run {
            code: status.code().expect("exited, not killed"),
            stdout: text(self.stdout),
            stderr: text(self.stderr),
        }
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

/// `n` valid cluster ids, `cid-0000`, `cid-0001`, ...
pub fn cluster_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("cid-{i:04}")).collect()
}

/// A server that knows `clusters` and answers each request `latency` late.
pub fn slow_server(clusters: &[String], latency: Duration) -> TestServer {
    TestServer::with(Config {
        clusters: clusters.to_vec(),
        latency,
        sync_duration: SYNC,
        ..Config::default()
    })
}

/// The binary on a pseudo-terminal (120 columns, 30 rows) for stdin and
/// stderr, as an operator runs it, with stdout redirected to a file; the
/// same clean environment as [`Cli`], `TERM=xterm`, and the demo AK/SK.
pub struct Terminal {
    child: std::process::Child,
    pty: std::sync::Arc<pty_process::blocking::Pty>,
    screen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// Where stdout goes.
    pub stdout: PathBuf,
    started: std::time::Instant,
}

impl Terminal {
    /// Starts `mrs-iam-sync --endpoint <server> ARGS...`.
    pub fn start(server: &TestServer, name: &str, args: &[&str]) -> Terminal {
        let (pty, pts) = pty_process::blocking::open().expect("a pseudo-terminal");
        pty.resize(pty_process::Size::new(30, 120)).expect("resize");
        let stdout = scratch_file(&format!("{name}.stdout"), "");
        let file = std::fs::File::create(&stdout).expect("stdout file");
        let child = pty_process::blocking::Command::new(env!("CARGO_BIN_EXE_mrs-iam-sync"))
            .env_clear()
            .env("HOME", "/nonexistent-home-of-the-cli-tests")
            .env("HUAWEICLOUD_SDK_METADATA_ENDPOINT", closed_port_url())
            .env("TERM", "xterm")
            .env("HUAWEICLOUD_SDK_AK", DEMO_AK)
            .env("HUAWEICLOUD_SDK_SK", DEMO_SK)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID)
            .arg("--endpoint")
            .arg(server.server().base_url())
            .args(args)
            .stdout(file)
            .spawn(pts)
            .expect("the binary starts on the terminal");
        let pty = std::sync::Arc::new(pty);
        let screen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reader = {
            let (pty, screen) = (pty.clone(), screen.clone());
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                // EIO once the child has gone and the terminal is closed.
                while let Ok(read @ 1..) = std::io::Read::read(&mut &*pty, &mut buffer) {
                    screen.lock().unwrap().extend_from_slice(&buffer[..read]);
                }
            })
        };
        Terminal {
            child,
            pty,
            screen,
            reader: Some(reader),
            stdout,
            started: std::time::Instant::now(),
        }
    }

    /// Everything written to the terminal so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits (at most 30 s) until `ready` holds for the terminal's text.
    #[track_caller]
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !ready(&self.screen()) {
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {what}:\n{:?}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types Ctrl-C: the terminal sends SIGINT to the process.
    pub fn press_ctrl_c(&self) {
        std::io::Write::write_all(&mut &*self.pty, b"\x03").expect("type Ctrl-C");
    }

    /// Waits for the exit (at most 30 s).
    pub fn finish(mut self) -> TerminalRun {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the binary did not exit:\n{:?}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = self.started.elapsed();
        if let Some(reader) = self.reader.take() {
            reader.join().expect("reader");
        }
        TerminalRun {
            code: status.code().expect("exited, not killed"),
            took,
            screen: self.screen(),
            stdout: self.stdout(),
        }
    }

    /// What stdout received so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).expect("stdout file")
    }
}

/// What a run on the terminal did.
#[derive(Debug)]
pub struct TerminalRun {
    /// The exit code.
    pub code: i32,
    /// From start to exit.
    pub took: Duration,
    /// Everything written to the terminal (stderr), escape codes included.
    pub screen: String,
    /// stdout (a file).
    pub stdout: String,
}
