//! Honouring `GO_AWAY` (5.x, code 1500): a server shutting down answers it instead of serving
//! a request. The connection is then draining (`connection.rs`), the pool dials a new one to
//! the same address, and the request is sent once more on it. Only once: a second `GO_AWAY`
//! fails the call with [`Error::ConnectionClosed`], a transport error callers retry elsewhere,
//! as Java fails it with a `RemotingSendRequestException`. A oneway has no answer to look at:
//! the pool simply never hands out a draining connection.
//!
//! Java (`NettyRemotingClient#invokeImpl`, `enableReconnectForGoAway`, on by default) does the
//! same: reconnect the channel wrapper, re-send on the new channel within the remaining
//! timeout, and leave the old channel to finish. A 5.3.x server only answers `GO_AWAY` to
//! requests whose version is above `V5_3_1`.

use rmq_protocol::{Command, ResponseCode};
use tokio::time::Instant;
use tracing::debug;

use super::RemotingClient;
use crate::connection::Connection;
use crate::error::{Error, Result};

/// What the first attempt on a pooled connection came to.
enum First<T> {
    Done(Result<T>),
    /// Refused by, or answered `GO_AWAY` on, a draining connection: try a new one.
    GoneAway,
}

impl RemotingClient {
    /// Sends `request` on the pooled connection to `addr`, and once more on a new connection
    /// when the first one answers `GO_AWAY` or turns out to be draining.
    pub(super) async fn request_once_more_on_go_away(
        &self,
        addr: &str,
        request: &mut Command,
        started: Instant,
        deadline: Instant,
    ) -> Result<Command> {
        let conn = self.connection_until(addr, deadline).await?;
        let first = match conn.request_until(request, started, deadline).await {
            Ok(response) if response.code == ResponseCode::GO_AWAY.0 => First::GoneAway,
            Err(Error::ConnectionClosed { .. }) if conn.is_draining() => First::GoneAway,
            outcome => First::Done(outcome),
        };
        match first {
            First::Done(outcome) => outcome,
            First::GoneAway => {
                let next = self.replacement(addr, &conn, deadline).await?;
                let response = next.request_until(request, started, deadline).await?;
                if response.code == ResponseCode::GO_AWAY.0 {
                    debug!(
                        addr,
                        "GO_AWAY again on the new connection; failing the call"
                    );
                    return Err(Error::ConnectionClosed {
                        addr: addr.to_owned(),
                        cause: None,
                    });
                }
                Ok(response)
            }
        }
    }

    /// The pool's connection to `addr` that replaces the draining `old` (dialed if needed).
    async fn replacement(
        &self,
        addr: &str,
        old: &Connection,
        deadline: Instant,
    ) -> Result<Connection> {
        debug!(
            addr,
            old = old.id(),
            "server asked to go away; sending on a new connection"
        );
        let next = self.connection_until(addr, deadline).await?;
        if next.id() == old.id() {
            // Only a connection that is neither closed nor draining comes out of the pool.
            return Err(Error::ConnectionClosed {
                addr: addr.to_owned(),
                cause: None,
            });
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests;
