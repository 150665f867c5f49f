//! Tokens of RocketMQ's SQL92 selector (the TOKEN section of Java's `SelectorParser.jj`):
//! case-insensitive keywords, `'…'` strings with `''` escapes, decimal and floating literals,
//! identifiers, operators, and `--` / `/* */` comments.

/// Reserved words (matched ignoring case, as JavaCC's `IGNORE_CASE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    Not,
    And,
    Or,
    Between,
    In,
    True,
    False,
    Null,
    Is,
    Contains,
    StartsWith,
    EndsWith,
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Keyword(Keyword),
    /// A property name.
    Ident(String),
    /// A string literal, unescaped.
    Str(String),
    /// A decimal literal without its `L` suffix.
    Decimal(String),
    /// A floating-point literal.
    Float(String),
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
}

impl Keyword {
    fn from_word(word: &str) -> Option<Keyword> {
        const WORDS: [(&str, Keyword); 12] = [
            ("NOT", Keyword::Not),
            ("AND", Keyword::And),
            ("OR", Keyword::Or),
            ("BETWEEN", Keyword::Between),
            ("IN", Keyword::In),
            ("TRUE", Keyword::True),
            ("FALSE", Keyword::False),
            ("NULL", Keyword::Null),
            ("IS", Keyword::Is),
            ("CONTAINS", Keyword::Contains),
            ("STARTSWITH", Keyword::StartsWith),
            ("ENDSWITH", Keyword::EndsWith),
        ];
        WORDS
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(word))
            .map(|&(_, k)| k)
    }
}

/// Splits `src` into tokens: one branch per token class, in JavaCC's order of precedence.
///
/// # Errors
/// A description naming the byte position of the first character no token starts with.
pub(super) fn tokenize(src: &str) -> Result<Vec<Token>, String> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let rest = &bytes[i..];
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0C) {
            i += 1;
        } else if rest.starts_with(b"--") && line_comment_end(rest).is_some() {
            i += line_comment_end(rest).unwrap_or(rest.len());
        } else if rest.starts_with(b"/*") {
            let end = find(&rest[2..], b"*/").ok_or_else(|| at(i, "unterminated comment"))?;
            i += 2 + end + 2;
        } else if c == b'\'' {
            let (text, len) = string_literal(rest).ok_or_else(|| at(i, "unterminated string"))?;
            tokens.push(Token::Str(text));
            i += len;
        } else if c.is_ascii_digit() || (c == b'.' && rest.get(1).is_some_and(u8::is_ascii_digit)) {
            let (token, len) = number(rest);
            tokens.push(token);
            i += len;
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let len = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'$')
                .count();
            let word = &src[i..i + len];
            tokens.push(match Keyword::from_word(word) {
                Some(k) => Token::Keyword(k),
                None => Token::Ident(word.to_owned()),
            });
            i += len;
        } else {
            let (token, len) = match (c, rest.get(1)) {
                (b'<', Some(b'>')) => (Token::Ne, 2),
                (b'<', Some(b'=')) => (Token::Le, 2),
                (b'>', Some(b'=')) => (Token::Ge, 2),
                (b'<', _) => (Token::Lt, 1),
                (b'>', _) => (Token::Gt, 1),
                (b'=', _) => (Token::Eq, 1),
                (b'(', _) => (Token::LParen, 1),
                (b')', _) => (Token::RParen, 1),
                (b',', _) => (Token::Comma, 1),
                (b'+', _) => (Token::Plus, 1),
                (b'-', _) => (Token::Minus, 1),
                _ => {
                    let ch = src[i..].chars().next().unwrap_or('?');
                    return Err(at(i, &format!("unexpected character {ch:?}")));
                }
            };
            tokens.push(token);
            i += len;
        }
    }
    Ok(tokens)
}

fn at(pos: usize, what: &str) -> String {
    format!("{what} at position {pos}")
}

/// Length of a `--` comment including its line end; `None` without one (JavaCC's
/// `LINE_COMMENT` needs the line end, so `--` at the very end lexes as two minus signs).
fn line_comment_end(rest: &[u8]) -> Option<usize> {
    let nl = rest.iter().position(|&b| b == b'\n' || b == b'\r')?;
    let crlf = rest[nl] == b'\r' && rest.get(nl + 1) == Some(&b'\n');
    Some(nl + 1 + usize::from(crlf))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A `'…'` literal at the start of `rest`: its text (`''` read as `'`) and length.
fn string_literal(rest: &[u8]) -> Option<(String, usize)> {
    let mut text = Vec::new();
    let mut i = 1;
    loop {
        match rest.get(i)? {
            b'\'' if rest.get(i + 1) == Some(&b'\'') => {
                text.push(b'\'');
                i += 2;
            }
            b'\'' => break,
            &b => {
                text.push(b);
                i += 1;
            }
        }
    }
    // The input is a &str and quotes are ASCII, so the text between them is UTF-8.
    Some((String::from_utf8_lossy(&text).into_owned(), i + 1))
}

/// A numeric literal at the start of `rest`, by JavaCC's longest match: `DECIMAL_LITERAL` is
/// `0` or `[1-9][0-9]*[lL]?`; `FLOATING_POINT_LITERAL` is `d+.d*e?`, `.d+e?` or `d+e`.
fn number(rest: &[u8]) -> (Token, usize) {
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let text = |len: usize| String::from_utf8_lossy(&rest[..len]).into_owned();
    if rest.get(digits) == Some(&b'.') {
        let frac = rest[digits + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = digits + 1 + frac;
        let len = end + exponent(&rest[end..]);
        return (Token::Float(text(len)), len);
    }
    let exp = exponent(&rest[digits..]);
    if exp > 0 {
        return (Token::Float(text(digits + exp)), digits + exp);
    }
    if rest[0] == b'0' {
        return (Token::Decimal("0".into()), 1);
    }
    let suffix = usize::from(matches!(rest.get(digits), Some(b'l' | b'L')));
    (Token::Decimal(text(digits)), digits + suffix)
}

/// Length of an exponent `[eE][+-]?[0-9]+` at the start of `rest`, 0 if there is none.
fn exponent(rest: &[u8]) -> usize {
    if !matches!(rest.first(), Some(b'e' | b'E')) {
        return 0;
    }
    let sign = usize::from(matches!(rest.get(1), Some(b'+' | b'-')));
    let digits = rest[1 + sign..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        0
    } else {
        1 + sign + digits
    }
}
