//! What the benchmarks share: small measures, and an open-loop HTTP load.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};

/// The `p` quantile (0..=1) of `sorted`, nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// CPU time (user + system) a process has used so far, from /proc.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz
}

/// One request's outcome: when it was sent (since start), which member answered ("" failed), latency.
pub type Sample = (Duration, String, Duration);

pub fn client(keep_alive: bool) -> Client<HttpConnector, Empty<Bytes>> {
    let mut b = Client::builder(TokioExecutor::new());
    if !keep_alive {
        b.pool_max_idle_per_host(0);
    }
    b.build_http()
}

pub async fn one(
    client: &Client<HttpConnector, Empty<Bytes>>,
    addr: SocketAddr,
    keep_alive: bool,
) -> (String, Duration) {
    let started = Instant::now();
    let mut req = Request::get(format!("http://{addr}/"));
    if !keep_alive {
        req = req.header("connection", "close");
    }
    let req = req.body(Empty::new()).expect("a request");
    let who = match client.request(req).await {
        Ok(r) if r.status().is_success() => match r.into_body().collect().await {
            Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
            Err(_) => String::new(),
        },
        _ => String::new(),
    };
    (who, started.elapsed())
}

/// Open loop: a request every 1/rate s for `length`, each on its own task.
pub async fn open_loop(
    addr: SocketAddr,
    rate: u64,
    length: Duration,
    keep_alive: bool,
    started: Instant,
) -> Vec<Sample> {
    let samples = Arc::new(Mutex::new(Vec::with_capacity((rate * length.as_secs()) as usize)));
    let c = client(keep_alive);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let end = Instant::now() + length;
    let mut tasks = tokio::task::JoinSet::new();
    while Instant::now() < end {
        tick.tick().await;
        let (c, samples) = (c.clone(), samples.clone());
        let sent = started.elapsed();
        tasks.spawn(async move {
            let (who, latency) = one(&c, addr, keep_alive).await;
            samples.lock().expect("samples").push((sent, who, latency));
        });
    }
    while tasks.join_next().await.is_some() {}
    Arc::try_unwrap(samples).expect("all tasks done").into_inner().expect("samples")
}
