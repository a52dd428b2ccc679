//! Logging with `tracing`, filtered by `RUST_LOG` (default: our own `info`,
//! kube-runtime's per-reconcile chatter only as warnings).

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

const DEFAULT_FILTER: &str = "info,kube_runtime=warn";

/// Installs the global subscriber; `json` switches to one JSON object per line.
/// Colours only on a terminal, so log files stay plain text.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        registry.with(fmt::layer().json()).init();
    } else {
        registry.with(fmt::layer().with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr)).init();
    }
}
