//! The instance's service state machine (Java's `ServiceState`).

/// Where a client instance is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceState {
    /// Created, not started.
    CreateJust,
    /// `start` is running or failed; a failed start stays here for good.
    StartFailed,
    /// Started and serving.
    Running,
    /// Shut down; cannot be started again.
    ShutdownAlready,
}
