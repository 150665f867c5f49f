//! The delivery-time guard: a message with a 5.x delivery time (`TIMER_DELIVER_MS`,
//! `TIMER_DELAY_SEC`, `TIMER_DELAY_MS`) is refused before it is sent to a broker whose version
//! (from the client instance's broker version table) predates timer messages, since such a
//! broker ignores the property and delivers at once. It does not compute delivery times.

use rmq_protocol::message::{property, Properties};
use rmq_protocol::version::Version;

use crate::error::{Error, Result};
use crate::shared::Shared;

/// The first broker version with timer messages (RocketMQ 5.0.0's `TimerMessageStore`).
pub const TIMER_MIN_VERSION: Version = Version::V5_0_0;

/// Whether `properties` ask for a 5.x delivery time.
pub(crate) fn has_delivery_time(properties: &Properties) -> bool {
    [
        property::TIMER_DELIVER_MS,
        property::TIMER_DELAY_SEC,
        property::TIMER_DELAY_MS,
    ]
    .iter()
    .any(|name| properties.get(name).is_some())
}

/// Refuses a delivery-time message for a broker known to be older than
/// [`TIMER_MIN_VERSION`]; an unknown version (0: no heartbeat answered yet) lets it through.
pub(crate) fn check_broker(
    properties: &Properties,
    broker_name: &str,
    addr: &str,
    version: i32,
) -> Result<()> {
    if version == 0 || version >= TIMER_MIN_VERSION.0 || !has_delivery_time(properties) {
        return Ok(());
    }
    Err(Error::DeliveryTimeUnsupported {
        broker_name: broker_name.to_owned(),
        addr: addr.to_owned(),
        version: Version(version),
    })
}

impl Shared {
    /// [`check_broker`] with the version the client instance knows for `addr`.
    pub(crate) fn check_timer_support(
        &self,
        properties: &Properties,
        broker_name: &str,
        addr: &str,
    ) -> Result<()> {
        let version = self.instance.brokers().version(broker_name, addr);
        check_broker(properties, broker_name, addr, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed() -> Properties {
        let mut p = Properties::new();
        p.insert(property::TIMER_DELIVER_MS, "1700000000000");
        p
    }

    #[test]
    fn a_delivery_time_to_a_4x_broker_is_refused_naming_broker_and_version() {
        let e = check_broker(&timed(), "broker-a", "127.0.0.1:10911", Version::V4_9_7.0)
            .expect_err("refused");
        let text = e.to_string();
        assert!(
            text.contains("broker-a") && text.contains("V4_9_7"),
            "{text}"
        );
        assert_eq!(e.kind(), crate::ErrorKind::Unsupported);
    }

    #[test]
    fn a_5x_or_unknown_broker_and_plain_messages_pass() {
        for version in [0, Version::V5_0_0.0, Version::V5_3_3.0] {
            assert!(
                check_broker(&timed(), "b", "a", version).is_ok(),
                "{version}"
            );
        }
        let mut delay = Properties::new();
        delay.insert(property::TIMER_DELAY_SEC, "10");
        assert!(check_broker(&delay, "b", "a", Version::V4_9_7.0).is_err());
        assert!(check_broker(&Properties::new(), "b", "a", Version::V4_9_7.0).is_ok());
    }
}
