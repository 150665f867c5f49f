//! Telling "this server is too old" apart from other failures: a 4.x broker (or a name server
//! without an embedded controller) answers a 5.x request with REQUEST_CODE_NOT_SUPPORTED, which
//! becomes [`Error::Unsupported`] naming the server, its version and the operation.
//!
//! The version comes from the broker itself (`brokerVersionDesc` of GET_BROKER_RUNTIME_INFO);
//! a controller's is not asked for, as it serves no runtime info.

use rmq_protocol::version::Version;
use rmq_protocol::ResponseCode;

use crate::admin::Admin;
use crate::error::{Context, Error, Result};

/// Who answers a request, for [`Error::Unsupported`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A broker (its version is asked for).
    Broker,
    /// A controller (or a name server with an embedded one).
    Controller,
}

impl Admin {
    /// Wraps the result of one 5.x RPC to `addr`: REQUEST_CODE_NOT_SUPPORTED becomes
    /// [`Error::Unsupported`] for `operation` (`"createUser (AUTH_CREATE_USER)"`), any other
    /// error gets `what` as context.
    pub(crate) async fn v5<T>(
        &self,
        role: Role,
        addr: &str,
        operation: &str,
        result: rmq_client_core::Result<T>,
        what: impl FnOnce() -> String,
    ) -> Result<T> {
        match result {
            Err(e) if e.response_code() == Some(ResponseCode::REQUEST_CODE_NOT_SUPPORTED) => {
                let version = match role {
                    Role::Broker => self.broker_version(addr).await,
                    Role::Controller => None,
                };
                Err(Error::Unsupported {
                    role: match role {
                        Role::Broker => "broker",
                        Role::Controller => "controller",
                    },
                    addr: addr.to_owned(),
                    version: version.unwrap_or_else(|| "unknown".to_owned()),
                    operation: operation.to_owned(),
                })
            }
            other => other.context(what),
        }
    }

    /// The broker's version name from its runtime info, `None` when it does not say.
    async fn broker_version(&self, addr: &str) -> Option<String> {
        let info = self
            .api()
            .broker_runtime_info(addr, self.timeout())
            .await
            .ok()?;
        if let Some(desc) = info.get("brokerVersionDesc").filter(|v| !v.is_empty()) {
            return Some(desc.clone());
        }
        // Older brokers only give the ordinal.
        let ordinal = info.get("brokerVersion")?.trim().parse::<i32>().ok()?;
        Version(ordinal)
            .name()
            .or_else(|| Some(ordinal.to_string()))
    }
}
