//! Errors of the UI crate.

/// What can go wrong setting up the UI.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A URL prefix flag is not a usable path.
    #[error("invalid {flag} {value:?}: {why}")]
    Prefix {
        /// The flag.
        flag: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
}
