//! LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42) for orderly consumers (Java
//! `RebalanceLockManager`): a queue is locked by one client id at a time, renewed by each lock
//! request, and free to take once unrenewed for 60 s. Both the 4.x body and the 5.x body
//! (`onlyThisBroker`) are accepted.

use std::time::Duration;

use rmq_protocol::body::{JsonBody, LockBatchRequestBody, LockBatchResponseBody};
use rmq_protocol::{Command, ResponseCode};

use super::state::{Lock, MAX_LOCKS};
use super::{now_ms, Broker};
use crate::reply;

/// Java `rocketmq.broker.rebalance.lockMaxLiveTime`'s default.
pub(crate) const LOCK_EXPIRY: Duration = Duration::from_secs(60);

fn body(request: &Command) -> Result<LockBatchRequestBody, Command> {
    LockBatchRequestBody::from_json(&request.body)
        .map_err(|e| reply::error(ResponseCode::SYSTEM_ERROR, format!("bad lock body: {e}")))
}

/// LOCK_BATCH_MQ: the queues now held by the requesting client.
pub(crate) fn lock_batch(broker: &Broker, request: &Command) -> Command {
    let body = match body(request) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let now = now_ms();
    let expiry = LOCK_EXPIRY.as_millis() as i64;
    let mut locked = Vec::new();
    let mut state = broker.state();
    for mq in body.mq_set {
        let key = (body.consumer_group.clone(), mq.clone());
        let free = match state.locks.get(&key) {
            Some(lock) => lock.client_id == body.client_id || now - lock.last_update_ms > expiry,
            None => state.locks.len() < MAX_LOCKS,
        };
        if free {
            let lock = Lock {
                client_id: body.client_id.clone(),
                last_update_ms: now,
            };
            state.locks.insert(key, lock);
            locked.push(mq);
        }
    }
    drop(state);
    reply::json(&LockBatchResponseBody {
        lock_ok_mq_set: locked,
    })
}

/// UNLOCK_BATCH_MQ: releases the queues the requesting client holds.
pub(crate) fn unlock_batch(broker: &Broker, request: &Command) -> Command {
    let body = match body(request) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let mut state = broker.state();
    for mq in body.mq_set {
        let key = (body.consumer_group.clone(), mq);
        if state
            .locks
            .get(&key)
            .is_some_and(|l| l.client_id == body.client_id)
        {
            state.locks.remove(&key);
        }
    }
    reply::ok()
}
