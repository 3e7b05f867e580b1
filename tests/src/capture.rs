//! A loopback HTTP/1.1 server that records each request exactly as it
//! arrived (header order and case included) and answers with a canned
//! response: the ground truth for request-shape tests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct CapturedRequest {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header lines in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl CapturedRequest {
    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query part of the target, if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The canned answer.
#[derive(Clone, Debug)]
pub struct CannedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl CannedResponse {
    /// A JSON answer with the given status.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }
}

/// A running capture server; it stops when dropped.
pub struct CaptureServer {
    addr: SocketAddr,
    captured: Arc<Mutex<Vec<CapturedRequest>>>,
    response: Arc<Mutex<CannedResponse>>,
    task: tokio::task::JoinHandle<()>,
}

impl CaptureServer {
    /// Starts on an ephemeral loopback port.
    pub async fn start(response: CannedResponse) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let captured = Arc::new(Mutex::new(Vec::new()));
        let response = Arc::new(Mutex::new(response));
        let task = {
            let captured = Arc::clone(&captured);
            let response = Arc::clone(&response);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let captured = Arc::clone(&captured);
                    let response = Arc::clone(&response);
                    tokio::spawn(async move {
                        let _ = serve(stream, captured, response).await;
                    });
                }
            })
        };
        Self {
            addr,
            captured,
            response,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port, for redaction in snapshots.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Replaces the canned answer for the following requests.
    pub fn respond_with(&self, response: CannedResponse) {
        *self.response.lock().expect("lock") = response;
    }

    /// Takes the requests captured so far.
    pub fn take(&self) -> Vec<CapturedRequest> {
        std::mem::take(&mut *self.captured.lock().expect("lock"))
    }
}

impl Drop for CaptureServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    captured: Arc<Mutex<Vec<CapturedRequest>>>,
    response: Arc<Mutex<CannedResponse>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.trim_end().splitn(3, ' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await?;
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.to_owned(), value.trim_start().to_owned()));
            }
        }
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        captured.lock().expect("lock").push(CapturedRequest {
            method,
            target,
            headers,
            body,
        });

        let answer = response.lock().expect("lock").clone();
        let mut head = format!(
            "HTTP/1.1 {} Canned\r\nContent-Length: {}\r\n",
            answer.status,
            answer.body.len()
        );
        for (name, value) in &answer.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let stream = reader.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(answer.body.as_bytes()).await?;
        stream.flush().await?;
    }
}
