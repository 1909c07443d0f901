//! How deep a document may nest, checked once it is parsed (before
//! validation), on every transport (by [`super::gate::Gate`]).
//!
//! Ordinary fields may nest `limits.max_depth` deep. Introspection
//! (`__schema`, `__type`) is measured on its own terms, so the query tools
//! send (graphql-js's `getIntrospectionQuery()`, 15 fields deep with its
//! nine `ofType` levels) passes while introspection-shaped bombs do not:
//!
//! - an introspection subtree nests at most [`MAX_INTROSPECTION_DEPTH`]
//!   fields deep;
//! - inside it, the list fields of `__Type` that fan out over the schema
//!   (`fields`, `inputFields`, `interfaces`, `possibleTypes`) nest at most
//!   [`MAX_INTROSPECTION_LISTS`] deep (the standard query nests one);
//! - a document holds at most [`MAX_INTROSPECTION_ROOTS`] introspection
//!   fields (`__schema`, `__type`), aliases and fragment spreads counted.
//!
//! Fragments are measured once each, so a document cannot make this check
//! itself expensive; cycles are left for validation to refuse.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// The deepest an introspection subtree may nest.
pub const MAX_INTROSPECTION_DEPTH: usize = 20;
/// How deep `__Type`'s fanning-out list fields may nest in one subtree.
pub const MAX_INTROSPECTION_LISTS: usize = 2;
/// The most introspection fields (`__schema`, `__type`) in one document.
pub const MAX_INTROSPECTION_ROOTS: usize = 10;

/// The fields of `__Type` that list other types' parts.
const FANNING_LISTS: [&str; 4] = ["fields", "inputFields", "interfaces", "possibleTypes"];

/// Why `doc` is refused, if it is.
pub fn check(doc: &ExecutableDocument, max_depth: usize) -> Option<String> {
    let mut measure = Measure {
        doc,
        memo: HashMap::new(),
    };
    let mut total = Shape::default();
    for (_, operation) in doc.operations.iter() {
        total = total.beside(measure.set(&operation.node.selection_set.node, Mode::Ordinary));
    }
    if total.depth > max_depth {
        return Some(format!(
            "the query nests {} fields deep; the limit is {max_depth}",
            total.depth
        ));
    }
    if total.introspection_roots > MAX_INTROSPECTION_ROOTS {
        return Some(format!(
            "the query asks for introspection (__schema, __type) {} times; the limit is \
             {MAX_INTROSPECTION_ROOTS}",
            total.introspection_roots
        ));
    }
    if total.introspection_depth > MAX_INTROSPECTION_DEPTH {
        return Some(format!(
            "the introspection query nests {} fields deep; the limit is \
             {MAX_INTROSPECTION_DEPTH}",
            total.introspection_depth
        ));
    }
    if total.introspection_lists > MAX_INTROSPECTION_LISTS {
        return Some(format!(
            "the introspection query nests fields, inputFields, interfaces or possibleTypes \
             {} deep; the limit is {MAX_INTROSPECTION_LISTS}",
            total.introspection_lists
        ));
    }
    None
}

/// Whether a selection is measured as ordinary fields or as introspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    Ordinary,
    Introspection,
}

/// What one selection set amounts to.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    /// Ordinary nesting (in introspection mode: introspection nesting).
    depth: usize,
    /// Nesting of introspection subtrees (ordinary mode only).
    introspection_depth: usize,
    /// Nesting of the fanning-out lists inside introspection.
    introspection_lists: usize,
    /// Introspection fields counted.
    introspection_roots: usize,
}

impl Shape {
    /// Two selections side by side: the deepest of each, the roots summed.
    fn beside(self, other: Shape) -> Shape {
        Shape {
            depth: self.depth.max(other.depth),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
            introspection_roots: self
                .introspection_roots
                .saturating_add(other.introspection_roots),
        }
    }
}

struct Measure<'a> {
    doc: &'a ExecutableDocument,
    /// Fragments measured so far; `None` while one is being measured.
    memo: HashMap<(Name, Mode), Option<Shape>>,
}

impl Measure<'_> {
    fn set(&mut self, set: &SelectionSet, mode: Mode) -> Shape {
        let mut shape = Shape::default();
        for item in &set.items {
            let inner = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    let children = &field.selection_set.node;
                    match mode {
                        Mode::Ordinary if name == "__schema" || name == "__type" => {
                            let inner = self.set(children, Mode::Introspection);
                            Shape {
                                depth: 1,
                                introspection_depth: inner.depth + 1,
                                introspection_lists: inner.introspection_lists,
                                introspection_roots: inner.introspection_roots.saturating_add(1),
                            }
                        }
                        Mode::Ordinary => {
                            let inner = self.set(children, mode);
                            Shape {
                                depth: inner.depth + 1,
                                ..inner
                            }
                        }
                        Mode::Introspection => {
                            let inner = self.set(children, mode);
                            let list = usize::from(FANNING_LISTS.contains(&name));
                            Shape {
                                depth: inner.depth + 1,
                                introspection_lists: inner.introspection_lists + list,
                                ..inner
                            }
                        }
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.set(&fragment.node.selection_set.node, mode)
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(&spread.node.fragment_name.node, mode)
                }
            };
            shape = shape.beside(inner);
        }
        shape
    }

    fn fragment(&mut self, name: &Name, mode: Mode) -> Shape {
        let key = (name.clone(), mode);
        match self.memo.get(&key) {
            Some(Some(shape)) => return *shape,
            // A cycle: validation refuses it after this check.
            Some(None) => return Shape::default(),
            None => {}
        }
        let doc = self.doc;
        let Some(fragment) = doc.fragments.get(name) else {
            return Shape::default();
        };
        self.memo.insert(key.clone(), None);
        let shape = self.set(&fragment.node.selection_set.node, mode);
        self.memo.insert(key, Some(shape));
        shape
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(query: &str, max_depth: usize) -> Option<String> {
        check(
            &async_graphql::parser::parse_query(query).unwrap(),
            max_depth,
        )
    }

    #[test]
    fn ordinary_depth_counts_fields_through_fragments() {
        assert_eq!(refusal("{ a { b { c } } }", 3), None);
        let deep = refusal(
            "{ a { ...F } } fragment F on T { b { ... on T { c { d } } } }",
            3,
        );
        assert!(deep.unwrap().contains("nests 4 fields deep"));
    }

    #[test]
    fn introspection_is_measured_on_its_own_terms() {
        let ofs = (0..9).fold("name".to_string(), |inner, _| {
            format!("kind name ofType {{ {inner} }}")
        });
        let standard =
            format!("{{ __schema {{ types {{ fields {{ args {{ type {{ {ofs} }} }} }} }} }} }}");
        assert_eq!(refusal(&standard, 12), None, "{standard}");

        let ofs = (0..30).fold("name".to_string(), |inner, _| {
            format!("ofType {{ {inner} }}")
        });
        let chain = format!("{{ __type(name: \"Query\") {{ {ofs} }} }}");
        assert!(
            refusal(&chain, 12)
                .unwrap()
                .contains("introspection query nests 32")
        );

        let fan =
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
        assert!(refusal(fan, 12).unwrap().contains("possibleTypes 3 deep"));

        let aliases: String = (0..11)
            .map(|i| format!("t{i}: __type(name: \"Query\") {{ name }} "))
            .collect();
        assert!(
            refusal(&format!("{{ {aliases} }}"), 12)
                .unwrap()
                .contains("11 times")
        );
    }

    /// `{start}` then 41 fragments, each spreading the next twice: 2^40
    /// paths through `leaf`.
    fn doubling(start: &str, on: &str, leaf: &str) -> String {
        let mut doc = format!("{start} ");
        for i in 0..40 {
            let next = i + 1;
            doc.push_str(&format!(
                "fragment F{i} on {on} {{ ...F{next} ...F{next} }} "
            ));
        }
        doc.push_str(&format!("fragment F40 on {on} {{ {leaf} }}"));
        doc
    }

    #[test]
    fn fragment_bombs_and_cycles_are_cheap_to_measure() {
        let schema = doubling("{ __schema { ...F0 } }", "__Schema", "types { name }");
        assert_eq!(refusal(&schema, 12), None);
        let roots = "{ ...A } fragment A on Query { __schema { types { name } } ...B } \
                     fragment B on Query { ...A ...A }";
        assert_eq!(refusal(roots, 12), None);
        let bomb = doubling(
            "{ ...F0 }",
            "Query",
            "__typename __type(name: \"Query\") { name }",
        );
        assert!(refusal(&bomb, 12).unwrap().contains("introspection"));
    }
}
