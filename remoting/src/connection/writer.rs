//! The writer task: owns the socket's write half and coalesces queued frames, writing up to
//! `write_batch` frames per flush so that many small requests cost few syscalls.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::SinkExt;
use tokio::sync::mpsc;
use tokio_util::codec::FramedWrite;
use tracing::debug;

use super::{BoxWrite, Core, Outbound};
use crate::codec::{CodecError, RemotingCodec};
use crate::error::Error;

/// How long a closing connection may spend flushing what was queued before it closed.
const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

type Sink = FramedWrite<BoxWrite, RemotingCodec>;

/// Runs until every handle is dropped, the connection is cancelled, or a write fails.
pub(super) async fn writer_task(core: Arc<Core>, mut rx: mpsc::Receiver<Outbound>, mut sink: Sink) {
    let max = core.config.write_batch;
    let mut batch = Vec::with_capacity(max);
    let failure = loop {
        let received = tokio::select! {
            biased;
            _ = core.token.cancelled() => break None,
            n = rx.recv_many(&mut batch, max) => n,
        };
        if received == 0 {
            // Every handle is gone: nobody can wait for a response any more.
            break None;
        }
        tokio::select! {
            biased;
            _ = core.token.cancelled() => break None,
            written = write_batch(&core, &mut sink, &mut batch) => {
                if let Err(error) = written {
                    break Some(error);
                }
            }
        }
    };
    match failure {
        Some(CodecError::Io(source)) => {
            debug!(error = %source, "connection write failed");
            core.close(Some(Error::Io {
                addr: core.addr.clone(),
                source,
            }));
        }
        Some(CodecError::Protocol(source)) => core.close(Some(Error::Codec {
            addr: core.addr.clone(),
            source,
        })),
        None => {
            // Graceful: flush what callers queued before the close, then send FIN.
            core.close(None);
            rx.close();
            batch.clear();
            while let Ok(outbound) = rx.try_recv() {
                batch.push(outbound);
            }
            let flush = async {
                if !batch.is_empty() {
                    write_batch(&core, &mut sink, &mut batch).await?;
                }
                SinkExt::<Bytes>::close(&mut sink).await
            };
            if let Ok(Err(error)) = tokio::time::timeout(CLOSE_FLUSH_TIMEOUT, flush).await {
                debug!(%error, "flush on close failed");
            }
        }
    }
}

/// Feeds every frame of `batch` into the sink and flushes once.
async fn write_batch(
    core: &Core,
    sink: &mut Sink,
    batch: &mut Vec<Outbound>,
) -> Result<(), CodecError> {
    let frames = batch.len() as u64;
    let mut bytes = 0u64;
    for outbound in batch.drain(..) {
        bytes += outbound.frame.len() as u64;
        sink.feed(outbound.frame).await?;
    }
    SinkExt::<Bytes>::flush(sink).await?;
    core.touch();
    core.counters.each(|c| {
        c.frames_written.fetch_add(frames, Relaxed);
        c.bytes_written.fetch_add(bytes, Relaxed);
        c.flushes.fetch_add(1, Relaxed);
    });
    Ok(())
}
