//! [`CredentialsCache`]: credentials kept fresh.
//!
//! The rule:
//! - Credentials without an expiry are fetched once and kept.
//! - Temporary credentials are refreshed when less than [`REFRESH_THRESHOLD`] (40 minutes,
//!   the official SDK's) remains; keys issued for less than that are refreshed at half
//!   their lifetime (the official SDK would fetch them again on every call).
//! - While the current credentials are still valid, nobody waits: the call that notices
//!   they are due starts one refresh in the background and every call goes on with the
//!   current ones.
//! - Once they have expired (or before the first fetch), calls wait for one fetch that they
//!   all share (single flight).
//! - A failed background refresh keeps the current credentials and logs a warning; the next
//!   call tries again. Expired credentials that cannot be refreshed are an error
//!   ([`CredentialsError::Expired`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::{CredentialsError, ProvideCredentials, Provided};
use crate::clock::Clock;
use crate::transport::HttpClient;

/// Refresh temporary credentials when less than this remains (the official SDK's 40 min).
pub const REFRESH_THRESHOLD: Duration = Duration::from_secs(40 * 60);

/// Credentials from a [`ProvideCredentials`], cached and refreshed before they expire (see
/// the module rule). Cheap to clone: clones share the cache.
#[derive(Clone)]
pub struct CredentialsCache {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Arc<dyn ProvideCredentials>,
    http: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
    threshold: Duration,
    current: Mutex<Option<Entry>>,
    /// Held by the one fetch in flight.
    fetching: tokio::sync::Mutex<()>,
    /// A background refresh has been started and has not finished.
    refreshing: AtomicBool,
    fetches: AtomicU64,
}

#[derive(Clone)]
struct Entry {
    provided: Arc<Provided>,
    /// When to refresh; `None`: never.
    refresh_at: Option<SystemTime>,
}

enum Freshness {
    Fresh,
    Due,
    Expired,
}

impl Entry {
    /// Reads `clock` only for credentials that expire: permanent ones (AK/SK)
    /// cost no clock read per request.
    fn freshness(&self, clock: &dyn Clock) -> Freshness {
        let (Some(refresh_at), Some(expires_at)) = (self.refresh_at, self.provided.expires_at)
        else {
            return Freshness::Fresh;
        };
        let now = clock.now();
        if now < refresh_at {
            Freshness::Fresh
        } else if now < expires_at {
            Freshness::Due
        } else {
            Freshness::Expired
        }
    }
}

impl std::fmt::Debug for CredentialsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsCache")
            .field("provider", &self.inner.provider)
            // Provided's Debug shows no secret.
            .field("current", &self.cached())
            .field("threshold", &self.inner.threshold)
            .finish_non_exhaustive()
    }
}

impl CredentialsCache {
    /// A cache over `provider`, doing its I/O through `http` and judging expiry by `clock`,
    /// with the [`REFRESH_THRESHOLD`].
    pub fn new(
        provider: Arc<dyn ProvideCredentials>,
        http: Arc<dyn HttpClient>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self::with_threshold(provider, http, clock, REFRESH_THRESHOLD)
    }

    /// [`CredentialsCache::new`] with another refresh threshold.
    pub fn with_threshold(
        provider: Arc<dyn ProvideCredentials>,
        http: Arc<dyn HttpClient>,
        clock: Arc<dyn Clock>,
        threshold: Duration,
    ) -> Self {
        CredentialsCache {
            inner: Arc::new(Inner {
                provider,
                http,
                clock,
                threshold,
                current: Mutex::new(None),
                fetching: tokio::sync::Mutex::new(()),
                refreshing: AtomicBool::new(false),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// The credentials to use now (see the module rule).
    pub async fn get(&self) -> Result<Arc<Provided>, CredentialsError> {
        // The fetches are boxed: their state (a provider's I/O) would
        // otherwise be most of this future, and of every request's that
        // awaits it, while nearly every call takes the first return.
        if let Some(entry) = self.entry() {
            match entry.freshness(&*self.inner.clock) {
                Freshness::Fresh => return Ok(entry.provided),
                Freshness::Due => {
                    Box::pin(self.refresh_in_background()).await;
                    return Ok(self.cached().unwrap_or(entry.provided));
                }
                Freshness::Expired => {}
            }
        }
        Box::pin(self.fetch_shared()).await
    }

    /// The credentials held now, if any (no fetch).
    pub fn cached(&self) -> Option<Arc<Provided>> {
        self.entry().map(|e| e.provided)
    }

    /// How many times the provider has been asked.
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    fn entry(&self) -> Option<Entry> {
        self.inner
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits for the fetch in flight, or makes one.
    async fn fetch_shared(&self) -> Result<Arc<Provided>, CredentialsError> {
        let _one_at_a_time = self.inner.fetching.lock().await;
        let previous = self.entry();
        if let Some(entry) = &previous
            && !matches!(entry.freshness(&*self.inner.clock), Freshness::Expired)
        {
            // Fetched while this call waited.
            return Ok(entry.provided.clone());
        }
        self.fetch().await.map_err(|err| match previous {
            Some(entry) => CredentialsError::Expired {
                source: entry.provided.source.clone(),
                refresh: Box::new(err),
            },
            None => err,
        })
    }

    /// Starts a refresh on the tokio runtime unless one is running; without a runtime,
    /// refreshes inline.
    async fn refresh_in_background(&self) {
        if self.inner.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        let refresh = async move {
            {
                let _one_at_a_time = this.inner.fetching.lock().await;
                let due = this
                    .entry()
                    .is_none_or(|e| !matches!(e.freshness(&*this.inner.clock), Freshness::Fresh));
                if due && let Err(err) = this.fetch().await {
                    tracing::warn!(
                        error = %err,
                        "refreshing credentials failed; the current ones stay in use until they expire"
                    );
                }
            }
            this.inner.refreshing.store(false, Ordering::Release);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(refresh);
            }
            Err(_) => refresh.await,
        }
    }

    async fn fetch(&self) -> Result<Arc<Provided>, CredentialsError> {
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let fetched_at = self.inner.clock.now();
        let provided = Arc::new(self.inner.provider.provide(&*self.inner.http).await?);
        let refresh_at = provided.expires_at.map(|expires_at| {
            let lifetime = expires_at.duration_since(fetched_at).unwrap_or_default();
            // Keys that live less than the threshold would be due at once, every call.
            let ahead = if lifetime > self.inner.threshold {
                self.inner.threshold
            } else {
                lifetime / 2
            };
            expires_at - ahead
        });
        *self.inner.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(Entry {
            provided: provided.clone(),
            refresh_at,
        });
        Ok(provided)
    }
}
