//! Broker-side message filters: a subscription's tag set or SQL92 expression, decided per
//! stored message (Java `ExpressionMessageFilter`). Parsing a subscription and matching a
//! message live here; which subscription applies to a pull is the pull processor's business.

pub(crate) mod sql92;

use std::collections::HashSet;

use rmq_protocol::StoredMessage;

/// Java `ExpressionType.TAG`.
const TAG: &str = "TAG";
/// Java `ExpressionType.SQL92`.
const SQL92: &str = "SQL92";
/// Java `SubscriptionData.SUB_ALL`.
const SUB_ALL: &str = "*";

/// What a subscription lets through.
#[derive(Debug, Clone)]
pub(crate) enum MessageFilter {
    /// Every message (`*` or an empty expression).
    All,
    /// Messages whose `TAGS` is one of these.
    Tags(HashSet<String>),
    /// Messages whose properties satisfy the expression.
    Sql92(sql92::Expr),
}

impl MessageFilter {
    /// From a subscription: expression type `TAG` (or none / empty) splits `a || b` into tags;
    /// `SQL92` compiles the expression. Types are matched exactly, as Java does.
    ///
    /// # Errors
    /// The description of a SQL92 parse error or an unknown expression type; the broker
    /// answers SUBSCRIPTION_PARSE_FAILED with it.
    pub fn parse(expression_type: Option<&str>, expression: &str) -> Result<MessageFilter, String> {
        match expression_type.unwrap_or_default() {
            "" | TAG => Ok(Self::tags(expression)),
            SQL92 => sql92::Expr::parse(expression).map(MessageFilter::Sql92),
            other => Err(format!("unsupported expression type {other:?}")),
        }
    }

    /// Java `FilterAPI#buildSubscriptionData`: `*` or empty is everything, otherwise the
    /// trimmed non-empty parts between `||`.
    fn tags(expression: &str) -> MessageFilter {
        let expression = expression.trim();
        if expression.is_empty() || expression == SUB_ALL {
            return MessageFilter::All;
        }
        let tags = expression
            .split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        MessageFilter::Tags(tags)
    }

    /// Whether `msg` passes. A message without a tag passes only [`MessageFilter::All`]
    /// (Java stores tag code 0 for it, which no subscribed tag has).
    pub fn matches(&self, msg: &StoredMessage) -> bool {
        match self {
            MessageFilter::All => true,
            MessageFilter::Tags(tags) => msg.tags().is_some_and(|t| tags.contains(t)),
            MessageFilter::Sql92(expr) => expr.matches(&msg.properties),
        }
    }
}

#[cfg(test)]
mod tests {
    use rmq_protocol::Properties;

    use super::*;

    fn tagged(tag: Option<&str>) -> StoredMessage {
        let mut properties = Properties::new();
        if let Some(tag) = tag {
            properties.insert("TAGS", tag);
        }
        properties.insert("a", "5");
        StoredMessage {
            properties,
            ..StoredMessage::default()
        }
    }

    #[test]
    fn star_and_empty_match_everything() {
        for expr in ["*", "", "  * "] {
            let filter = MessageFilter::parse(None, expr).expect("parse");
            assert!(filter.matches(&tagged(None)), "{expr:?}");
            assert!(filter.matches(&tagged(Some("X"))), "{expr:?}");
        }
        assert!(MessageFilter::parse(Some("TAG"), "*")
            .expect("parse")
            .matches(&tagged(None)));
    }

    #[test]
    fn tag_list_matches_any_listed_tag_only() {
        let filter = MessageFilter::parse(Some("TAG"), "A || B ||  C").expect("parse");
        assert!(filter.matches(&tagged(Some("A"))));
        assert!(filter.matches(&tagged(Some("C"))));
        assert!(!filter.matches(&tagged(Some("D"))));
        assert!(!filter.matches(&tagged(Some("A || B"))));
        assert!(!filter.matches(&tagged(None)));
    }

    #[test]
    fn sql92_type_compiles_and_filters_on_properties() {
        let filter = MessageFilter::parse(Some("SQL92"), "a > 3 AND TAGS = 'X'").expect("parse");
        assert!(filter.matches(&tagged(Some("X"))));
        assert!(!filter.matches(&tagged(Some("Y"))));
    }

    #[test]
    fn bad_sql_and_unknown_types_are_errors() {
        let err = MessageFilter::parse(Some("SQL92"), "a >").expect_err("bad sql");
        assert!(!err.is_empty());
        let err = MessageFilter::parse(Some("sql92"), "a > 1").expect_err("case matters");
        assert!(err.contains("sql92"), "{err}");
    }
}
