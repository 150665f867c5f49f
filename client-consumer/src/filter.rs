//! [`Filter`]: what a subscription selects (tags or an SQL92 expression), and the client-side
//! re-filter by tag string that Java applies after the broker's hash-based filter.

use rmq_protocol::body::{SubscriptionData, EXPRESSION_TAG};
use rmq_protocol::message::StoredMessage;

/// What a subscription selects.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Filter {
    /// Every message (`*`).
    All,
    /// Messages whose tag is one of these.
    Tags(Vec<String>),
    /// A tag expression as Java writes it: `*`, `TagA`, or `TagA || TagB`.
    Expression(String),
    /// An SQL92 expression over properties (the broker needs `enablePropertyFilter=true`).
    Sql92(String),
}

impl Filter {
    /// Every message.
    pub fn all() -> Filter {
        Filter::All
    }

    /// Messages with any of `tags`.
    pub fn tags<I, S>(tags: I) -> Filter
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Filter::Tags(tags.into_iter().map(Into::into).collect())
    }

    /// A tag expression (`*`, `A`, `A || B`).
    pub fn expression(expr: impl Into<String>) -> Filter {
        Filter::Expression(expr.into())
    }

    /// An SQL92 expression.
    pub fn sql92(expr: impl Into<String>) -> Filter {
        Filter::Sql92(expr.into())
    }

    /// The subscription data sent in heartbeats and pulls.
    pub fn to_subscription(&self, topic: &str, sub_version: i64) -> SubscriptionData {
        match self {
            Filter::All => SubscriptionData::from_tag_expression(topic, "*", sub_version),
            Filter::Tags(tags) if tags.is_empty() => {
                SubscriptionData::from_tag_expression(topic, "*", sub_version)
            }
            Filter::Tags(tags) => {
                SubscriptionData::from_tag_expression(topic, &tags.join(" || "), sub_version)
            }
            Filter::Expression(e) => SubscriptionData::from_tag_expression(topic, e, sub_version),
            Filter::Sql92(e) => SubscriptionData::sql92(topic, e.clone(), sub_version),
        }
    }
}

/// Whether a message the broker returned passes the subscription's tag set (Java:
/// `PullAPIWrapper#processPullResult`). The broker filters by tag *hash*; collisions pass it.
pub(crate) fn passes(sub: &SubscriptionData, msg: &StoredMessage) -> bool {
    if sub.expression_type != EXPRESSION_TAG || sub.tags_set.is_empty() || sub.class_filter_mode {
        return true;
    }
    msg.tags()
        .is_some_and(|tag| sub.tags_set.iter().any(|t| t == tag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_protocol::message::property;

    fn msg(tag: Option<&str>) -> StoredMessage {
        let mut m = StoredMessage::default();
        if let Some(tag) = tag {
            m.properties.insert(property::TAGS, tag);
        }
        m
    }

    #[test]
    fn tags_filter_keeps_only_listed_tags_and_star_keeps_all() {
        let sub = Filter::tags(["A", "B"]).to_subscription("T", 1);
        assert_eq!(sub.sub_string, "A || B");
        assert!(passes(&sub, &msg(Some("A"))));
        assert!(!passes(&sub, &msg(Some("C"))));
        assert!(!passes(&sub, &msg(None)));
        let all = Filter::all().to_subscription("T", 1);
        assert!(passes(&all, &msg(None)));
        let sql = Filter::sql92("a > 1").to_subscription("T", 1);
        assert!(passes(&sql, &msg(Some("C"))));
    }
}
