//! Where "now" comes from: [`Clock`], [`SystemClock`], [`FixedClock`].

use std::fmt::Debug;
use std::time::SystemTime;

/// A source of the current time, used for the `X-Sdk-Date` of each signature.
///
/// The signer itself takes a `SystemTime` argument and never reads a clock; a client
/// holds a `Clock` and passes `clock.now()` on every attempt, so tests can pin time
/// with [`FixedClock`].
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock ([`SystemTime::now`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that always answers the same instant (for tests and reproducible signatures).
///
/// ```
/// use hwcloud_auth::{Clock, FixedClock, format_sdk_date};
/// use std::time::{Duration, UNIX_EPOCH};
/// let clock = FixedClock::new(UNIX_EPOCH + Duration::from_secs(1_573_788_615));
/// assert_eq!(format_sdk_date(clock.now()), "20191115T033015Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub SystemTime);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: SystemTime) -> Self {
        FixedClock(at)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}
