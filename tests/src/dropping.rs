//! A loopback listener that accepts connections and drops them: at once, or
//! after reading a whole request (so that the request surely arrived and no
//! answer ever comes). It counts both.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpListener;

/// When a connection is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropWhen {
    /// As soon as it is accepted.
    Accepted,
    /// After its first request (headers and `Content-Length` body) arrived.
    RequestRead,
}

/// A running listener; it stops when dropped.
pub struct DroppingListener {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl DroppingListener {
    /// Starts on an ephemeral loopback port.
    pub async fn start(when: DropWhen) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let task = {
            let accepted = Arc::clone(&accepted);
            let requests = Arc::clone(&requests);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    accepted.fetch_add(1, Ordering::SeqCst);
                    if when == DropWhen::Accepted {
                        drop(stream);
                        continue;
                    }
                    let requests = Arc::clone(&requests);
                    tokio::spawn(async move {
                        if read_request(stream).await {
                            requests.fetch_add(1, Ordering::SeqCst);
                        }
                    });
                }
            })
        };
        DroppingListener {
            addr,
            accepted,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Whole requests read (and then dropped) so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for DroppingListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request's head and its `Content-Length` body; whether all of it came.
async fn read_request(stream: tokio::net::TcpStream) -> bool {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.is_ok()
}
