//! END_TRANSACTION (37): commits or rolls back a half message, oneway as Java sends it.
//!
//! Deciding the outcome and answering broker checks (CHECK_TRANSACTION_STATE) belong to the
//! producer.

use std::time::Duration;

use rmq_protocol::header::EndTransactionRequestHeader;
use rmq_protocol::RequestCode;

use super::ClientApi;
use crate::error::Result;

impl ClientApi {
    /// Sends END_TRANSACTION oneway to the broker at `addr`.
    ///
    /// `remark` carries the local transaction's error text, if any (Java puts it in the
    /// command's remark).
    ///
    /// # Errors
    /// Transport errors only: the broker does not answer.
    pub async fn end_transaction_oneway(
        &self,
        addr: &str,
        header: &EndTransactionRequestHeader,
        remark: Option<String>,
        timeout: Duration,
    ) -> Result<()> {
        let mut cmd = self.request_with(RequestCode::END_TRANSACTION, header);
        cmd.remark = remark;
        self.oneway(addr, cmd, timeout).await
    }
}
