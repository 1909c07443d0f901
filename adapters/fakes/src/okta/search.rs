//! The subset of Okta's `search` and `filter` expressions the fake
//! understands: `attr eq "v"`, `attr sw "v"`, `and`, `or` and parentheses
//! (`and` binds tighter). Attributes are paths into the object's JSON
//! (`status`, `id`, `profile.login`, `profile.name`); a comparison against
//! an array matches when any element does; string comparisons ignore ASCII
//! case. `filter` accepts `eq` on its documented fields only.

use serde_json::Value;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `attr op value`.
    Compare { attr: String, op: Op, value: Value },
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Sw,
}

/// The fields `filter` may name (with `eq`).
const FILTER_FIELDS: &[&str] = &[
    "status",
    "id",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
}

fn tokens(input: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next()? {
                        '\\' => text.push(chars.next()?),
                        '"' => break,
                        other => text.push(other),
                    }
                }
                out.push(Token::Text(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Some(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Option<Expr> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut left = self.atom()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.atom()?));
        }
        Some(left)
    }

    fn atom(&mut self) -> Option<Expr> {
        match self.next()? {
            Token::Open => {
                let inner = self.or()?;
                (self.next()? == Token::Close).then_some(inner)
            }
            Token::Word(attr) => {
                let op = match self.next()? {
                    Token::Word(op) if op.eq_ignore_ascii_case("eq") => Op::Eq,
                    Token::Word(op) if op.eq_ignore_ascii_case("sw") => Op::Sw,
                    _ => return None,
                };
                let value = match self.next()? {
                    Token::Text(text) => Value::String(text),
                    Token::Word(w) if w == "true" || w == "false" => Value::Bool(w == "true"),
                    Token::Word(w) => Value::Number(w.parse().ok()?),
                    _ => return None,
                };
                Some(Expr::Compare { attr, op, value })
            }
            _ => None,
        }
    }
}

/// Parses a `search` expression; `None` when it is not understood.
pub(crate) fn parse_search(input: &str) -> Option<Expr> {
    let mut parser = Parser {
        tokens: tokens(input)?,
        at: 0,
    };
    let expr = parser.or()?;
    (parser.at == parser.tokens.len()).then_some(expr)
}

/// Parses a `filter` expression: `search` syntax restricted to `eq` on
/// the documented fields.
pub(crate) fn parse_filter(input: &str) -> Option<Expr> {
    let expr = parse_search(input)?;
    fn allowed(e: &Expr) -> bool {
        match e {
            Expr::Compare { attr, op, .. } => {
                *op == Op::Eq && FILTER_FIELDS.contains(&attr.as_str())
            }
            Expr::And(a, b) | Expr::Or(a, b) => allowed(a) && allowed(b),
        }
    }
    allowed(&expr).then_some(expr)
}

fn lookup<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(object, |v, key| v.get(key))
}

fn compare(have: &Value, op: Op, want: &Value) -> bool {
    match (have, want) {
        (Value::Array(items), _) => items.iter().any(|i| compare(i, op, want)),
        (Value::String(h), Value::String(w)) => match op {
            Op::Eq => h.eq_ignore_ascii_case(w),
            Op::Sw => h.to_ascii_lowercase().starts_with(&w.to_ascii_lowercase()),
        },
        (h, w) => op == Op::Eq && h == w,
    }
}

impl Expr {
    /// Whether `object` (a user or group as served) satisfies the expression.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        match self {
            Expr::Compare { attr, op, value } => {
                lookup(object, attr).is_some_and(|have| compare(have, *op, value))
            }
            Expr::And(a, b) => a.matches(object) && b.matches(object),
            Expr::Or(a, b) => a.matches(object) || b.matches(object),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expressions_match_like_okta() {
        let user = json!({"status": "LOCKED_OUT", "profile": {"login": "Pat@x.example",
            "tags": ["1:BILLING", "2:STANDARD"], "name": "Say \"hi\""}});
        let yes = [
            r#"profile.login eq "pat@x.example""#,
            r#"status eq "LOCKED_OUT" and profile.login sw "PAT""#,
            r#"profile.tags eq "2:STANDARD" or status eq "ACTIVE""#,
            r#"(status eq "ACTIVE" or status eq "LOCKED_OUT") and profile.tags eq "1:billing""#,
            r#"profile.name eq "Say \"hi\"""#,
        ];
        for s in yes {
            assert!(parse_search(s).unwrap().matches(&user), "{s}");
        }
        assert!(
            !parse_search(r#"status eq "ACTIVE""#)
                .unwrap()
                .matches(&user)
        );
        assert!(parse_search(r#"status ne "ACTIVE""#).is_none());
        assert!(parse_search(r#"status eq "ACTIVE" and"#).is_none());
        assert!(parse_filter(r#"profile.login eq "a""#).is_some());
        assert!(parse_filter(r#"profile.login sw "a""#).is_none());
        assert!(parse_filter(r#"profile.tags eq "a""#).is_none());
    }
}
