//! fastjson bodies through `rmq_protocol::body::from_fastjson`: as untyped JSON and as the
//! bodies whose fastjson quirks matter most (bare numeric keys in routes and cluster info,
//! object keys in reset-offset and consume-stats bodies). Errors are fine, panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rmq_protocol::body::{
    from_fastjson, to_standard_json, ClusterInfo, ConsumeStats, ResetOffsetBody, TopicRouteData,
};

fuzz_target!(|data: &[u8]| {
    let _ = to_standard_json(data);
    let _ = from_fastjson::<serde_json::Value>(data);
    let _ = from_fastjson::<TopicRouteData>(data);
    let _ = from_fastjson::<ClusterInfo>(data);
    let _ = from_fastjson::<ResetOffsetBody>(data);
    let _ = from_fastjson::<ConsumeStats>(data);
});
