//! A steady load through the data plane: one request at a time, every answer
//! counted by the member that gave it, failures apart. Used by the migration
//! tests and the demo.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use crate::probe;

/// What a load saw.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub requests: usize,
    pub failed: usize,
    /// Answers by member.
    pub answered: BTreeMap<String, usize>,
}

/// What a load counts, readable while it runs.
#[derive(Clone, Default)]
pub struct Counts {
    answered: Arc<Mutex<BTreeMap<String, usize>>>,
    failed: Arc<AtomicUsize>,
}

impl Counts {
    /// What the load saw so far.
    pub fn now(&self) -> Outcome {
        let answered = self.answered.lock().expect("answers").clone();
        let failed = self.failed.load(Ordering::Relaxed);
        Outcome { requests: answered.values().sum::<usize>() + failed, failed, answered }
    }
}

pub struct Load {
    stop: Arc<AtomicBool>,
    counts: Counts,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    /// GETs `/` on `addr` every `pause` until stopped.
    pub fn start(addr: SocketAddr, pause: Duration) -> Self {
        let (stop, counts) = (Arc::new(AtomicBool::new(false)), Counts::default());
        let task = {
            let (stop, c) = (stop.clone(), counts.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match probe::get(addr, "/").await {
                        Ok((200, body)) => *c.answered.lock().expect("answers").entry(body).or_insert(0usize) += 1,
                        _ => {
                            c.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    tokio::time::sleep(pause).await;
                }
            })
        };
        Load { stop, counts, task }
    }

    /// Its counts, to read while it runs.
    pub fn counts(&self) -> Counts {
        self.counts.clone()
    }

    pub async fn stop(mut self) -> Outcome {
        self.stop.store(true, Ordering::Relaxed);
        let _ = (&mut self.task).await;
        self.counts.now()
    }
}
