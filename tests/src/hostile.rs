//! A loopback server that misbehaves at the HTTP level, in ways a real
//! network or a broken proxy can: oversized, dripping or truncated bodies,
//! bytes that are not UTF-8 in headers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the server answers every request.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// A 200 whose `Content-Length` declares `declared` bytes; it sends
    /// `declared` bytes of JSON-ish filler as long as the client reads.
    DeclaredHugeBody { declared: usize },
    /// A chunked 200 that never ends, one 64 KiB chunk after another.
    EndlessChunkedBody,
    /// Headers at once, then one body byte per `every`.
    Drip { every: Duration },
    /// A 503 whose `X-Request-Id` header is not UTF-8.
    InvalidUtf8Header,
    /// A 200 with this content type and body.
    Answer {
        content_type: &'static str,
        body: &'static str,
    },
    /// A 200 that declares `declared` bytes, sends `sent`, and closes.
    CloseMidBody { declared: usize, sent: usize },
    /// A 302 to `location` (on this server, which answers it the same way).
    Redirect { location: &'static str },
}

/// A running hostile server; it stops when dropped.
pub struct HostileServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    body_bytes_written: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl HostileServer {
    /// Starts on an ephemeral loopback port.
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(AtomicUsize::new(0));
        let task = {
            let requests = Arc::clone(&requests);
            let written = Arc::clone(&written);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let behaviour = behaviour.clone();
                    let requests = Arc::clone(&requests);
                    let written = Arc::clone(&written);
                    tokio::spawn(async move {
                        let _ = answer(stream, behaviour, requests, written).await;
                    });
                }
            })
        };
        Self {
            addr,
            requests,
            body_bytes_written: written,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Body bytes the server managed to write so far.
    pub fn body_bytes_written(&self) -> usize {
        self.body_bytes_written.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    stream: tokio::net::TcpStream,
    behaviour: Behaviour,
    requests: Arc<AtomicUsize>,
    written: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    // Read the request head and body (only what Content-Length says).
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    requests.fetch_add(1, Ordering::SeqCst);
    let stream = reader.get_mut();
    let chunk = vec![b' '; 64 * 1024];
    match behaviour {
        Behaviour::DeclaredHugeBody { declared } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            let mut left = declared;
            while left > 0 {
                let n = left.min(chunk.len());
                stream.write_all(&chunk[..n]).await?;
                written.fetch_add(n, Ordering::SeqCst);
                left -= n;
            }
        }
        Behaviour::EndlessChunkedBody => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await?;
            loop {
                stream
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
                written.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        }
        Behaviour::Drip { every } => {
            let body = br#"{"is_synchronizing":false}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            for byte in body {
                stream.write_all(&[*byte]).await?;
                stream.flush().await?;
                written.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(every).await;
            }
        }
        Behaviour::InvalidUtf8Header => {
            let body = br#"{"error_code":"MRS.0503","error_msg":"unavailable"}"#;
            let mut head = format!("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Request-Id: ", body.len()).into_bytes();
            head.extend_from_slice(&[0xff, 0xfe, b'i', b'd']);
            head.extend_from_slice(b"\r\n\r\n");
            stream.write_all(&head).await?;
            stream.write_all(body).await?;
        }
        Behaviour::Answer { content_type, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
        }
        Behaviour::Redirect { location } => {
            let head =
                format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
        }
        Behaviour::CloseMidBody { declared, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            stream
                .write_all(&br#"{"is_synchronizing":"#[..sent.min(21)])
                .await?;
            stream.flush().await?;
            // Dropping the stream closes the connection mid-body.
        }
    }
    stream.flush().await
}
