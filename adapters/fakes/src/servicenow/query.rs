//! The encoded-query subset (`sysparm_query`): parsing and evaluation.
//!
//! `^` is AND, `^OR` joins a condition to the one before it (binding
//! tighter than AND), `^NQ` starts a new query (a top-level OR of whole
//! groups), `ORDERBY<f>`/`ORDERBYDESC<f>` sort the whole result. A
//! condition naming a field the table lacks is dropped, as on a real
//! instance; an operator the fake does not know drops its condition too.

use std::cmp::Ordering;

use super::schema::{Kind, TableDef};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    In,
    NotIn,
    StartsWith,
    EndsWith,
    Like,
    NotLike,
    IsEmpty,
    IsNotEmpty,
    Lt,
    Le,
    Gt,
    Ge,
    Anything,
    EmptyString,
    Between,
}

/// Longest operators first, so `NOT IN` wins over `IN` and `<=` over `<`.
const OPERATORS: &[(&str, Op)] = &[
    ("ISNOTEMPTY", Op::IsNotEmpty),
    ("EMPTYSTRING", Op::EmptyString),
    ("STARTSWITH", Op::StartsWith),
    ("ENDSWITH", Op::EndsWith),
    ("NOT LIKE", Op::NotLike),
    ("ANYTHING", Op::Anything),
    ("ISEMPTY", Op::IsEmpty),
    ("BETWEEN", Op::Between),
    ("NOT IN", Op::NotIn),
    ("LIKE", Op::Like),
    ("IN", Op::In),
    ("!=", Op::Ne),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("=", Op::Eq),
    ("<", Op::Lt),
    (">", Op::Gt),
];

/// One condition: a field (possibly dot-walked), an operator and a value.
#[derive(Debug, Clone)]
struct Condition {
    field: String,
    op: Op,
    value: String,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderBy {
    /// The field (possibly dot-walked).
    pub(crate) field: String,
    /// Descending.
    pub(crate) desc: bool,
}

/// A parsed encoded query: OR of groups; a group is an AND of clauses; a
/// clause is an OR of conditions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    groups: Vec<Vec<Vec<Condition>>>,
    /// The sort keys, in order.
    pub(crate) order: Vec<OrderBy>,
}

/// Reads a field of a record, following one dot-walk; `None` when the
/// table lacks the field (the condition is then ignored).
pub(crate) trait FieldSource {
    /// The value of `field` (e.g. `number` or `account.number`) on `row`
    /// of `table`, or `None` when the field is unknown.
    fn value(
        &self,
        table: &TableDef,
        row: &serde_json::Map<String, serde_json::Value>,
        field: &str,
    ) -> Option<String>;

    /// The kind of `field` on `table` (following a dot-walk), or `None`.
    fn kind(&self, table: &TableDef, field: &str) -> Option<Kind>;
}

fn parse_condition(term: &str) -> Option<Condition> {
    let end = term
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(term.len());
    let (field, rest) = term.split_at(end);
    if field.is_empty() {
        return None;
    }
    let (token, op) = OPERATORS.iter().find(|(t, _)| rest.starts_with(t))?;
    Some(Condition {
        field: field.to_owned(),
        op: *op,
        value: rest[token.len()..].to_owned(),
    })
}

impl Query {
    /// Parses `text`; malformed terms are dropped like unknown fields.
    pub(crate) fn parse(text: &str) -> Self {
        let mut query = Query::default();
        let mut group: Vec<Vec<Condition>> = Vec::new();
        for term in text.split('^') {
            if let Some(field) = term.strip_prefix("ORDERBYDESC") {
                query.order.push(OrderBy {
                    field: field.to_owned(),
                    desc: true,
                });
            } else if let Some(field) = term.strip_prefix("ORDERBY") {
                query.order.push(OrderBy {
                    field: field.to_owned(),
                    desc: false,
                });
            } else if let Some(rest) = term.strip_prefix("NQ") {
                query.groups.push(std::mem::take(&mut group));
                group.extend(parse_condition(rest).map(|c| vec![c]));
            } else if let Some(rest) = term.strip_prefix("OR") {
                if let Some(c) = parse_condition(rest) {
                    match group.last_mut() {
                        Some(clause) => clause.push(c),
                        None => group.push(vec![c]),
                    }
                }
            } else if term.is_empty() || term == "EQ" {
                continue;
            } else {
                group.extend(parse_condition(term).map(|c| vec![c]));
            }
        }
        query.groups.push(group);
        query
    }

    /// Whether `row` matches. Conditions on unknown fields are skipped.
    pub(crate) fn matches(
        &self,
        src: &dyn FieldSource,
        table: &TableDef,
        row: &serde_json::Map<String, serde_json::Value>,
    ) -> bool {
        self.groups.iter().any(|group| {
            group.iter().all(|clause| {
                let known: Vec<&Condition> = clause
                    .iter()
                    .filter(|c| src.kind(table, &c.field).is_some())
                    .collect();
                known.is_empty() || known.iter().any(|c| eval(src, table, row, c))
            })
        })
    }

    /// Sorts `rows` by the ORDERBY terms (unknown fields ignored), ties and
    /// the no-ORDERBY case by sys_id.
    pub(crate) fn sort(
        &self,
        src: &dyn FieldSource,
        table: &TableDef,
        rows: &mut [serde_json::Map<String, serde_json::Value>],
    ) {
        let keys: Vec<(&OrderBy, Kind)> = self
            .order
            .iter()
            .filter_map(|o| src.kind(table, &o.field).map(|k| (o, k)))
            .collect();
        rows.sort_by(|a, b| {
            for (o, kind) in &keys {
                let va = src.value(table, a, &o.field).unwrap_or_default();
                let vb = src.value(table, b, &o.field).unwrap_or_default();
                let ord = compare(*kind, &va, &vb);
                let ord = if o.desc { ord.reverse() } else { ord };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            let id = |r: &serde_json::Map<String, serde_json::Value>| {
                r.get("sys_id")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            id(a).cmp(&id(b))
        });
    }
}

/// Compares two values of a field: integers as numbers, the rest as text.
fn compare(kind: Kind, a: &str, b: &str) -> Ordering {
    if kind == Kind::Int
        && let (Ok(x), Ok(y)) = (a.trim().parse::<i64>(), b.trim().parse::<i64>())
    {
        return x.cmp(&y);
    }
    a.cmp(b)
}

fn eval(
    src: &dyn FieldSource,
    table: &TableDef,
    row: &serde_json::Map<String, serde_json::Value>,
    c: &Condition,
) -> bool {
    let kind = src.kind(table, &c.field).unwrap_or(Kind::Text);
    let value = src.value(table, row, &c.field).unwrap_or_default();
    let lower = || value.to_lowercase();
    let wanted = c.value.to_lowercase();
    match c.op {
        Op::Eq => value == c.value,
        Op::Ne => value != c.value,
        Op::In => c.value.split(',').any(|v| v == value),
        Op::NotIn => !c.value.split(',').any(|v| v == value),
        Op::StartsWith => lower().starts_with(&wanted),
        Op::EndsWith => lower().ends_with(&wanted),
        Op::Like => lower().contains(&wanted),
        Op::NotLike => !lower().contains(&wanted),
        Op::IsEmpty => value.is_empty(),
        Op::IsNotEmpty => !value.is_empty(),
        Op::EmptyString => value.is_empty(),
        Op::Anything => true,
        Op::Lt => !value.is_empty() && compare(kind, &value, &c.value) == Ordering::Less,
        Op::Le => !value.is_empty() && compare(kind, &value, &c.value) != Ordering::Greater,
        Op::Gt => !value.is_empty() && compare(kind, &value, &c.value) == Ordering::Greater,
        Op::Ge => !value.is_empty() && compare(kind, &value, &c.value) != Ordering::Less,
        Op::Between => match c.value.split_once('@') {
            Some((lo, hi)) => {
                !value.is_empty()
                    && compare(kind, &value, lo) != Ordering::Less
                    && compare(kind, &value, hi) != Ordering::Greater
            }
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn or_binds_tighter_than_and_and_nq_splits_groups() {
        let q = Query::parse("a=1^ORb=2^c=3^NQd=4^ORDERBYDESCe^ORDERBYf");
        assert_eq!(q.groups.len(), 2);
        assert_eq!(q.groups[0].len(), 2);
        assert_eq!(q.groups[0][0].len(), 2);
        assert_eq!(q.groups[1].len(), 1);
        assert_eq!(
            q.order,
            vec![
                OrderBy {
                    field: "e".into(),
                    desc: true
                },
                OrderBy {
                    field: "f".into(),
                    desc: false
                }
            ]
        );
    }

    #[test]
    fn operators_are_recognised() {
        let c = parse_condition("stateNOT IN3,7").expect("a condition");
        assert_eq!(
            (c.field.as_str(), c.op, c.value.as_str()),
            ("state", Op::NotIn, "3,7")
        );
        let c = parse_condition("account.numberIN1,2").expect("a condition");
        assert_eq!((c.field.as_str(), c.op), ("account.number", Op::In));
        let c = parse_condition("sys_created_on>=2020-01-01 00:00:00").expect("a condition");
        assert_eq!(c.op, Op::Ge);
        let c = parse_condition("short_descriptionISEMPTY").expect("a condition");
        assert_eq!((c.op, c.value.as_str()), (Op::IsEmpty, ""));
    }
}
