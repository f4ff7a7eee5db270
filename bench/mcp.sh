#!/usr/bin/env bash
# Benchmarks the MCP server (`sequelae --mcp`) over its real stdio, on a
# throwaway cluster reached over loopback TCP: process start to the
# `initialize` answer, the first sql_exec (connecting included), 200
# sequential `sql_exec SELECT 1` (median per call), a 300,000-row result
# capped (default maxRows) and uncapped, and the server's peak memory for
# each workload (each in a fresh process, so that flat means flat).
#
# Usage: bench/mcp.sh
# Environment: RUNS (start-up measurements, default 20).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres
cargo build --release --locked -q -p sequelae-cli -p sequelae-tests --bins
bin="$PWD/target/release"

exec "$bin/with-cluster" python3 - "$bin/sequelae" "${RUNS:-20}" <<'PY'
import json, os, statistics, subprocess, sys, time

binary, runs = sys.argv[1], int(sys.argv[2])
env = dict(os.environ, SEQUELAE_REPORT_PEAK_RSS="1")
# Loopback TCP (postgres is trusted from 127.0.0.1 by the harness).
env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{env['PGPORT']}/demo"
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}
INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "0"}}}

class Server:
    def __init__(self):
        self.started = time.perf_counter()
        self.p = subprocess.Popen([binary, "--mcp"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.next = 1

    def rpc(self, message):
        self.p.stdin.write((json.dumps(message) + "\n").encode())
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        return json.loads(line)

    def call(self, query, **args):
        self.next += 1
        answer = self.rpc({"jsonrpc": "2.0", "id": self.next, "method": "tools/call",
                           "params": {"name": "sql_exec", "_meta": META,
                                      "arguments": dict(query=query, **args)}})
        result = answer["result"]
        assert not result["isError"], result
        return result

    def close(self):
        self.p.stdin.close()
        err = self.p.stderr.read().decode()
        self.p.wait()
        peak = [l for l in err.splitlines() if l.startswith("sequelae: peak_rss_kib=")]
        return int(peak[0].split("=")[1]) if peak else None

def ms(seconds):
    return f"{seconds * 1000:.3f} ms"

starts = []
for _ in range(runs):
    s = Server()
    s.rpc(INIT)
    starts.append(time.perf_counter() - s.started)
    s.close()

s = Server()
s.rpc(INIT)
t = time.perf_counter(); s.call("SELECT 1"); first = time.perf_counter() - t
calls = []
for _ in range(200):
    t = time.perf_counter(); s.call("SELECT 1"); calls.append(time.perf_counter() - t)
peak_small = s.close()

BIG = "SELECT g AS id, md5(g::text) AS h, g * 1.5 AS x FROM generate_series(1, 300000) g"
s = Server(); s.rpc(INIT)
t = time.perf_counter(); r = s.call(BIG); capped = time.perf_counter() - t
assert r["structuredContent"]["truncated"] is True
peak_capped = s.close()
s = Server(); s.rpc(INIT)
t = time.perf_counter(); r = s.call(BIG, maxRows=300000); uncapped = time.perf_counter() - t
assert len(r["structuredContent"]["rows"]) == 300000
peak_uncapped = s.close()

print(f"start to initialize answer (median of {runs}): {ms(statistics.median(starts))}")
print(f"first sql_exec (connects):                 {ms(first)}")
print(f"200 x sql_exec SELECT 1, median per call:  {ms(statistics.median(calls))}"
      f"  (p90 {ms(sorted(calls)[179])})")
print(f"300,000 rows capped at 1000:               {ms(capped)}")
print(f"300,000 rows uncapped:                     {ms(uncapped)}")
print(f"peak RSS, 201 small calls:                 {peak_small / 1024:.1f} MiB")
print(f"peak RSS, 300,000 rows capped:             {peak_capped / 1024:.1f} MiB")
print(f"peak RSS, 300,000 rows uncapped:           {peak_uncapped / 1024:.1f} MiB")
PY
