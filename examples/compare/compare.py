#!/usr/bin/env python3
"""switchboard and PostGraphile 4 side by side on one PostgreSQL database.

    npm ci --prefix examples/compare        # PostGraphile 4 (Node 20)
    apt-get install wrk                      # the load generator
    python3 examples/compare/compare.py      # --help for the knobs

It builds the release binary, seeds a database of its own
(`switchboard_bench` on the server of BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432) with --cases cases over --accounts
accounts through `switchboard seed`, starts the gateway and PostGraphile on
loopback ports over it, checks that both answer the Support list with the
same 50 cases, then runs wrk at each concurrency, alternating the two
systems, --runs times, and reports medians:

- the Support list (50 cases with account, location and contact, and the
  total) for one account, as its primary authority (switchboard) and
  without any authorization (PostGraphile, `condition: { accountId }`);
- the overview (`examples/overview.graphql`, switchboard only);
- CPU time per request of each server process (from /proc);
- pgbench running the statements the gateway issues for one Support list
  request (captured from the server log with log_min_duration_statement,
  parameters inlined), prepared and simple, at concurrency 10;
- the same Support list on the embedded default (SQLite, the same seed in
  a data folder of its own) at concurrency 10.

Traffic goes to 127.0.0.1 only; every process it starts is stopped at the
end. The server log is read from --pg-log (Debian's default path).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.join(ROOT, "target", "release", "switchboard")
DATA = os.path.join(ROOT, "target", "compare")
DB = "switchboard_bench"
USER = "pat.primary@harborfreight.example"
ACCOUNT = "1234567890"
SB_PORT, PGL_PORT, SQLITE_PORT = 18480, 18481, 18482

CASE_FIELDS = "id number state priority title updatedAt"
SB_SUPPORT = (
    "query SupportList($account: ID!) { cases(first: 50, filter: { accountIds: [$account] }, "
    "orderBy: { field: UPDATED, direction: DESC }) { totalCount nodes { "
    + CASE_FIELDS
    + " account { name } location { name address } contact { name email } } } }"
)
PGL_SUPPORT = (
    "query SupportList($account: String!) { allCases(first: 50, condition: { accountId: $account }, "
    "orderBy: [UPDATED_AT_DESC, ID_DESC]) { totalCount nodes { id number state priority title updatedAt "
    "accountByAccountId { name } locationByLocationId { name address } "
    "contactByContactId { name email } } } }"
)


def sh(*args, env=None, **kw):
    return subprocess.run(args, check=True, env={**os.environ, **(env or {})}, **kw)


def psql(url, sql):
    return sh("psql", url, "-Atqc", sql, capture_output=True, text=True).stdout.strip()


def post(url, body, token=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        answer = json.load(resp)
    if answer.get("errors"):
        sys.exit(f"{url} answered errors: {answer['errors']}")
    return answer["data"]


def wait_for(url, body, token=None, seconds=60):
    deadline = time.time() + seconds
    while True:
        try:
            return post(url, body, token)
        except (OSError, urllib.error.URLError):
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def cpu_seconds(pid):
    """User and system CPU of a process and its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, body_file, token, concurrency, seconds, pid):
    before = cpu_seconds(pid)
    out = sh(
        "wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency",
        "-s", os.path.join(HERE, "post.lua"), url,
        env={"BODY_FILE": body_file, "TOKEN": token or ""},
        capture_output=True, text=True,
    ).stdout
    cpu = cpu_seconds(pid) - before
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"wrk saw failures against {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))

    def pct(p):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50": pct(50), "p99": pct(99), "cpu_ms": 1000 * cpu / max(total, 1)}


def median_of(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def captured_statements(log_path, offset):
    """The statements (parameters inlined) executed after `offset` in the log."""
    with open(log_path, errors="replace") as f:
        f.seek(offset)
        lines = f.read().splitlines()
    statements = []
    for i, line in enumerate(lines):
        m = re.search(r"duration: [\d.]+ ms\s+execute [^:]*: (.*)", line)
        if not m:
            continue
        sql = m.group(1)
        detail = lines[i + 1] if i + 1 < len(lines) else ""
        params = dict(re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", detail))
        for n in sorted(params, key=int, reverse=True):
            sql = sql.replace(f"${n}", params[n])
        statements.append(sql + ";")
    return statements


def pgbench(url, script, mode, clients, seconds):
    out = sh(
        "pgbench", "-n", "-M", mode, "-c", str(clients), "-j", "2", "-T", str(seconds),
        "-f", script, url, capture_output=True, text=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def sqlite_support_list(args):
    """The Support list on the embedded SQLite default at concurrency 10."""
    data = DATA + "-sqlite"
    config = os.path.join(ROOT, "target", "compare-sqlite.toml")
    with open(config, "w") as f:
        f.write(f'[server]\nlisten = "127.0.0.1:{SQLITE_PORT}"\n')
    env = {**os.environ, "RUST_LOG": "warn", "SWITCHBOARD_CONFIG": config}
    env.pop("DATABASE_URL", None)
    if not (args.reuse and os.path.exists(os.path.join(data, "switchboard.db"))):
        shutil.rmtree(data, ignore_errors=True)
        os.makedirs(data)
        subprocess.run([BIN, "--data-dir", data, "seed", "--accounts", str(args.accounts),
                        "--cases", str(args.cases)], env=env, check=True)
    token = subprocess.run([BIN, "--data-dir", data, "token", USER], env=env, check=True,
                           capture_output=True, text=True).stdout.split()[-1]
    url = f"http://127.0.0.1:{SQLITE_PORT}/graphql"
    body = os.path.join(data, "sb.json")
    with open(body, "w") as f:
        json.dump({"query": SB_SUPPORT, "variables": {"account": ACCOUNT}}, f)
    proc = subprocess.Popen([BIN, "--data-dir", data, "serve"], env=env,
                            stdout=subprocess.DEVNULL)
    try:
        wait_for(url, {"query": SB_SUPPORT, "variables": {"account": ACCOUNT}}, token)
        wrk(url, body, token, 10, 3, proc.pid)  # warm-up
        return median_of([wrk(url, body, token, 10, args.seconds, proc.pid)
                          for _ in range(args.runs)])
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--accounts", type=int, default=1_000)
    ap.add_argument("--seconds", type=int, default=10, help="per wrk run")
    ap.add_argument("--runs", type=int, default=3, help="alternated runs per cell (median)")
    ap.add_argument("--concurrency", default="1,10,50")
    ap.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    ap.add_argument("--pg-log", default="/var/log/postgresql/postgresql-15-main.log")
    args = ap.parse_args()
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    db_url = f"{server}/{DB}"
    for tool in ("wrk", "pgbench", "psql", "node"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (see the top of this file)")
    postgraphile = os.path.join(HERE, "node_modules", ".bin", "postgraphile")
    if not os.path.exists(postgraphile):
        sys.exit("PostGraphile is missing: npm ci --prefix examples/compare")

    sh("cargo", "build", "--release", "--quiet", "--bin", "switchboard", cwd=ROOT)
    # The listener in the configuration, so that tokens name the issuer
    # the gateway serves as.
    config = os.path.join(ROOT, "target", "compare.toml")
    with open(config, "w") as f:
        f.write(f'[server]\nlisten = "127.0.0.1:{SB_PORT}"\n')
    env = {"DATABASE_URL": db_url, "RUST_LOG": "warn", "SWITCHBOARD_CONFIG": config}
    exists = psql(f"{server}/postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DB}'")
    if not (args.reuse and exists):
        if exists:
            psql(f"{server}/postgres", f"DROP DATABASE {DB} WITH (FORCE)")
        psql(f"{server}/postgres", f"CREATE DATABASE {DB}")
        shutil.rmtree(DATA, ignore_errors=True)
        os.makedirs(DATA)
        started = time.time()
        sh(BIN, "--data-dir", DATA, "seed", "--accounts", str(args.accounts),
           "--cases", str(args.cases), env=env)
        print(f"seeded in {time.time() - started:.0f} s")
        psql(db_url, "VACUUM ANALYZE")
    token = sh(BIN, "--data-dir", DATA, "token", USER, env=env,
               capture_output=True, text=True).stdout.split()[-1]
    in_account = int(psql(db_url, f"SELECT count(*) FROM cases WHERE account_id = '{ACCOUNT}'"))

    sb_url = f"http://127.0.0.1:{SB_PORT}/graphql"
    pgl_url = f"http://127.0.0.1:{PGL_PORT}/graphql"
    sb_body = {"query": SB_SUPPORT, "variables": {"account": ACCOUNT}}
    pgl_body = {"query": PGL_SUPPORT, "variables": {"account": ACCOUNT}}
    with open(os.path.join(ROOT, "examples", "overview.graphql")) as f:
        overview_body = {"query": f.read(), "operationName": "Overview",
                         "variables": {"accountId": ACCOUNT}}
    bodies = {}
    for name, body in [("sb", sb_body), ("pgl", pgl_body), ("overview", overview_body)]:
        bodies[name] = os.path.join(DATA, f"{name}.json")
        with open(bodies[name], "w") as f:
            json.dump(body, f)

    procs = []

    def start_gateway():
        proc = subprocess.Popen(
            [BIN, "--data-dir", DATA, "serve"],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        procs.append(proc)
        wait_for(sb_url, sb_body, token)
        return proc

    try:
        # The statements of one Support list request, from the server log.
        psql(f"{server}/postgres", f"ALTER DATABASE {DB} SET log_min_duration_statement = 0")
        gateway = start_gateway()
        post(sb_url, sb_body, token)
        offset = os.path.getsize(args.pg_log)
        post(sb_url, sb_body, token)
        time.sleep(0.5)
        gateway.terminate()
        gateway.wait()
        psql(f"{server}/postgres", f"ALTER DATABASE {DB} RESET log_min_duration_statement")
        statements = captured_statements(args.pg_log, offset)
        script = os.path.join(DATA, "support-list.sql")
        with open(script, "w") as f:
            f.write("\n".join(statements) + "\n")

        gateway = start_gateway()
        pgl = subprocess.Popen(
            [postgraphile, "-c", db_url, "-s", "public", "-n", "127.0.0.1",
             "-p", str(PGL_PORT), "--disable-query-log"],
            cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(pgl)
        sb_page = wait_for(sb_url, sb_body, token)["cases"]
        pgl_page = wait_for(pgl_url, pgl_body)["allCases"]
        same = [n["number"] for n in sb_page["nodes"]] == [n["number"] for n in pgl_page["nodes"]]
        if not same or sb_page["totalCount"] != pgl_page["totalCount"]:
            sys.exit("the two systems do not answer the same Support list")
        post(sb_url, overview_body, token)

        systems = {
            "switchboard": (sb_url, bodies["sb"], token, gateway.pid),
            "PostGraphile 4": (pgl_url, bodies["pgl"], None, pgl.pid),
        }
        for url, body, tok, pid in systems.values():
            wrk(url, body, tok, 10, 3, pid)  # warm-up
        rows = []
        for c in [int(c) for c in args.concurrency.split(",")]:
            runs = {name: [] for name in systems}
            for run in range(args.runs):
                order = list(systems) if run % 2 == 0 else list(reversed(systems))
                for name in order:
                    runs[name].append(wrk(*systems[name][:3], c, args.seconds, systems[name][3]))
            rows.append((c, {name: median_of(r) for name, r in runs.items()}))
        overview = median_of([
            wrk(sb_url, bodies["overview"], token, 10, args.seconds, gateway.pid)
            for _ in range(args.runs)
        ])
        bench = {mode: pgbench(db_url, script, mode, 10, args.seconds)
                 for mode in ("prepared", "simple")}
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            p.wait()

    sqlite = sqlite_support_list(args)

    print()
    print(f"{datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores; "
          f"PostgreSQL: {psql(db_url, 'SHOW server_version')}; {args.cases:,} cases over "
          f"{args.accounts:,} accounts, {in_account:,} in account {ACCOUNT}; wrk, "
          f"{args.seconds} s per run, medians of {args.runs} alternated runs")
    print()
    print("| Support list, 50 cases | concurrency | switchboard | PostGraphile 4 | ratio |")
    print("|---|---|---|---|---|")
    for c, cell in rows:
        sb, pg = cell["switchboard"], cell["PostGraphile 4"]
        print(f"| throughput | {c} | {sb['rps']:,.0f} req/s | {pg['rps']:,.0f} req/s "
              f"| {sb['rps'] / pg['rps']:.2f}x |")
        print(f"| p99 | {c} | {sb['p99']:.1f} ms | {pg['p99']:.1f} ms "
              f"| {sb['p99'] / pg['p99']:.2f}x |")
        print(f"| server CPU per request | {c} | {sb['cpu_ms']:.2f} ms | {pg['cpu_ms']:.2f} ms "
              f"| {sb['cpu_ms'] / pg['cpu_ms']:.2f}x |")
    print()
    print(f"Overview (examples/overview.graphql), switchboard, concurrency 10: "
          f"{overview['rps']:,.0f} req/s, p50 {overview['p50']:.1f} ms, "
          f"p99 {overview['p99']:.1f} ms, {overview['cpu_ms']:.2f} ms CPU per request")
    sb10 = dict(rows).get(10, {}).get("switchboard")
    print(f"pgbench, the {len(statements)} statements of one Support list request, 10 clients: "
          f"{bench['prepared']:,.0f} tps prepared, {bench['simple']:,.0f} tps simple"
          + (f"; switchboard at concurrency 10 reaches {sb10['rps'] / bench['prepared']:.0%} "
             f"of prepared" if sb10 else ""))
    print(f"Support list on SQLite (embedded default, same seed), concurrency 10: "
          f"{sqlite['rps']:,.0f} req/s, p50 {sqlite['p50']:.1f} ms, p99 {sqlite['p99']:.1f} ms, "
          f"{sqlite['cpu_ms']:.2f} ms CPU per request")
    print(f"(statements: {script})")


if __name__ == "__main__":
    main()
