//! SQL92 filter tests: grammar, Java's conversions and three-valued logic, parse-time checks,
//! bounds.

use rmq_protocol::Properties;

use super::*;

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs.iter().copied().collect()
}

fn check(expr: &str, pairs: &[(&str, &str)]) -> bool {
    Expr::parse(expr)
        .unwrap_or_else(|e| panic!("{expr:?} should parse: {e}"))
        .matches(&props(pairs))
}

fn rejects(expr: &str) -> String {
    match Expr::parse(expr) {
        Ok(parsed) => panic!("{expr:?} should not parse, got {parsed:?}"),
        Err(e) => e,
    }
}

const MSG: &[(&str, &str)] = &[
    ("a", "5"),
    ("b", "abc"),
    ("f", "2.5"),
    ("TAGS", "TagA"),
    ("flag", "true"),
];

#[test]
fn numeric_comparisons_convert_property_strings() {
    for (expr, want) in [
        ("a = 5", true),
        ("a > 4", true),
        ("a >= 5", true),
        ("a < 5", false),
        ("a <= 4", false),
        ("a <> 5", false),
        ("a = 5.0", true),
        ("a > 4.5", true),
        ("f < 3", false), // "2.5" is no integer: the conversion fails, so no match
        ("f < 3.0", true),
        ("a > 10000000000", false),
        ("a < 10000000000L", true),
        ("5 = a", true),
        ("-5 < a", true),
        ("a = +5", true),
        ("a > -(-4)", true),
        ("a > 1e0", true),
        ("a < .6e1", true),
    ] {
        assert_eq!(check(expr, MSG), want, "{expr}");
    }
}

#[test]
fn two_properties_order_as_doubles() {
    assert!(check("f < a", MSG));
    assert!(!check("a < f", MSG));
    assert!(!check("b > a", MSG), "a non-number fails the evaluation");
}

#[test]
fn strings_compare_for_equality_only() {
    assert!(check("b = 'abc'", MSG));
    assert!(check("b <> 'abd'", MSG));
    assert!(check("TAGS = 'TagA'", MSG));
    assert!(!check("TAGS = 'taga'", MSG), "values are case-sensitive");
    assert!(!check("tags = 'TagA'", MSG), "names are case-sensitive");
    assert!(!check("b = 5", MSG), "'abc' is no integer");
    assert!(check("flag = TRUE", MSG));
    assert!(check("q = 'it''s'", &[("q", "it's")]));
    assert!(rejects("b > 'a'").contains("cannot be compared"));
}

#[test]
fn unknown_property_is_null_and_never_matches() {
    for expr in [
        "x = 1",
        "x <> 1",
        "x > 1",
        "NOT (x = 1)",
        "x IN ('a')",
        "x NOT IN ('a')",
        "x BETWEEN 1 AND 2",
        "x NOT BETWEEN 1 AND 2",
        "x CONTAINS 'a'",
        "x NOT CONTAINS 'a'",
        "x",
    ] {
        assert!(!check(expr, MSG), "{expr}");
    }
    assert!(check("x IS NULL", MSG));
    assert!(!check("x IS NOT NULL", MSG));
    assert!(check("a IS NOT NULL", MSG));
    assert!(!check("a IS NULL", MSG));
}

#[test]
fn null_logic_is_three_valued() {
    assert!(check("x = 1 OR a = 5", MSG));
    assert!(!check("x = 1 AND a = 5", MSG));
    assert!(!check("x = 1 OR a = 6", MSG));
    assert!(!check("NOT (x = 1 OR a = 6)", MSG), "NOT NULL is NULL");
    assert!(
        check("NOT (x = 1 AND a = 6)", MSG),
        "NULL AND FALSE is FALSE"
    );
    assert!(check("TRUE", MSG));
    assert!(!check("FALSE", MSG));
    assert!(!check("NULL", MSG));
}

#[test]
fn and_binds_tighter_than_or_and_parentheses_override() {
    assert!(check("a = 1 AND a = 2 OR a = 5", MSG));
    assert!(!check("a = 1 AND (a = 2 OR a = 5)", MSG));
    assert!(check("a = 5 OR a = 1 AND a = 2", MSG));
    assert!(!check("(a = 5 OR a = 1) AND a = 2", MSG));
    assert!(check("((((a = 5))))", MSG));
}

#[test]
fn not_binds_tighter_than_comparisons_as_in_java() {
    assert!(!check("NOT a = 6", MSG), "(NOT a) = 6 fails to evaluate");
    assert!(check("NOT (a = 6)", MSG));
    assert!(
        check("NOT a", MSG),
        "a bare string property is FALSE, NOT makes TRUE"
    );
    assert!(check("NOT NOT (a = 5)", MSG));
}

#[test]
fn between_and_not_between() {
    assert!(check("a BETWEEN 1 AND 5", MSG));
    assert!(check("a BETWEEN 5 AND 5", MSG));
    assert!(!check("a BETWEEN 6 AND 9", MSG));
    assert!(check("a NOT BETWEEN 6 AND 9", MSG));
    assert!(!check("a NOT BETWEEN 1 AND 9", MSG));
    assert!(check("f between 2.4 and 2.6", MSG));
    assert!(rejects("a BETWEEN 5 AND 1").contains("between"));
    assert!(rejects("a BETWEEN 'a' AND 'b'").contains("cannot be compared"));
    assert!(!rejects("a BETWEEN NULL AND 1").is_empty());
}

#[test]
fn in_and_not_in_take_string_lists() {
    assert!(check("TAGS IN ('TagB', 'TagA')", MSG));
    assert!(!check("TAGS IN ('TagB')", MSG));
    assert!(check("TAGS NOT IN ('TagB', 'TagC', 'x', 'y', 'z')", MSG));
    assert!(!check("a IN ('5.0')", MSG), "IN compares strings");
    assert!(rejects("a IN (5)").contains("string literal"));
    assert!(rejects("'x' IN ('x')").contains("property"));
    assert!(!rejects("a IN ()").is_empty());
}

#[test]
fn string_predicates_of_5x() {
    assert!(check("b CONTAINS 'bc'", MSG));
    assert!(check("b STARTSWITH 'ab'", MSG));
    assert!(check("b ENDSWITH 'bc'", MSG));
    assert!(!check("b ENDSWITH 'ab'", MSG));
    assert!(check("b NOT CONTAINS 'z'", MSG));
    assert!(check("b NOT STARTSWITH 'b'", MSG));
    assert!(!check("b NOT ENDSWITH 'c'", MSG));
    assert!(
        !check("b CONTAINS ''", MSG),
        "an empty search matches nothing"
    );
    assert!(!check("b NOT CONTAINS ''", MSG));
}

#[test]
fn keywords_ignore_case_and_comments_are_skipped() {
    assert!(check("a = 5 and not (b = 'x') Or false", MSG));
    assert!(check("a Is Not Null", MSG));
    assert!(check("/* note */ a = 5 -- tail\n", MSG));
    assert!(check("$x_1 = 'v'", &[("$x_1", "v")]));
}

#[test]
fn parse_errors_are_descriptions() {
    for bad in [
        "",
        "a >",
        "a = 'open",
        "(a = 1",
        "a = 1)",
        "a = 1 AND",
        "a # 1",
        "a = 5 -- no newline",
        "5",
        "'str'",
        "a = 1 AND 5",
        "NOT 5",
        "a = NULL",
        "TRUE = 5",
        "a > TRUE",
        "a > (b = 1)",
        "a = 99999999999999999999",
        "a = 0.0",
        "a = 1e400",
        "a IS 5",
        "a = 05",
    ] {
        let err = rejects(bad);
        assert!(
            err.starts_with("invalid SQL92 expression"),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn bounds_on_length_and_depth() {
    let long = format!("a = '{}'", "x".repeat(MAX_LEN));
    assert!(rejects(&long).contains("longer than"));
    let deep = format!(
        "{}a = 5{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert!(rejects(&deep).contains("deeper"));
    let ok = format!(
        "{}a = 5{}",
        "(".repeat(MAX_DEPTH - 2),
        ")".repeat(MAX_DEPTH - 2)
    );
    assert!(check(&ok, MSG));
    let nots = format!("{}(a = 5)", "NOT ".repeat(MAX_DEPTH + 1));
    assert!(rejects(&nots).contains("deeper"));
    let chain = vec!["a = 5"; 500].join(" = TRUE = ");
    assert!(rejects(&chain).contains("deeper"));
    let wide = vec!["a = 5"; 500].join(" OR ");
    assert!(check(&wide, MSG), "a long flat OR is fine");
}

#[test]
fn java_conversions_of_mixed_types() {
    assert_eq!(eval::compare(&Value::Int(5), &Value::Long(5)), Ok(0));
    assert_eq!(eval::compare(&Value::Long(5), &Value::Double(5.5)), Ok(-1));
    assert_eq!(
        eval::compare(&Value::Str("true".into()), &Value::Bool(true)),
        Ok(0)
    );
    assert!(eval::compare(&Value::Bool(true), &Value::Str("true".into())).is_err());
    assert_eq!(eval::compare(&Value::Int(1), &Value::Bool(true)), Ok(-1));
    assert_eq!(
        eval::compare(&Value::Double(f64::NAN), &Value::Double(f64::NAN)),
        Ok(0)
    );
    assert_eq!(
        eval::compare(&Value::Double(-0.0), &Value::Double(0.0)),
        Ok(-1)
    );
    assert!(
        !check("a > 4", &[("a", " 5 ")]),
        "Integer.valueOf does not trim"
    );
    assert!(check("a > 4.0", &[("a", " 5 ")]), "Double.valueOf trims");
    assert!(check("a > 4.0", &[("a", "5d")]));
    assert!(check("a = 2147483648", &[("a", "2147483648")]));
}
