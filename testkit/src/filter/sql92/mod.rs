//! RocketMQ's SQL92 property filter (Java module `filter`, 5.x grammar): parse an expression
//! once, then evaluate it against each message's properties.
//!
//! Evaluation follows Java's three-valued logic: an unknown property is NULL, a comparison
//! with NULL is NULL, and only a TRUE result matches. Property values are strings; compared
//! with a number they are converted to it, and two strings compared by `<`, `>`, `<=`, `>=`
//! are both read as doubles. A conversion that fails makes the whole evaluation fail (no
//! match), as a Java exception does there. Expressions are bounded in length and depth.

mod eval;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

use rmq_protocol::Properties;

/// Longest expression accepted, in bytes.
pub(crate) const MAX_LEN: usize = 8 * 1024;
/// Deepest expression tree accepted (also bounds the parser's recursion).
pub(crate) const MAX_DEPTH: usize = 64;

/// A compiled SQL92 expression.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    root: Node,
}

impl Expr {
    /// Compiles `src`.
    ///
    /// # Errors
    /// A description of the first lexical, syntax or type error, or of a bound exceeded.
    pub fn parse(src: &str) -> Result<Expr, String> {
        if src.len() > MAX_LEN {
            return Err(format!(
                "expression of {} bytes is longer than {MAX_LEN}",
                src.len()
            ));
        }
        let tokens = lexer::tokenize(src).map_err(invalid)?;
        let root = parser::Parser::new(tokens).parse().map_err(invalid)?;
        Ok(Expr { root })
    }

    /// Whether a message with these properties matches (the expression evaluates to TRUE).
    pub fn matches(&self, properties: &Properties) -> bool {
        matches!(
            eval::evaluate(&self.root, properties),
            Ok(Value::Bool(true))
        )
    }
}

fn invalid(detail: String) -> String {
    format!("invalid SQL92 expression: {detail}")
}

/// A value during evaluation (Java's boxed `Object`s: `Integer`, `Long`, `Double`, `String`,
/// `Boolean` or null).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Str(String),
}

impl Value {
    fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Long(_) | Value::Double(_))
    }
}

/// Ordering operators and equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The 5.x string predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrOp {
    Contains,
    StartsWith,
    EndsWith,
}

/// The expression tree. AND and OR chains are flattened (their left-to-right, short-circuit
/// evaluation gives the same answer as Java's left-deep tree).
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A number or string literal.
    Const(Value),
    /// TRUE, FALSE or NULL (Java's `BooleanConstantExpression`).
    BoolConst(Option<bool>),
    /// A property by name.
    Prop(String),
    /// Unary minus.
    Negate(Box<Node>),
    /// NOT (also `<>` and IS NOT NULL).
    Not(Box<Node>),
    /// A bare property used as a condition.
    BoolCast(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    IsNull(Box<Node>),
    /// `[NOT] BETWEEN`: `value >= low AND value <= high`, or `value < low OR value > high`.
    Between {
        not: bool,
        value: Box<Node>,
        low: Box<Node>,
        high: Box<Node>,
    },
    /// `name [NOT] IN (...)`.
    In {
        name: String,
        list: Vec<String>,
        not: bool,
    },
    /// `value [NOT] CONTAINS|STARTSWITH|ENDSWITH 'search'`.
    Str {
        op: StrOp,
        not: bool,
        value: Box<Node>,
        search: String,
    },
}

impl Node {
    /// Whether Java's node for this is a `BooleanExpression`.
    fn is_boolean(&self) -> bool {
        !matches!(self, Node::Const(_) | Node::Prop(_) | Node::Negate(_))
    }
}
