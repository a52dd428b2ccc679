//! Every long-running task of an agent runs under one supervisor: the first
//! to stop ends the agent, its readiness goes false at once, and a failure
//! exits non-zero naming the task, so Kubernetes restarts a whole agent
//! instead of leaving one that runs half its controllers and says it is ready.

use std::future::Future;

use tokio::task::JoinSet;
use tracing::{error, info};

use crate::Readiness;

#[derive(Default)]
pub struct Supervisor {
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Supervisor {
    /// Runs `task` as `name`.
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = anyhow::Result<()>> + Send + 'static) {
        self.tasks.spawn(async move { (name, task.await) });
    }

    /// Waits for the first task to end, then stops the others: `Ok` if it
    /// ended without error, else its error with its name.
    pub async fn wait(mut self, readiness: &Readiness) -> anyhow::Result<()> {
        let first = self.tasks.join_next().await;
        readiness.set(false);
        self.tasks.abort_all();
        match first {
            Some(Ok((name, Ok(())))) => {
                info!(task = name, "stopped; the agent shuts down");
                Ok(())
            }
            Some(Ok((name, Err(e)))) => {
                error!(task = name, error = %format!("{e:#}"), "failed; the agent exits");
                Err(e.context(name))
            }
            Some(Err(e)) => {
                error!(error = %e, "a task panicked; the agent exits");
                Err(e.into())
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_task_to_fail_ends_the_rest_and_readiness_with_its_name() {
        let readiness = Readiness::default();
        readiness.set(true);
        let mut s = Supervisor::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        s.spawn("forever", async move {
            let _tx = tx; // dropped when this task is aborted
            std::future::pending::<()>().await;
            Ok(())
        });
        s.spawn("broken", async { Err(anyhow::anyhow!("watch ended")) });
        let e = s.wait(&readiness).await.unwrap_err();
        assert_eq!(format!("{e:#}"), "broken: watch ended");
        assert!(!readiness.get());
        assert!(rx.await.is_err(), "the other task was not stopped");
    }
}
