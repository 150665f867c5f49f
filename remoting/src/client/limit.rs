//! The client-wide bound on requests in flight, by count and by body bytes, over every
//! connection of the pool: per-connection limits alone let a process with many brokers (or
//! many producers sharing a client) hold an unbounded total. A request waits for room until
//! its deadline, then fails with [`Error::TooManyRequests`].

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::error::{Error, Result};

/// Default client-wide limit on requests in flight.
pub(crate) const DEFAULT_REQUESTS: usize = 65_536;
/// Default client-wide limit on request body bytes in flight (256 MiB).
pub(crate) const DEFAULT_BYTES: usize = 256 << 20;

/// The two semaphores.
#[derive(Debug)]
pub(crate) struct ClientLimit {
    requests: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    max_bytes: usize,
}

/// Room for one request; released on drop.
#[derive(Debug)]
pub(crate) struct Room {
    _request: OwnedSemaphorePermit,
    _bytes: OwnedSemaphorePermit,
}

impl ClientLimit {
    /// A limit of `requests` requests and `bytes` body bytes (each at least 1).
    pub(crate) fn new(requests: usize, bytes: usize) -> Self {
        let requests = requests.clamp(1, Semaphore::MAX_PERMITS);
        let bytes = bytes.clamp(1, u32::MAX as usize);
        ClientLimit {
            requests: Arc::new(Semaphore::new(requests)),
            bytes: Arc::new(Semaphore::new(bytes)),
            max_bytes: bytes,
        }
    }

    /// Waits until `deadline` for room for a request with a `body_len`-byte body to `addr`.
    /// A body larger than the whole byte budget takes all of it rather than never fitting.
    pub(crate) async fn acquire(
        &self,
        addr: &str,
        body_len: usize,
        started: Instant,
        deadline: Instant,
    ) -> Result<Room> {
        let bytes = u32::try_from(body_len.clamp(1, self.max_bytes)).unwrap_or(u32::MAX);
        let wait = async {
            let request = self.requests.clone().acquire_owned().await?;
            let bytes = self.bytes.clone().acquire_many_owned(bytes).await?;
            Ok::<_, tokio::sync::AcquireError>(Room {
                _request: request,
                _bytes: bytes,
            })
        };
        match tokio::time::timeout_at(deadline, wait).await {
            Ok(Ok(room)) => Ok(room),
            // The semaphores are never closed.
            Ok(Err(_)) => Err(Error::Shutdown),
            Err(_) => Err(Error::TooManyRequests {
                addr: addr.to_owned(),
                after: started.elapsed(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn requests_past_the_client_wide_bound_wait_then_fail_at_their_deadline() {
        let limit = ClientLimit::new(1, 1 << 20);
        let now = Instant::now();
        let held = limit
            .acquire("a", 10, now, now + Duration::from_secs(1))
            .await
            .expect("room");
        let err = limit
            .acquire("b", 10, now, Instant::now() + Duration::from_millis(50))
            .await
            .expect_err("no room for a second request");
        assert!(matches!(err, Error::TooManyRequests { .. }), "{err}");
        assert!(
            err.to_string().contains("too many requests in flight to b"),
            "{err}"
        );
        drop(held);
        limit
            .acquire("b", 10, now, Instant::now() + Duration::from_millis(50))
            .await
            .expect("room after the first finished");
    }

    #[tokio::test]
    async fn body_bytes_are_bounded_and_a_huge_body_takes_the_whole_budget() {
        let limit = ClientLimit::new(100, 1000);
        let now = Instant::now();
        let big = limit
            .acquire("a", 10_000, now, now + Duration::from_secs(1))
            .await
            .expect("a body over the budget still fits alone");
        let err = limit
            .acquire("a", 1, now, Instant::now() + Duration::from_millis(50))
            .await
            .expect_err("the budget is used up");
        assert!(matches!(err, Error::TooManyRequests { .. }), "{err}");
        drop(big);
    }
}
