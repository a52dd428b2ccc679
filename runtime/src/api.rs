//! Small rules for API calls both agents share.

/// A delete (or any call) whose target is already gone succeeded.
pub fn ok_if_gone<T>(r: Result<T, kube::Error>) -> Result<(), kube::Error> {
    match r {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

/// An API call that failed, and what it was for: the error of a controller
/// whose every failure is a call to retry.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct CallFailed {
    pub doing: String,
    #[source]
    pub source: kube::Error,
}

/// Names a failed call: `.map_err(doing("reading the placement"))`.
pub fn doing(what: impl Into<String>) -> impl FnOnce(kube::Error) -> CallFailed {
    let doing = what.into();
    move |source| CallFailed { doing, source }
}
