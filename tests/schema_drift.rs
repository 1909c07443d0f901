//! `schema.graphql` is what frontend teams generate code from: it must be
//! exactly the server's schema. Regenerate with
//! `cargo run -- schema > schema.graphql`.

#[test]
fn schema_file_matches_the_server() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists");
    let served = switchboard::graphql::sdl();
    if committed != served {
        let first_difference = committed
            .lines()
            .zip(served.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "one file is a prefix of the other".to_string(),
                |i| format!("line {}", i + 1),
            );
        panic!(
            "schema.graphql differs from the server's schema at {first_difference}; \
             run `cargo run -- schema > schema.graphql` and commit it"
        );
    }
}

#[test]
fn every_example_operation_validates_against_the_schema() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "graphql") {
            let text = std::fs::read_to_string(&path).unwrap();
            let doc = async_graphql::parser::parse_query(&text)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
            assert!(
                doc.operations.iter().count() > 0,
                "{} has no operation",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 4,
        "the examples folder holds the portal pages' operations"
    );
}
