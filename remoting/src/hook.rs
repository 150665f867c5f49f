//! RPC hooks: code that sees every request before it is sent and every response before it is
//! returned (ACL signing is one). Hooks run on the caller's task, synchronously; they must not
//! block.

use rmq_protocol::Command;

/// Runs around every request a [`RemotingClient`](crate::RemotingClient) sends.
///
/// `before_request` may change the request (add ext fields, sign it); it sees the request after
/// the client set its serialize type and before it is given an opaque. `after_response` sees
/// the request as sent and may change the response. Oneway requests only get `before_request`.
/// Server-initiated requests do not pass through hooks.
///
/// ```
/// use rmq_protocol::Command;
/// use rmq_remoting::RpcHook;
///
/// #[derive(Debug)]
/// struct Tag;
///
/// impl RpcHook for Tag {
///     fn before_request(&self, _addr: &str, request: &mut Command) {
///         request.ext_fields.insert("AccessKey", "rocketmq2");
///     }
///     fn after_response(&self, _addr: &str, _request: &Command, _response: &mut Command) {}
/// }
/// ```
pub trait RpcHook: Send + Sync + std::fmt::Debug + 'static {
    /// Called before `request` is sent to `addr`.
    fn before_request(&self, addr: &str, request: &mut Command);

    /// Called when `response` to `request` arrived from `addr`, before the caller sees it.
    fn after_response(&self, addr: &str, request: &Command, response: &mut Command);
}
