//! The topic-name checks of the 5.x create requests (topic lists, static topics): Java's
//! `TopicValidator` rules as the broker applies them.

use rmq_protocol::{naming, Command, ResponseCode};

use crate::reply;

/// Java's topic checks of the 5.x create requests: a valid name that is not a system topic.
pub(crate) fn check_new_topic(topic: &str) -> Result<(), Command> {
    if let Err(e) = rmq_protocol::validate::broker_check_topic(topic) {
        return Err(reply::error(ResponseCode::INVALID_PARAMETER, e.to_string()));
    }
    if naming::is_system_topic(topic) {
        return Err(reply::error(
            ResponseCode::INVALID_PARAMETER,
            format!("The topic[{topic}] is conflict with system topic."),
        ));
    }
    Ok(())
}
