//! The Probe gate's prober: while a migration has a Probe gate, a task sends
//! `GET <path>` every 250 ms to each target endpoint, at the address and
//! port the data plane routes to, and keeps the answers (a 2xx or 3xx within
//! 2 s succeeds) for the gate's window.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use http::Uri;
use http_body_util::Empty;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use tokio::{task::JoinHandle, time::Instant};

const EVERY: Duration = Duration::from_millis(250);
const TIMEOUT: Duration = Duration::from_secs(2);
/// Answers older than this are dropped (a window is at most this long).
const KEEP: Duration = Duration::from_secs(3600);

#[derive(Default)]
struct Shared {
    targets: Vec<SocketAddr>,
    answers: VecDeque<(Instant, bool)>,
}

/// Probes until dropped.
pub struct Prober {
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl Drop for Prober {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The path and query of `url` (`/healthz`, or a full `http://…` URL).
pub fn path(url: &str) -> String {
    url.parse::<Uri>()
        .ok()
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_string()))
        .filter(|p| p.starts_with('/'))
        .unwrap_or_else(|| "/".into())
}

impl Prober {
    pub fn start(url: &str) -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let path = path(url);
        let s = shared.clone();
        let task = tokio::spawn(async move {
            let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
            let mut tick = tokio::time::interval(EVERY);
            loop {
                tick.tick().await;
                let targets = s.lock().expect("prober lock").targets.clone();
                let probes = targets.iter().map(|addr| {
                    let uri: Uri = format!("http://{addr}{path}").parse().expect("a valid URI");
                    let client = client.clone();
                    async move {
                        matches!(
                            tokio::time::timeout(TIMEOUT, client.get(uri)).await,
                            Ok(Ok(r)) if r.status().is_success() || r.status().is_redirection()
                        )
                    }
                });
                let answers = futures::future::join_all(probes).await;
                let now = Instant::now();
                let mut shared = s.lock().expect("prober lock");
                shared.answers.extend(answers.into_iter().map(|ok| (now, ok)));
                while shared.answers.front().is_some_and(|(t, _)| now - *t > KEEP) {
                    shared.answers.pop_front();
                }
            }
        });
        Prober { shared, task }
    }

    /// The endpoints to probe from now on.
    pub fn targets(&self, targets: Vec<SocketAddr>) {
        self.shared.lock().expect("prober lock").targets = targets;
    }

    /// (succeeded, sent) over the last `window` after `since`; None until a
    /// whole window has passed since `since`.
    pub fn window(&self, since: Instant, window: Duration) -> Option<(u64, u64)> {
        let now = Instant::now();
        if now.saturating_duration_since(since) < window {
            return None;
        }
        let from = since.max(now - window);
        let shared = self.shared.lock().expect("prober lock");
        let answers = shared.answers.iter().filter(|(t, _)| *t >= from);
        let (ok, sent) = answers.fold((0, 0), |(ok, n), (_, a)| (ok + u64::from(*a), n + 1));
        Some((ok, sent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_of_a_url() {
        assert_eq!(path("/healthz"), "/healthz");
        assert_eq!(path("http://web.example/ready?x=1"), "/ready?x=1");
        assert_eq!(path("nonsense url"), "/");
    }
}
