//! The grammar of Java's `SelectorParser.jj` as recursive descent, with the checks Java's
//! expression factories make at parse time (`ComparisonExpression#checkLessThanOperand`,
//! `checkEqualOperand`, `asBooleanExpression`, the BETWEEN bounds of 5.x).
//!
//! ```text
//! or         := and (OR and)*
//! and        := equality (AND equality)*
//! equality   := comparison ( '=' comparison | '<>' comparison | IS NULL | IS NOT NULL )*
//! comparison := unary ( ('>'|'>='|'<'|'<=') unary | [NOT] (CONTAINS|STARTSWITH|ENDSWITH) str
//!               | [NOT] BETWEEN unary AND unary | [NOT] IN '(' str (',' str)* ')' )*
//! unary      := '+' unary | '-' unary | NOT unary | primary
//! primary    := literal | identifier | '(' or ')'
//! ```
//! Note `NOT` binds tighter than comparisons, as in Java: `NOT a = 'x'` is `(NOT a) = 'x'`.

use super::lexer::{Keyword, Token};
use super::{CmpOp, Node, StrOp, Value, MAX_DEPTH};

/// A parsed subtree and its height.
type Parsed = (Node, usize);

pub(super) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Open parentheses and unary operators around the current position.
    nesting: usize,
}

impl Parser {
    pub(super) fn new(tokens: Vec<Token>) -> Parser {
        Parser {
            tokens,
            pos: 0,
            nesting: 0,
        }
    }

    /// The whole input as one boolean expression.
    pub(super) fn parse(mut self) -> Result<Node, String> {
        let (node, _) = self.or()?;
        if let Some(t) = self.peek() {
            return Err(format!("unexpected {t:?} after the expression"));
        }
        as_boolean(node)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += usize::from(t.is_some());
        t
    }

    fn eat_keyword(&mut self, k: Keyword) -> bool {
        let hit = self.peek() == Some(&Token::Keyword(k));
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, want: &Token) -> Result<(), String> {
        match self.next() {
            Some(t) if &t == want => Ok(()),
            Some(t) => Err(format!("expected {want:?}, found {t:?}")),
            None => Err(format!("expected {want:?}, found the end")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Str(s)) => Ok(s),
            Some(t) => Err(format!("expected a string literal, found {t:?}")),
            None => Err("expected a string literal, found the end".into()),
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(format!("expression nested deeper than {MAX_DEPTH}"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Parsed, String> {
        let first = self.and()?;
        if self.peek() != Some(&Token::Keyword(Keyword::Or)) {
            return Ok(first);
        }
        let mut height = first.1;
        let mut items = vec![as_boolean(first.0)?];
        while self.eat_keyword(Keyword::Or) {
            let (node, h) = self.and()?;
            items.push(as_boolean(node)?);
            height = height.max(h);
        }
        tall(Node::Or(items), height + 1)
    }

    fn and(&mut self) -> Result<Parsed, String> {
        let first = self.equality()?;
        if self.peek() != Some(&Token::Keyword(Keyword::And)) {
            return Ok(first);
        }
        let mut height = first.1;
        let mut items = vec![as_boolean(first.0)?];
        while self.eat_keyword(Keyword::And) {
            let (node, h) = self.equality()?;
            items.push(as_boolean(node)?);
            height = height.max(h);
        }
        tall(Node::And(items), height + 1)
    }

    fn equality(&mut self) -> Result<Parsed, String> {
        let (mut left, mut height) = self.comparison()?;
        loop {
            let next = match self.peek() {
                Some(Token::Eq | Token::Ne) => {
                    let ne = self.next() == Some(Token::Ne);
                    let (right, h) = self.comparison()?;
                    check_equal_operands(&left, &right)?;
                    height = height.max(h);
                    let eq = Node::Cmp(CmpOp::Eq, Box::new(left), Box::new(right));
                    if ne {
                        height += 1;
                        Node::Not(Box::new(eq))
                    } else {
                        eq
                    }
                }
                Some(Token::Keyword(Keyword::Is)) => {
                    self.pos += 1;
                    let not = self.eat_keyword(Keyword::Not);
                    self.expect(&Token::Keyword(Keyword::Null))?;
                    let is_null = Node::IsNull(Box::new(left));
                    if not {
                        height += 1;
                        Node::Not(Box::new(is_null))
                    } else {
                        is_null
                    }
                }
                _ => return Ok((left, height)),
            };
            height += 1;
            left = tall(next, height)?.0;
        }
    }

    /// Long because it is one production of the grammar with one arm per alternative, as in
    /// `SelectorParser.jj`.
    fn comparison(&mut self) -> Result<Parsed, String> {
        let (mut left, mut height) = self.unary()?;
        loop {
            let not = self.peek() == Some(&Token::Keyword(Keyword::Not))
                && matches!(
                    self.peek_at(1),
                    Some(Token::Keyword(
                        Keyword::Contains
                            | Keyword::StartsWith
                            | Keyword::EndsWith
                            | Keyword::Between
                            | Keyword::In
                    ))
                );
            let op = if not { self.peek_at(1) } else { self.peek() };
            let next = match op.cloned() {
                Some(t @ (Token::Gt | Token::Ge | Token::Lt | Token::Le)) => {
                    self.pos += 1;
                    let (right, h) = self.unary()?;
                    check_less_than_operand(&left)?;
                    check_less_than_operand(&right)?;
                    height = height.max(h);
                    let op = match t {
                        Token::Gt => CmpOp::Gt,
                        Token::Ge => CmpOp::Ge,
                        Token::Lt => CmpOp::Lt,
                        _ => CmpOp::Le,
                    };
                    Node::Cmp(op, Box::new(left), Box::new(right))
                }
                Some(Token::Keyword(
                    k @ (Keyword::Contains | Keyword::StartsWith | Keyword::EndsWith),
                )) => {
                    self.pos += 1 + usize::from(not);
                    let search = self.string()?;
                    let op = match k {
                        Keyword::Contains => StrOp::Contains,
                        Keyword::StartsWith => StrOp::StartsWith,
                        _ => StrOp::EndsWith,
                    };
                    Node::Str {
                        op,
                        not,
                        value: Box::new(left),
                        search,
                    }
                }
                Some(Token::Keyword(Keyword::Between)) => {
                    self.pos += 1 + usize::from(not);
                    let (low, hl) = self.unary()?;
                    self.expect(&Token::Keyword(Keyword::And))?;
                    let (high, hh) = self.unary()?;
                    check_between(&left, &low, &high)?;
                    height = height.max(hl).max(hh) + 1;
                    Node::Between {
                        not,
                        value: Box::new(left),
                        low: Box::new(low),
                        high: Box::new(high),
                    }
                }
                Some(Token::Keyword(Keyword::In)) => {
                    self.pos += 1 + usize::from(not);
                    let Node::Prop(name) = left else {
                        return Err("expected a property for an IN expression".into());
                    };
                    self.expect(&Token::LParen)?;
                    let mut list = vec![self.string()?];
                    while self.peek() == Some(&Token::Comma) {
                        self.pos += 1;
                        list.push(self.string()?);
                    }
                    self.expect(&Token::RParen)?;
                    Node::In { name, list, not }
                }
                _ => return Ok((left, height)),
            };
            height += 1;
            left = tall(next, height)?.0;
        }
    }

    fn unary(&mut self) -> Result<Parsed, String> {
        match self.peek() {
            Some(Token::Plus) => {
                self.pos += 1;
                self.enter()?;
                let inner = self.unary();
                self.nesting -= 1;
                inner
            }
            Some(Token::Minus) => {
                self.pos += 1;
                self.enter()?;
                let (inner, h) = self.unary()?;
                self.nesting -= 1;
                tall(Node::Negate(Box::new(inner)), h + 1)
            }
            Some(Token::Keyword(Keyword::Not)) => {
                self.pos += 1;
                self.enter()?;
                let (inner, h) = self.unary()?;
                self.nesting -= 1;
                tall(Node::Not(Box::new(as_boolean(inner)?)), h + 2)
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Parsed, String> {
        let node = match self.next() {
            Some(Token::LParen) => {
                self.enter()?;
                let inner = self.or()?;
                self.nesting -= 1;
                self.expect(&Token::RParen)?;
                return Ok(inner);
            }
            Some(Token::Ident(name)) => Node::Prop(name),
            Some(Token::Str(s)) => Node::Const(Value::Str(s)),
            Some(Token::Decimal(d)) => Node::Const(decimal(&d)?),
            Some(Token::Float(f)) => Node::Const(float(&f)?),
            Some(Token::Keyword(Keyword::True)) => Node::BoolConst(Some(true)),
            Some(Token::Keyword(Keyword::False)) => Node::BoolConst(Some(false)),
            Some(Token::Keyword(Keyword::Null)) => Node::BoolConst(None),
            Some(t) => return Err(format!("unexpected {t:?}")),
            None => return Err("unexpected end of the expression".into()),
        };
        Ok((node, 1))
    }
}

/// Checks the height bound on a new node.
fn tall(node: Node, height: usize) -> Result<Parsed, String> {
    if height > MAX_DEPTH {
        return Err(format!("expression nested deeper than {MAX_DEPTH}"));
    }
    Ok((node, height))
}

/// Java `SelectorParser#asBooleanExpression`: boolean expressions as they are, a bare
/// property cast to boolean, anything else refused.
fn as_boolean(node: Node) -> Result<Node, String> {
    if node.is_boolean() {
        Ok(node)
    } else if matches!(node, Node::Prop(_)) {
        Ok(Node::BoolCast(Box::new(node)))
    } else {
        Err(format!(
            "expression will not result in a boolean value: {node:?}"
        ))
    }
}

/// Java `ComparisonExpression#checkLessThanOperand`: constants must be numbers and boolean
/// expressions cannot be ordered.
fn check_less_than_operand(node: &Node) -> Result<(), String> {
    let bad = match node {
        Node::Const(v) => !v.is_number(),
        Node::BoolConst(_) => true,
        other => other.is_boolean(),
    };
    if bad {
        return Err(format!("value {node:?} cannot be compared"));
    }
    Ok(())
}

/// Java `checkEqualOperand` (no NULL constant) and `checkEqualOperandCompatability` (a
/// boolean constant only equals a boolean constant).
fn check_equal_operands(left: &Node, right: &Node) -> Result<(), String> {
    for side in [left, right] {
        if matches!(side, Node::BoolConst(None)) {
            return Err("NULL cannot be compared; use IS NULL".into());
        }
    }
    if matches!(left, Node::BoolConst(_)) && matches!(right, Node::Const(_)) {
        return Err(format!("{left:?} cannot be compared with {right:?}"));
    }
    Ok(())
}

/// Java 5.x `createBetween`: constant bounds must be non-null and in order; then the checks
/// of `>=` and `<=`.
fn check_between(value: &Node, low: &Node, high: &Node) -> Result<(), String> {
    if let (Node::Const(l), Node::Const(h)) = (low, high) {
        if super::eval::compare(h, l).is_ok_and(|c| c < 0) {
            return Err(format!(
                "illegal values of between: {l:?} must not be greater than {h:?}"
            ));
        }
    }
    if matches!(low, Node::BoolConst(None)) || matches!(high, Node::BoolConst(None)) {
        return Err("illegal values of between: values can not be null".into());
    }
    for side in [value, low, high] {
        check_less_than_operand(side)?;
    }
    Ok(())
}

/// Java `ConstantExpression#createFromDecimal`: an int if it fits, else a long.
fn decimal(text: &str) -> Result<Value, String> {
    let n: i64 = text
        .parse()
        .map_err(|_| format!("decimal literal {text} is out of range"))?;
    Ok(i32::try_from(n).map_or(Value::Long(n), Value::Int))
}

/// Java `ConstantExpression#createFloat`, including its refusal of values below
/// `Double.MIN_VALUE` (so `0.0` is refused, as Java refuses it).
fn float(text: &str) -> Result<Value, String> {
    // Rust wants a digit after the point before an exponent ("5.e3").
    let normalized = text.replacen(".e", ".0e", 1).replacen(".E", ".0E", 1);
    let value: f64 = normalized
        .parse()
        .map_err(|_| format!("bad floating literal {text}"))?;
    if value > f64::MAX {
        return Err(format!("{text} is greater than {}", f64::MAX));
    }
    if value < f64::from_bits(1) {
        return Err(format!("{text} is less than 4.9E-324"));
    }
    Ok(Value::Double(value))
}
