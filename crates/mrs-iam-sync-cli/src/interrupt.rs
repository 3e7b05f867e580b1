//! Ctrl-C (SIGINT): the first asks the running command to stop cleanly,
//! the second exits at once with [`exit::INTERRUPTED`].
//!
//! The signal is awaited on a thread of its own, with a runtime of its own,
//! so that a second Ctrl-C still ends the process when the command's thread
//! is stuck (a full pipe on stdout, a stalled terminal).

use std::time::Duration;

use tokio::sync::watch;

use crate::exit;

/// How long calls already sent get to finish after the first Ctrl-C.
pub const DRAIN: Duration = Duration::from_secs(3);

/// The first Ctrl-C, as a command sees it.
#[derive(Clone, Debug)]
pub struct Interrupt {
    /// `None`: nobody listens (the default action of SIGINT stands).
    first: Option<watch::Receiver<bool>>,
}

impl Interrupt {
    /// Nobody listens: Ctrl-C ends the process as it would any program.
    pub fn none() -> Interrupt {
        Interrupt { first: None }
    }

    /// Takes over Ctrl-C for the rest of the process. When the signal
    /// cannot be caught (no such thing on this platform), Ctrl-C keeps its
    /// default action.
    pub fn listen() -> Interrupt {
        let (sender, first) = watch::channel(false);
        let (ready, listening) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("ctrl-c".into())
            .spawn(move || listen_on_this_thread(sender, ready));
        // Caught from here on: the thread says so once registered.
        match spawned.map(|_| listening.recv()) {
            Ok(Ok(true)) => Interrupt { first: Some(first) },
            _ => Interrupt::none(),
        }
    }

    /// Whether Ctrl-C was pressed.
    pub fn happened(&self) -> bool {
        self.first.as_ref().is_some_and(|first| *first.borrow())
    }

    /// Resolves at the first Ctrl-C; never when nobody listens.
    pub async fn first(&self) {
        match &self.first {
            Some(first) => {
                let mut first = first.clone();
                // An error means the listener is gone: no Ctrl-C will come.
                if first.wait_for(|pressed| *pressed).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

/// Registers for SIGINT, says whether that worked, then tells the first
/// Ctrl-C to the command and ends the process at the second.
fn listen_on_this_thread(first: watch::Sender<bool>, ready: std::sync::mpsc::Sender<bool>) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    else {
        let _ = ready.send(false);
        return;
    };
    runtime.block_on(async move {
        let Ok(mut signals) = ctrl_c() else {
            let _ = ready.send(false);
            return;
        };
        let _ = ready.send(true);
        signals.recv().await;
        let _ = first.send(true);
        signals.recv().await;
        crate::progress::abandon();
        eprintln!("interrupted again: exiting now");
        std::process::exit(exit::INTERRUPTED.into());
    });
}

#[cfg(unix)]
fn ctrl_c() -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
}

#[cfg(windows)]
fn ctrl_c() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}
