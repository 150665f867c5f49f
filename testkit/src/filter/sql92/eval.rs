//! Evaluation of a parsed expression against message properties, with Java's type
//! conversions (`ComparisonExpression#__compare` with string conversion on, as
//! `SelectorParser#parse` sets it) and three-valued logic. An `Err` stands for the exception
//! Java would throw: the message does not match.

use std::cmp::Ordering;

use rmq_protocol::Properties;

use super::{CmpOp, Node, StrOp, Value};

/// Evaluation failed (a Java exception: a failed number conversion or a bad cast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Failed;

type Eval = Result<Value, Failed>;

/// The value of `node` for a message with `props`: one arm per node kind, which is why it is
/// long.
pub(super) fn evaluate(node: &Node, props: &Properties) -> Eval {
    Ok(match node {
        Node::Const(v) => v.clone(),
        Node::BoolConst(b) => b.map_or(Value::Null, Value::Bool),
        Node::Prop(name) => props
            .get(name)
            .map_or(Value::Null, |v| Value::Str(v.to_owned())),
        Node::Negate(inner) => match evaluate(inner, props)? {
            Value::Int(i) => Value::Int(i.wrapping_neg()),
            Value::Long(l) => Value::Long(l.wrapping_neg()),
            Value::Double(d) => Value::Double(-d),
            _ => Value::Null,
        },
        Node::Not(inner) => match as_bool(evaluate(inner, props)?)? {
            Some(b) => Value::Bool(!b),
            None => Value::Null,
        },
        Node::BoolCast(inner) => match evaluate(inner, props)? {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            _ => Value::Bool(false),
        },
        Node::And(items) => logic(items, props, false)?,
        Node::Or(items) => logic(items, props, true)?,
        Node::Cmp(CmpOp::Eq, l, r) => equal(evaluate(l, props)?, evaluate(r, props)?)?,
        Node::Cmp(op, l, r) => {
            let lv = evaluate(l, props)?;
            ordered(*op, lv, r, props)?
        }
        Node::IsNull(inner) => Value::Bool(evaluate(inner, props)? == Value::Null),
        Node::Between {
            not,
            value,
            low,
            high,
        } => {
            let v = evaluate(value, props)?;
            if *not {
                let below = ordered(CmpOp::Lt, v.clone(), low, props)?;
                or2(below, || ordered(CmpOp::Gt, v, high, props))?
            } else {
                let above = ordered(CmpOp::Ge, v.clone(), low, props)?;
                and2(above, || ordered(CmpOp::Le, v, high, props))?
            }
        }
        Node::In { name, list, not } => match props.get(name) {
            None => Value::Null,
            Some(v) => Value::Bool(list.iter().any(|x| x == v) ^ not),
        },
        Node::Str {
            op,
            not,
            value,
            search,
        } => {
            if search.is_empty() {
                return Ok(Value::Bool(false));
            }
            match evaluate(value, props)? {
                Value::Str(s) => {
                    let hit = match op {
                        StrOp::Contains => s.contains(search.as_str()),
                        StrOp::StartsWith => s.starts_with(search.as_str()),
                        StrOp::EndsWith => s.ends_with(search.as_str()),
                    };
                    Value::Bool(hit ^ not)
                }
                _ => Value::Bool(false),
            }
        }
    })
}

/// Java's `(Boolean)` cast: null stays null, anything but a boolean fails.
fn as_bool(v: Value) -> Result<Option<bool>, Failed> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        _ => Err(Failed),
    }
}

/// A chain of AND (`any == false`) or OR (`any == true`): the first operand equal to `any`
/// decides; otherwise NULL if an operand was NULL, else `!any`.
fn logic(items: &[Node], props: &Properties, any: bool) -> Eval {
    let mut saw_null = false;
    for item in items {
        match as_bool(evaluate(item, props)?)? {
            Some(b) if b == any => return Ok(Value::Bool(any)),
            Some(_) => {}
            None => saw_null = true,
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(!any)
    })
}

fn and2(left: Value, right: impl FnOnce() -> Eval) -> Eval {
    pair(left, right, false)
}

fn or2(left: Value, right: impl FnOnce() -> Eval) -> Eval {
    pair(left, right, true)
}

fn pair(left: Value, right: impl FnOnce() -> Eval, any: bool) -> Eval {
    let l = as_bool(left)?;
    if l == Some(any) {
        return Ok(Value::Bool(any));
    }
    let r = as_bool(right()?)?;
    Ok(match (l, r) {
        (_, Some(b)) if b == any => Value::Bool(any),
        (None, _) | (_, None) => Value::Null,
        _ => Value::Bool(!any),
    })
}

/// Java's equality: NULL on the left makes NULL, NULL on the right (only) FALSE, two NULLs
/// TRUE; otherwise the values compare equal after conversion.
fn equal(lv: Value, rv: Value) -> Eval {
    Ok(match (&lv, &rv) {
        (Value::Null, Value::Null) => Value::Bool(true),
        (Value::Null, _) => Value::Null,
        (_, Value::Null) => Value::Bool(false),
        _ => Value::Bool(compare(&lv, &rv)? == 0),
    })
}

/// `<`, `<=`, `>`, `>=`: NULL on either side makes NULL (the right side is not evaluated
/// when the left is NULL); two strings are read as doubles.
fn ordered(op: CmpOp, lv: Value, right: &Node, props: &Properties) -> Eval {
    if lv == Value::Null {
        return Ok(Value::Null);
    }
    let rv = evaluate(right, props)?;
    let sign = match (&lv, &rv) {
        (_, Value::Null) => return Ok(Value::Null),
        (Value::Str(l), Value::Str(r)) => {
            java_double_cmp(parse_double(l)?, parse_double(r)?) as i32
        }
        _ => compare(&lv, &rv)?,
    };
    Ok(Value::Bool(match op {
        CmpOp::Lt => sign < 0,
        CmpOp::Le => sign <= 0,
        CmpOp::Gt => sign > 0,
        CmpOp::Ge => sign >= 0,
        CmpOp::Eq => sign == 0,
    }))
}

/// Java `ComparisonExpression#__compare` with string conversion: values of different types
/// are converted up (int to long to double, a string to the other side's type); pairs Java
/// cannot convert compare as "less" (-1).
pub(super) fn compare(lv: &Value, rv: &Value) -> Result<i32, Failed> {
    use Value::{Bool, Double, Int, Long, Str};
    let ord = match (lv, rv) {
        (Int(a), Int(b)) => a.cmp(b),
        (Long(a), Long(b)) => a.cmp(b),
        (Double(a), Double(b)) => java_double_cmp(*a, *b),
        (Str(a), Str(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        (Bool(a), Bool(b)) => a.cmp(b),
        // Java casts the Boolean to String here and throws.
        (Bool(_), Str(_)) => return Err(Failed),
        (Int(a), Long(b)) => i64::from(*a).cmp(b),
        (Int(a), Double(b)) => java_double_cmp(f64::from(*a), *b),
        (Int(a), Str(b)) => a.cmp(&parse_int(b)?),
        (Long(a), Int(b)) => a.cmp(&i64::from(*b)),
        (Long(a), Double(b)) => java_double_cmp(*a as f64, *b),
        (Long(a), Str(b)) => a.cmp(&parse_long(b)?),
        (Double(a), Int(b)) => java_double_cmp(*a, f64::from(*b)),
        (Double(a), Long(b)) => java_double_cmp(*a, *b as f64),
        (Double(a), Str(b)) => java_double_cmp(*a, parse_double(b)?),
        (Str(a), Bool(b)) => a.eq_ignore_ascii_case("true").cmp(b),
        (Str(a), Int(b)) => parse_int(a)?.cmp(b),
        (Str(a), Long(b)) => parse_long(a)?.cmp(b),
        (Str(a), Double(b)) => java_double_cmp(parse_double(a)?, *b),
        (Value::Null, _) | (_, Value::Null) => return Err(Failed),
        _ => Ordering::Less,
    };
    Ok(ord as i32)
}

/// Java `Double.compare`: -0.0 below 0.0, NaN equal to itself and above everything.
fn java_double_cmp(a: f64, b: f64) -> Ordering {
    match a.partial_cmp(&b) {
        Some(Ordering::Equal) if a == 0.0 => {
            a.is_sign_negative().cmp(&b.is_sign_negative()).reverse()
        }
        Some(ord) => ord,
        None => a.is_nan().cmp(&b.is_nan()),
    }
}

/// Java `Integer.valueOf(String)`: an optional sign and ASCII digits, in range.
fn parse_int(s: &str) -> Result<i32, Failed> {
    i32::try_from(parse_long(s)?).map_err(|_| Failed)
}

/// Java `Long.valueOf(String)`.
fn parse_long(s: &str) -> Result<i64, Failed> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failed);
    }
    s.parse().map_err(|_| Failed)
}

/// Java `Double.valueOf(String)`: surrounding whitespace trimmed, `NaN` and `Infinity`
/// spelled exactly, an optional `f`/`d` suffix (hex floats are not supported).
fn parse_double(s: &str) -> Result<f64, Failed> {
    let s = s.trim_matches(|c: char| c <= ' ');
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let negative = s.starts_with('-');
    match unsigned {
        "NaN" => return Ok(f64::NAN),
        "Infinity" if negative => return Ok(f64::NEG_INFINITY),
        "Infinity" => return Ok(f64::INFINITY),
        _ => {}
    }
    let body = s.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(s);
    let valid = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !valid || !body.bytes().any(|b| b.is_ascii_digit()) {
        return Err(Failed);
    }
    let body = body.replacen(".e", ".0e", 1).replacen(".E", ".0E", 1);
    body.parse().map_err(|_| Failed)
}
