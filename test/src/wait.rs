//! Polling a condition with a deadline: the only way the harness waits.

use std::{future::Future, time::Duration};

use tokio::time::{Instant, sleep};

/// Calls `check` until it returns `Ok(Some(v))` or `timeout` passes; the error
/// names `what` and the last reason `check` gave (`Ok(None)` or an error).
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(25);
    loop {
        let last = match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => String::from("condition not met"),
            Err(e) => format!("{e:#}"),
        };
        if Instant::now() >= deadline {
            anyhow::bail!("timed out after {timeout:?} waiting for {what}: {last}");
        }
        sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}
