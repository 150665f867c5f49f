//! The reader task: reads frames, routes responses to the pending table by the response bit and
//! server requests to the inbound dispatcher, and closes idle connections and drained ones (a
//! `GO_AWAY` answer marks the connection draining). It never awaits user code.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use futures::StreamExt;
use rmq_protocol::ResponseCode;
use tokio_util::codec::FramedRead;
use tracing::debug;

use super::{BoxRead, Core};
use crate::codec::{CodecError, ForeignPeer, RemotingCodec};
use crate::error::Error;
use crate::inbound::Inbound;

/// Runs until the peer closes, a frame is invalid, the connection idles out, drains or is
/// cancelled; then fails every pending request at once.
pub(super) async fn reader_task(
    core: Arc<Core>,
    mut frames: FramedRead<BoxRead, RemotingCodec>,
    inbound: Arc<Inbound>,
    on_close: Option<Box<dyn FnOnce(u64) + Send>>,
) {
    let idle = core.config.idle_timeout;
    // Without an idle timeout the sleep is never polled (the `if` guard below).
    let sleep = tokio::time::sleep(idle.unwrap_or_default());
    tokio::pin!(sleep);
    let cause = loop {
        tokio::select! {
            biased;
            _ = core.token.cancelled() => break None,
            frame = frames.next() => match frame {
                Some(Ok(cmd)) => {
                    core.touch();
                    core.counters.incr(|c| &c.frames_read);
                    if cmd.is_response() {
                        let opaque = cmd.opaque;
                        // Java: NettyRemotingClient#invokeImpl. Marked before the waiter sees
                        // the answer, so its re-send cannot pick this connection again.
                        if cmd.code == ResponseCode::GO_AWAY.0 && core.start_draining() {
                            debug!(opaque, "server answered GO_AWAY; draining the connection");
                        }
                        if !core.pending.complete(cmd) {
                            core.counters.incr(|c| &c.late_responses);
                            debug!(opaque, "dropping response with no waiting request");
                        }
                    } else {
                        inbound.dispatch(&core, cmd, &core.counters);
                    }
                }
                Some(Err(CodecError::Io(source))) => {
                    debug!(error = %source, "connection read failed");
                    break Some(Error::Io { addr: core.addr.clone(), source });
                }
                Some(Err(CodecError::Protocol(source))) => {
                    // A length prefix over the limit may be another protocol's first bytes.
                    let foreign = matches!(source, rmq_protocol::Error::FrameTooLarge { .. })
                        .then(|| ForeignPeer::recognise(frames.read_buffer()))
                        .flatten();
                    if let Some(answered) = foreign {
                        tracing::warn!(%answered, "peer is not a RocketMQ server, closing connection");
                        break Some(Error::NotRocketMq { addr: core.addr.clone(), answered });
                    }
                    tracing::warn!(error = %source, "invalid frame, closing connection");
                    break Some(Error::Codec { addr: core.addr.clone(), source });
                }
                None => {
                    debug!("connection closed by peer");
                    break None;
                }
            },
            () = core.pending.emptied(), if core.is_draining() => {
                if core.pending.is_empty() {
                    debug!("draining connection has nothing in flight; closing it");
                    break None;
                }
            }
            () = &mut sleep, if idle.is_some() => {
                let idle = idle.unwrap_or_default();
                let now = tokio::time::Instant::now();
                let quiet_since = core.last_active();
                if now >= quiet_since + idle && core.pending.is_empty() {
                    debug!(?idle, "closing idle connection");
                    break None;
                }
                sleep.as_mut().reset((quiet_since + idle).max(now + idle / 4));
            }
        }
    };
    core.close(cause);
    core.counters.each(|c| {
        c.connections.fetch_sub(1, Relaxed);
    });
    if let Some(on_close) = on_close {
        on_close(core.id);
    }
}
