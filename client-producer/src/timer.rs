//! The delivery-time guard: a message with a 5.x delivery time (`TIMER_DELIVER_MS`,
//! `TIMER_DELAY_SEC`, `TIMER_DELAY_MS`) is refused before it is sent to a broker whose version
//! (from the client instance's broker version table) predates timer messages, since such a
//! broker ignores the property and delivers at once. It does not compute delivery times.

use rmq_protocol::message::{property, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR};
use rmq_protocol::version::Version;

use crate::error::{Error, Result};
use crate::message::Outgoing;
use crate::shared::Shared;

/// The first broker version with timer messages (RocketMQ 5.0.0's `TimerMessageStore`).
pub const TIMER_MIN_VERSION: Version = Version::V5_0_0;

/// Whether properties in wire form (`name 0x01 value 0x02 …`) ask for a 5.x delivery time:
/// one of the timer names with a non-empty value (the broker drops empty ones). Reads the
/// text in place, without decoding it.
pub(crate) fn has_delivery_time(wire: &str) -> bool {
    const NAMES: [&str; 3] = [
        property::TIMER_DELIVER_MS,
        property::TIMER_DELAY_SEC,
        property::TIMER_DELAY_MS,
    ];
    wire.split(PROPERTY_SEPARATOR).any(|pair| {
        pair.split_once(NAME_VALUE_SEPARATOR)
            .is_some_and(|(name, value)| !value.is_empty() && NAMES.contains(&name))
    })
}

/// Refuses a delivery-time message (properties `wire`) for a broker known to be older than
/// [`TIMER_MIN_VERSION`]; an unknown version (0: no heartbeat answered yet) lets it through.
pub(crate) fn check_broker(wire: &str, broker_name: &str, addr: &str, version: i32) -> Result<()> {
    if version == 0 || version >= TIMER_MIN_VERSION.0 || !has_delivery_time(wire) {
        return Ok(());
    }
    Err(Error::DeliveryTimeUnsupported {
        broker_name: broker_name.to_owned(),
        addr: addr.to_owned(),
        version: Version(version),
    })
}

impl Shared {
    /// [`check_broker`] for `out` with the version the client instance knows for `addr`.
    pub(crate) fn check_timer_support(
        &self,
        out: &Outgoing,
        broker_name: &str,
        addr: &str,
    ) -> Result<()> {
        let version = self.instance.brokers().version(broker_name, addr);
        check_broker(&out.wire_properties, broker_name, addr, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use rmq_protocol::message::Properties;

    fn timed() -> String {
        let mut p = Properties::new();
        p.insert(property::WAIT_STORE_MSG_OK, "true");
        p.insert(property::TIMER_DELIVER_MS, "1700000000000");
        p.encode()
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
        assert!(check_broker(&delay.encode(), "b", "a", Version::V4_9_7.0).is_err());
        assert!(check_broker("", "b", "a", Version::V4_9_7.0).is_ok());
        // An empty value is dropped by the broker, and a timer name as a value is no timer.
        let empty = "TIMER_DELAY_SEC\u{1}\u{2}KEYS\u{1}TIMER_DELAY_MS";
        assert!(check_broker(empty, "b", "a", Version::V4_9_7.0).is_ok());
    }
}
