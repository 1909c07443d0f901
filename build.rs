//! Embeds GraphiQL's browser files (the npm packages `web/graphiql`
//! installs) into the gateway when they are present at build time, so a
//! binary copied anywhere serves GraphiQL. Without them, the gateway reads
//! them at start-up (`server.graphiql_assets`) or explains how to install
//! them.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The packages' files the page loads, under `node_modules`; the same list
/// as `src/server/graphiql.rs`.
const FILES: [&str; 4] = [
    "graphiql/graphiql.min.css",
    "react/umd/react.production.min.js",
    "react-dom/umd/react-dom.production.min.js",
    "graphiql/graphiql.min.js",
];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = root.join("web/graphiql");
    // The folder, not the files: a missing file would rerun this every build.
    println!("cargo:rerun-if-changed={}", web.display());
    let modules = web.join("node_modules");
    let present = FILES.iter().all(|f| modules.join(f).is_file());
    let mut code = String::from(
        "/// GraphiQL's files embedded at build time, by path under `node_modules`.\n",
    );
    if present {
        code.push_str("pub const EMBEDDED: Option<&[(&str, &[u8])]> = Some(&[\n");
        for file in FILES {
            let path = modules.join(file);
            println!("cargo:rerun-if-changed={}", path.display());
            let _ = writeln!(
                code,
                "    ({file:?}, include_bytes!({:?})),",
                path.display().to_string()
            );
        }
        code.push_str("]);\n");
    } else {
        code.push_str("pub const EMBEDDED: Option<&[(&str, &[u8])]> = None;\n");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("graphiql_assets.rs"), code).expect("OUT_DIR is writable");
}
