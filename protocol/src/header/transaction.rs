//! Transactions: END_TRANSACTION (37, client to broker) and CHECK_TRANSACTION_STATE (39, broker
//! to client).

header! {
    /// EndTransactionRequestHeader (37, sent oneway by Java).
    EndTransactionRequestHeader {
        /// Producer group (the PGROUP property on a check).
        producer_group: String = "producerGroup",
        /// The half message's queue offset (send response `queueOffset`).
        tran_state_table_offset: i64 = "tranStateTableOffset",
        /// Commit-log offset decoded from the send response's offset msgId.
        commit_log_offset: i64 = "commitLogOffset",
        /// 0 unknown, 8 commit, 12 rollback.
        commit_or_rollback: i32 = "commitOrRollback",
        /// Whether this answers a broker check.
        from_transaction_check: Option<bool> = "fromTransactionCheck",
        /// The message's UNIQ_KEY.
        msg_id: String = "msgId",
        /// Transaction id.
        transaction_id: Option<String> = "transactionId",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

/// `commitOrRollback`: state unknown, the broker checks back later (Java TRANSACTION_NOT_TYPE).
pub const TRANSACTION_UNKNOWN: i32 = 0;
/// `commitOrRollback`: commit (Java TRANSACTION_COMMIT_TYPE).
pub const TRANSACTION_COMMIT: i32 = 0x8;
/// `commitOrRollback`: roll back (Java TRANSACTION_ROLLBACK_TYPE).
pub const TRANSACTION_ROLLBACK: i32 = 0xC;

header! {
    /// CheckTransactionStateRequestHeader (39, broker to client, oneway).
    CheckTransactionStateRequestHeader {
        /// Half message queue offset.
        tran_state_table_offset: i64 = "tranStateTableOffset",
        /// Half message commit-log offset.
        commit_log_offset: i64 = "commitLogOffset",
        /// The message's UNIQ_KEY.
        msg_id: Option<String> = "msgId",
        /// Transaction id.
        transaction_id: Option<String> = "transactionId",
        /// Offset message id.
        offset_msg_id: Option<String> = "offsetMsgId",
        /// Broker name.
        broker_name: Option<String> = "bname",
    }
}
