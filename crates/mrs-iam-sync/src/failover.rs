//! Several endpoints for one service, and moving between them.
//!
//! The rule (see [`crate::retry`] for when a request is sent again at all):
//! - A request that could not be delivered — a DNS failure, a refused
//!   connection, a connect timeout, a failed TLS handshake: no connection,
//!   so nothing reached a service — goes to the next endpoint at once, signed
//!   again for its host, whatever the operation.
//! - Anything else stays on the endpoint that took the connection: an HTTP
//!   answer of any status, and a failure after the request may have reached
//!   the service (a connection accepted and then dropped, a timeout after
//!   sending), which only the retry rules may send again, to the same
//!   endpoint. So an UpdateSyncIamUser POST is never sent twice.
//! - The client keeps using the endpoint that took the last connection.
//! - When every endpoint failed to take the request, the call fails with one
//!   error that lists each endpoint and why (after the retry rules' further
//!   rounds, if they allow them).
//!
//! A client with one endpoint does none of this: the attempt loop asks
//! [`Endpoints::failover`] only when there are several.

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Url;

use crate::error::{EndpointFailure, EndpointsUnreachable};

/// The endpoints of a client, the first the generated client's base URL,
/// and the one in use.
#[derive(Debug)]
pub(crate) struct Endpoints {
    urls: Vec<Url>,
    current: AtomicUsize,
}

impl Endpoints {
    /// The endpoints, at least one; requests are built on the first.
    pub(crate) fn new(urls: Vec<Url>) -> Self {
        debug_assert!(!urls.is_empty(), "a client has an endpoint");
        Endpoints {
            urls,
            current: AtomicUsize::new(0),
        }
    }

    /// Whether there is more than one (and so failover to do).
    pub(crate) fn failover(&self) -> bool {
        self.urls.len() > 1
    }

    /// How many there are.
    pub(crate) fn len(&self) -> usize {
        self.urls.len()
    }

    /// The index of the endpoint in use.
    pub(crate) fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }

    /// Keeps using endpoint `index`: it took a connection.
    pub(crate) fn keep(&self, index: usize) {
        if self.current() != index {
            self.current.store(index, Ordering::Relaxed);
        }
    }

    /// The endpoint `index`, as it is shown (`https://host:port`).
    pub(crate) fn shown(&self, index: usize) -> String {
        self.urls[index].as_str().trim_end_matches('/').to_owned()
    }

    /// Points `request`, built on the first endpoint, at endpoint `index`:
    /// its scheme, host, port and path prefix change, the rest of the path
    /// and the query stay. (The attempt loop keeps the request as built and
    /// points each attempt's copy.)
    pub(crate) fn retarget(&self, request: &mut reqwest::Request, index: usize) {
        let base = &self.urls[0];
        let target = &self.urls[index];
        let url = request.url();
        let rest = url
            .path()
            .strip_prefix(base.path().trim_end_matches('/'))
            .unwrap_or(url.path());
        let mut moved = crate::url_path::join(target, rest);
        moved.set_query(url.query());
        *request.url_mut() = moved;
    }
}

/// Which endpoint an attempt goes to, and which were tried in this round.
#[derive(Debug)]
pub(crate) struct Round<'a> {
    pub(crate) endpoints: &'a Endpoints,
    /// The endpoint of this attempt.
    pub(crate) index: usize,
    /// Where this round started.
    start: usize,
    /// Endpoints that could not take the request in this round.
    tried: usize,
}

impl<'a> Round<'a> {
    /// A round from the endpoint in use.
    pub(crate) fn new(endpoints: &'a Endpoints) -> Self {
        let start = endpoints.current();
        Round {
            endpoints,
            index: start,
            start,
            tried: 0,
        }
    }

    /// The attempt could not be delivered: the next endpoint not yet tried
    /// in this round, if any (and then it is this round's).
    pub(crate) fn next(&mut self) -> Option<usize> {
        self.tried += 1;
        if self.tried >= self.endpoints.len() {
            return None;
        }
        self.index = (self.start + self.tried) % self.endpoints.len();
        Some(self.index)
    }

    /// Points this attempt's copy of the request at the round's endpoint.
    pub(crate) fn retarget(&self, request: &mut reqwest::Request) {
        if self.index != 0 {
            self.endpoints.retarget(request, self.index);
        }
    }

    /// The attempt took a connection: the client stays with its endpoint.
    pub(crate) fn keep(&self) {
        self.endpoints.keep(self.index);
    }

    /// Starts another round (a retry) from the endpoint in use.
    pub(crate) fn restart(&mut self) {
        *self = Round::new(self.endpoints);
    }
}

/// Why each endpoint could not take a request: the last failure of each,
/// in the order of the endpoints.
#[derive(Debug, Default)]
pub(crate) struct Failures(Vec<(usize, reqwest::Error)>);

impl Failures {
    pub(crate) fn record(&mut self, index: usize, err: reqwest::Error) {
        self.0.retain(|(i, _)| *i != index);
        self.0.push((index, err));
    }

    pub(crate) fn into_error(mut self, endpoints: &Endpoints) -> EndpointsUnreachable {
        self.0.sort_by_key(|(i, _)| *i);
        let failures = self
            .0
            .into_iter()
            .map(|(index, source)| EndpointFailure::new(endpoints.shown(index), source))
            .collect();
        EndpointsUnreachable::new(failures)
    }
}

/// Could not be delivered: no connection was made, so nothing reached a
/// service (refused, DNS, connect timeout, TLS handshake). A proxy's
/// refusal to tunnel is not one: every endpoint would meet it.
pub(crate) fn undeliverable(err: &reqwest::Error) -> bool {
    err.is_connect() && !hwcloud_auth::transport::is_proxy_refusal(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints(list: &[&str]) -> Endpoints {
        Endpoints::new(list.iter().map(|s| Url::parse(s).unwrap()).collect())
    }

    #[test]
    fn retarget_keeps_the_path_and_query() {
        let endpoints = endpoints(&["https://a.example", "http://b.example:8080/prefix"]);
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            Url::parse("https://a.example/v2/p/clusters/c/iam-sync?x=1").unwrap(),
        );
        endpoints.retarget(&mut request, 1);
        assert_eq!(
            request.url().as_str(),
            "http://b.example:8080/prefix/v2/p/clusters/c/iam-sync?x=1"
        );
        assert_eq!(endpoints.shown(1), "http://b.example:8080/prefix");
    }

    #[test]
    fn a_round_visits_each_endpoint_once_from_the_one_in_use() {
        let endpoints = endpoints(&["https://a", "https://b", "https://c"]);
        endpoints.keep(1);
        let mut round = Round::new(&endpoints);
        assert_eq!(round.index, 1);
        assert_eq!(round.next(), Some(2));
        assert_eq!(round.next(), Some(0));
        assert_eq!(round.next(), None);
        round.restart();
        assert_eq!(round.index, 1);
    }
}
