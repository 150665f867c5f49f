//! Validation of user input exactly as Java 4.9.7 does it (`Validators` on the client,
//! `TopicValidator` on the broker): topic and group names, forbidden topics, message bodies.
//!
//! Errors carry Java's message text in [`Error::Invalid`]. Lengths are counted in UTF-16 code
//! units, as Java's `String.length()`.

use crate::error::{Error, Result};
use crate::naming::{is_blank, is_not_allowed_send_topic};

/// Longest topic name, in UTF-16 code units (`TOPIC_MAX_LENGTH`).
pub const TOPIC_MAX_LENGTH: usize = 127;
/// Longest group name, in UTF-16 code units (`CHARACTER_MAX_LENGTH`).
pub const GROUP_MAX_LENGTH: usize = 255;
/// Default largest body a producer sends (`maxMessageSize`, 4 MiB); brokers use the same.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;
/// Java's description of the allowed characters, quoted in error messages.
pub const VALID_PATTERN: &str = "^[%|a-zA-Z0-9_-]+$";

/// Whether `name` contains a character outside `[%|a-zA-Z0-9_-]` (Java
/// `TopicValidator.isTopicOrGroupIllegal`; the empty string is not illegal).
pub fn is_topic_or_group_illegal(name: &str) -> bool {
    !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

fn java_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Java `Validators.checkTopic`: not blank, at most 127 characters, allowed characters only.
///
/// ```
/// use rmq_protocol::validate::check_topic;
/// assert!(check_topic("TopicTest").is_ok());
/// assert_eq!(check_topic(" ").unwrap_err().to_string(), "The specified topic is blank");
/// ```
///
/// # Errors
/// [`Error::Invalid`] with Java's message.
pub fn check_topic(topic: &str) -> Result<()> {
    if is_blank(topic) {
        return Err(Error::invalid("The specified topic is blank"));
    }
    if java_len(topic) > TOPIC_MAX_LENGTH {
        return Err(Error::invalid(format!(
            "The specified topic is longer than topic max length {TOPIC_MAX_LENGTH}."
        )));
    }
    if is_topic_or_group_illegal(topic) {
        return Err(Error::invalid(format!(
            "The specified topic[{topic}] contains illegal characters, allowing only {VALID_PATTERN}"
        )));
    }
    Ok(())
}

/// Java `TopicValidator.validateTopic` as the broker runs it on a send: the same rules as
/// [`check_topic`] in another order, with the broker's remark text.
///
/// # Errors
/// [`Error::Invalid`] with the remark the broker would answer (`SYSTEM_ERROR`).
pub fn broker_check_topic(topic: &str) -> Result<()> {
    if is_blank(topic) {
        return Err(Error::invalid("The specified topic is blank."));
    }
    if is_topic_or_group_illegal(topic) {
        return Err(Error::invalid(format!(
            "The specified topic contains illegal characters, allowing only {VALID_PATTERN}"
        )));
    }
    if java_len(topic) > TOPIC_MAX_LENGTH {
        return Err(Error::invalid(
            "The specified topic is longer than topic max length.",
        ));
    }
    Ok(())
}

/// Java `Validators.isNotAllowedSendTopic`: refuses the system topics producers may not use
/// (see [`crate::naming::NOT_ALLOWED_SEND_TOPICS`]).
///
/// # Errors
/// [`Error::Invalid`] with Java's message.
pub fn check_send_topic_allowed(topic: &str) -> Result<()> {
    if is_not_allowed_send_topic(topic) {
        return Err(Error::invalid(format!(
            "Sending message to topic[{topic}] is forbidden."
        )));
    }
    Ok(())
}

/// Java `Validators.checkGroup`: not blank, at most 255 characters, allowed characters only.
///
/// # Errors
/// [`Error::Invalid`] with Java's message.
pub fn check_group(group: &str) -> Result<()> {
    if is_blank(group) {
        return Err(Error::invalid("the specified group is blank"));
    }
    if java_len(group) > GROUP_MAX_LENGTH {
        return Err(Error::invalid(format!(
            "the specified group is longer than group max length {GROUP_MAX_LENGTH}."
        )));
    }
    if is_topic_or_group_illegal(group) {
        return Err(Error::invalid(format!(
            "the specified group[{group}] contains illegal characters, allowing only {VALID_PATTERN}"
        )));
    }
    Ok(())
}

/// The body part of Java `Validators.checkMessage`: not empty, at most `max_message_size`
/// bytes ([`DEFAULT_MAX_MESSAGE_SIZE`] unless the producer was configured otherwise).
///
/// # Errors
/// [`Error::Invalid`] with Java's message (Java reports it as `MESSAGE_ILLEGAL`).
pub fn check_body(body: &[u8], max_message_size: usize) -> Result<()> {
    if body.is_empty() {
        return Err(Error::invalid("the message body length is zero"));
    }
    if body.len() > max_message_size {
        return Err(Error::invalid(format!(
            "the message body size over max value, MAX: {max_message_size}"
        )));
    }
    Ok(())
}

/// Java `Validators.checkMessage` without the message type: the topic ([`check_topic`]), that
/// sending to it is allowed ([`check_send_topic_allowed`]), then the body ([`check_body`]).
///
/// # Errors
/// The first rule that fails, as [`Error::Invalid`].
pub fn check_message(topic: &str, body: &[u8], max_message_size: usize) -> Result<()> {
    check_topic(topic)?;
    check_send_topic_allowed(topic)?;
    check_body(body, max_message_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_checks_report_empty_and_oversized_bodies() {
        assert!(check_body(b"x", 1).is_ok());
        let empty = check_body(b"", 1).map_err(|e| e.to_string());
        assert_eq!(empty, Err("the message body length is zero".into()));
        let big = check_body(b"xy", 1).map_err(|e| e.to_string());
        assert_eq!(
            big,
            Err("the message body size over max value, MAX: 1".into())
        );
    }

    #[test]
    fn check_message_refuses_forbidden_topics_before_the_body() {
        let err = check_message("SCHEDULE_TOPIC_XXXX", b"", 10).map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.".into())
        );
    }
}
