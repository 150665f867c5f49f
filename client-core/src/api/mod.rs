//! [`ClientApi`]: every RPC a client sends to name servers and brokers, typed (Java's
//! `MQClientAPIImpl`).
//!
//! Each method builds one request (typed header, JSON or text body), sends it through the
//! [`RemotingClient`] and turns the answer into a Rust value. It owns no state besides the
//! transport handle: which broker to ask, retries and caching belong to the callers.
//!
//! # Errors
//! A response whose code is not `SUCCESS` becomes [`Error::Broker`] with the answering address,
//! the code and the remark, except where a method documents the code as a normal outcome (an
//! unknown topic's route, a missing consumer offset, a pull that found nothing...). Transport
//! failures are [`Error::Remoting`]; a malformed header or body is [`Error::Protocol`] or
//! [`Error::BadAnswer`].
//!
//! # Cancel safety
//! Every method is cancel safe: dropping its future drops the pending request (a late response
//! is discarded by the connection). A request already written may still take effect on the
//! server.
//!
//! Layout: one private file per request family, all adding methods to [`ClientApi`]: `namesrv`
//! (routes and name-server admin), `send`, `pull`, `offset`, `client` (heartbeat, locks,
//! send-back), `transaction`, `query`, `admin`, `admin_stats`, `pop` (POP consumption) and
//! `assignment` (broker-side load balancing); `properties` reads and writes
//! the Java properties text of config bodies, `bodies` holds JSON bodies not yet in
//! `rmq-protocol`.

use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::body::JsonBody;
use rmq_protocol::{
    Command, CommandHeader, LanguageCode, RequestCode, ResponseCode, SerializeType,
};
use rmq_remoting::RemotingClient;

use crate::error::{Error, Result};

mod admin;
mod admin5;
mod admin_stats;
mod assignment;
mod bodies;
mod client;
mod namesrv;
mod offset;
mod pop;
mod properties;
mod pull;
mod query;
mod send;
mod transaction;

pub use bodies::{CheckClientRequestBody, SubscriptionGroupWrapper, TopicConfigSerializeWrapper};
pub use pop::{batch_acks, PopRecord, PopResponse, PopStatus};
pub use properties::{format_properties, parse_properties};
pub use pull::{PullResponse, PullStatus};
pub use send::{SendResponse, SendStatus, DEFAULT_REGION};

/// Java's default RPC timeout (`ClientConfig.mqClientApiTimeout`, 3 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Label used in errors when a name-server answer cannot be tied to an address.
const NAMESRV_LABEL: &str = "name server";

/// Typed RPCs to name servers and brokers over one [`RemotingClient`].
///
/// Cheap to clone: clones share the transport. Every command it builds carries the configured
/// [`LanguageCode`] and [`SerializeType`] (the remoting client applies its own serialize type
/// again when sending, so keep the two configs in step).
///
/// ```no_run
/// # async fn demo() -> rmq_client_core::Result<()> {
/// use std::time::Duration;
/// use rmq_client_core::api::ClientApi;
/// use rmq_protocol::{LanguageCode, SerializeType};
/// use rmq_remoting::RemotingClient;
///
/// let remoting = RemotingClient::builder().namesrv(["127.0.0.1:9876"]).build();
/// let api = ClientApi::new(remoting, LanguageCode::RUST, SerializeType::Json);
/// let route = api.topic_route("TopicTest", Duration::from_secs(3)).await?;
/// println!("{route:?}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientApi {
    remoting: RemotingClient,
    language: LanguageCode,
    serialize_type: SerializeType,
    default_timeout: Duration,
}

impl ClientApi {
    /// An API over `remoting` whose commands carry `language` and `serialize_type`.
    pub fn new(
        remoting: RemotingClient,
        language: LanguageCode,
        serialize_type: SerializeType,
    ) -> Self {
        ClientApi {
            remoting,
            language,
            serialize_type,
            default_timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Replaces the default timeout (3 s unless set), which callers may use for plain RPCs.
    pub fn with_default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// The transport.
    pub fn remoting(&self) -> &RemotingClient {
        &self.remoting
    }

    /// The default RPC timeout.
    pub fn default_timeout(&self) -> Duration {
        self.default_timeout
    }

    /// The language code put into every command.
    pub fn language(&self) -> LanguageCode {
        self.language
    }

    /// The header serialization put into every command.
    pub fn serialize_type(&self) -> SerializeType {
        self.serialize_type
    }

    // ===== request building =====

    /// A request with `code`, this API's language and serialize type, and version 407.
    fn request(&self, code: RequestCode) -> Command {
        let mut cmd = Command::request(code).with_serialize_type(self.serialize_type);
        cmd.language = self.language;
        cmd
    }

    /// A request with `code` and `header`'s ext fields.
    fn request_with<H: CommandHeader>(&self, code: RequestCode, header: &H) -> Command {
        self.request(code).with_header(header)
    }

    // ===== sending =====

    /// Sends to `addr` and returns the response whatever its code.
    async fn call(&self, addr: &str, cmd: Command, timeout: Duration) -> Result<Command> {
        Ok(self.remoting.invoke(addr, cmd, timeout).await?)
    }

    /// Sends to `addr`; a non-success code is [`Error::Broker`].
    async fn call_ok(&self, addr: &str, cmd: Command, timeout: Duration) -> Result<Command> {
        let response = self.call(addr, cmd, timeout).await?;
        expect_success(addr, response)
    }

    /// Sends `header` with `code` to `addr` and reads the typed response header; a non-success
    /// code is [`Error::Broker`].
    async fn call_header<Req: CommandHeader, Resp: CommandHeader>(
        &self,
        addr: &str,
        code: RequestCode,
        header: &Req,
        timeout: Duration,
    ) -> Result<Resp> {
        let cmd = self.request_with(code, header);
        Ok(self
            .call_ok(addr, cmd, timeout)
            .await?
            .decode_header::<Resp>()?)
    }

    /// Sends `cmd` oneway to `addr`.
    async fn oneway(&self, addr: &str, cmd: Command, timeout: Duration) -> Result<()> {
        Ok(self.remoting.invoke_oneway(addr, cmd, timeout).await?)
    }

    /// Sends to the current name server (rotating on connection errors); returns the address
    /// that most likely answered, for error reports, and the response whatever its code.
    async fn call_namesrv(&self, cmd: Command, timeout: Duration) -> Result<(String, Command)> {
        let response = self.remoting.invoke_namesrv(cmd, timeout).await?;
        // The selector is sticky: after a call it points at the server that answered.
        let addr = self
            .remoting
            .namesrv()
            .current()
            .unwrap_or_else(|| NAMESRV_LABEL.to_owned());
        Ok((addr, response))
    }

    /// As [`call_namesrv`](Self::call_namesrv); a non-success code is [`Error::Broker`].
    async fn call_namesrv_ok(&self, cmd: Command, timeout: Duration) -> Result<(String, Command)> {
        let (addr, response) = self.call_namesrv(cmd, timeout).await?;
        let response = expect_success(&addr, response)?;
        Ok((addr, response))
    }
}

/// `response` if its code is `SUCCESS`, else [`Error::Broker`].
fn expect_success(addr: &str, response: Command) -> Result<Command> {
    if response.response_code() == ResponseCode::SUCCESS {
        Ok(response)
    } else {
        Err(Error::broker(addr, &response))
    }
}

/// Parses a required JSON body; an empty body is [`Error::BadAnswer`].
fn json_body<T: JsonBody>(addr: &str, response: &Command) -> Result<T> {
    if response.body.is_empty() {
        return Err(bad_answer(
            addr,
            response,
            "a JSON body was expected, got none",
        ));
    }
    Ok(T::from_json(&response.body)?)
}

/// Parses an optional JSON body: an empty body gives `T::default()` (Java leaves the result
/// empty when the body is null).
fn json_body_or_default<T: JsonBody + Default>(response: &Command) -> Result<T> {
    if response.body.is_empty() {
        return Ok(T::default());
    }
    Ok(T::from_json(&response.body)?)
}

/// Serializes a request body.
fn to_json_body<T: JsonBody>(body: &T) -> Result<Bytes> {
    Ok(Bytes::from(body.to_json()?))
}

/// [`Error::BadAnswer`] naming the response code.
fn bad_answer(addr: &str, response: &Command, reason: &str) -> Error {
    Error::BadAnswer {
        addr: addr.to_owned(),
        reason: format!("{reason} (code {})", response.response_code()),
    }
}
