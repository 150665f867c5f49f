//! Name-server KV configuration: GET/PUT/DELETE_KV_CONFIG (101/100/102) and
//! GET_KVLIST_BY_NAMESPACE (219).

header! {
    /// GetKVConfigRequestHeader (101).
    GetKvConfigRequestHeader {
        /// Namespace.
        namespace: String = "namespace",
        /// Key.
        key: String = "key",
    }
}

header! {
    /// GetKVConfigResponseHeader.
    GetKvConfigResponseHeader {
        /// The value (absent when not found).
        value: Option<String> = "value",
    }
}

header! {
    /// PutKVConfigRequestHeader (100).
    PutKvConfigRequestHeader {
        /// Namespace.
        namespace: String = "namespace",
        /// Key.
        key: String = "key",
        /// Value.
        value: String = "value",
    }
}

header! {
    /// DeleteKVConfigRequestHeader (102).
    DeleteKvConfigRequestHeader {
        /// Namespace.
        namespace: String = "namespace",
        /// Key.
        key: String = "key",
    }
}

header! {
    /// GetKVListByNamespaceRequestHeader (219).
    GetKvListByNamespaceRequestHeader {
        /// Namespace.
        namespace: String = "namespace",
    }
}
