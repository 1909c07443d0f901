#!/usr/bin/env bash
# Tries the gateway against the fake ServiceNow and Okta, no instance needed.
#
#   examples/try-external.sh [servicenow|okta|mixed]     (default: mixed)
#
# Starts the fakes (examples/fakes.rs) on 127.0.0.1:18090 and :18091, then
# the gateway with examples/config/<mode>.toml, in a data folder of its own.
# Then open http://127.0.0.1:8080/graphiql, or mint a token:
#   cargo run -- --config examples/config/<mode>.toml token pat.primary@harborfreight.example
set -euo pipefail
mode="${1:-mixed}"
cd "$(dirname "$0")/.."
config="examples/config/${mode}.toml"
[ -f "$config" ] || { echo "no such mode: $mode (servicenow, okta or mixed)" >&2; exit 2; }
cargo build --quiet --example fakes --bin switchboard
cargo run --quiet --example fakes &
fakes=$!
trap 'kill "$fakes" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/18090) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/18091) 2>/dev/null; then
    break
  fi
  sleep 0.2
done
export SWITCHBOARD_DATA_DIR="${SWITCHBOARD_DATA_DIR:-data-${mode}}"
cargo run --quiet --bin switchboard -- --config "$config"
