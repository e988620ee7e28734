//! A value built from files and rebuilt when they change.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::files::Stamp;
use crate::Error;

/// How often the files are looked at (at most once per this, on use).
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// How a [`Reloading`] value is built from its files.
pub type Build<T, E = Error> = Box<dyn Fn() -> Result<T, E> + Send + Sync>;

/// `T` built from `files`; [`Reloading::current`] rebuilds it when one of them changed.
pub struct Reloading<T, E = Error> {
    what: &'static str,
    files: Vec<PathBuf>,
    build: Build<T, E>,
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Arc<T>,
    stamp: Stamp,
    checked: Instant,
}

impl<T, E: std::fmt::Display> Reloading<T, E> {
    /// Builds the value once; an error here is a startup error. `what` names it in logs.
    pub fn new(what: &'static str, files: Vec<PathBuf>, build: Build<T, E>) -> Result<Self, E> {
        let stamp = Stamp::of(&files);
        let value = Arc::new(build()?);
        Ok(Self {
            what,
            files,
            build,
            state: Mutex::new(State {
                value,
                stamp,
                checked: Instant::now(),
            }),
        })
    }

    /// The value, rebuilt first if a file changed since it was built. A failed rebuild keeps
    /// the previous value and is tried again at the next check.
    pub fn current(&self) -> Arc<T> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.checked.elapsed() < CHECK_EVERY {
            return state.value.clone();
        }
        state.checked = Instant::now();
        let stamp = Stamp::of(&self.files);
        if stamp != state.stamp {
            match (self.build)() {
                Ok(value) => {
                    state.value = Arc::new(value);
                    state.stamp = stamp;
                    tracing::info!(config = self.what, "files changed: configuration reloaded");
                }
                Err(e) => tracing::warn!(
                    config = self.what,
                    error = %e,
                    "files changed but cannot be loaded: keeping the previous configuration"
                ),
            }
        }
        state.value.clone()
    }
}
