#!/usr/bin/env bash
# Benchmarks `sequelae exec` against psql in the same run, on a throwaway
# cluster: a 5-million-row SELECT in table and JSON modes (wall time and
# peak memory of the client process), and the start-to-exit time of
# `sequelae --json exec "SELECT 1"`. Prints a table with ratios.
#
# Usage: bench/exec.sh [ROWS]   (default 5000000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-5000000}"

scripts/ensure-postgres
command -v /usr/bin/time >/dev/null || { echo "bench/exec.sh needs GNU time (apt-get install -y time)" >&2; exit 1; }
cargo build --release --locked -q -p sequelae-cli -p sequelae-tests --bins
bin="$PWD/target/release"
psql="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/psql"
command -v psql >/dev/null && psql="$(command -v psql)"

exec "$bin/with-cluster" bash -euo pipefail -c '
bin="$1"; psql="$2"; rows="$3"
sql="SELECT g, md5(g::text) AS h, g * 1.5 AS x, now() AS t FROM generate_series(1, $rows) g"

# measure NAME CMD...: wall seconds and peak RSS (KiB) of CMD, stdout to /dev/null
measure() {
  local name="$1"; shift
  local t; t=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$t" "$@" >/dev/null 2>/dev/null
  echo "$name $(tail -1 "$t")"
  rm -f "$t"
}

results=$(mktemp)
measure "sequelae_table" "$bin/sequelae" exec "$sql" >>"$results"
measure "sequelae_json"  "$bin/sequelae" --json exec "$sql" >>"$results"
measure "psql_aligned"   "$psql" -X -q -c "$sql" >>"$results"
measure "psql_unaligned" "$psql" -X -q -A -t -c "$sql" >>"$results"

# Start-to-exit of a trivial query, best of 20.
best() {
  local best=""
  for _ in $(seq 20); do
    local s e us
    s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
    us=$(( (e - s) / 1000 ))
    if [ -z "$best" ] || [ "$us" -lt "$best" ]; then best=$us; fi
  done
  echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" "BEGIN { printf f, a / b }"; }
s1=$(best "$bin/sequelae" --json exec "SELECT 1")
p1=$(best "$psql" -X -q -A -t -c "SELECT 1")

echo
echo "SELECT of $rows rows to /dev/null (client process):"
printf "%-16s %10s %12s\n" "client" "wall (s)" "peak RSS (MB)"
while read -r name wall kib; do
  printf "%-16s %10s %12.1f\n" "$name" "$wall" "$(awk -v k="$kib" "BEGIN { print k / 1024 }")"
done <"$results"
st=$(awk "/^sequelae_table /{print \$2}" "$results"); sj=$(awk "/^sequelae_json /{print \$2}" "$results")
pa=$(awk "/^psql_aligned /{print \$2}" "$results"); pu=$(awk "/^psql_unaligned /{print \$2}" "$results")
stm=$(awk "/^sequelae_table /{print \$3}" "$results"); pam=$(awk "/^psql_aligned /{print \$3}" "$results")
echo
echo "time ratio   sequelae table / psql aligned:   $(ratio "$st" "$pa")"
echo "time ratio   sequelae json  / psql unaligned: $(ratio "$sj" "$pu")"
echo "memory ratio sequelae table / psql aligned:   $(ratio "$stm" "$pam" %.4f)"
echo
echo "start to exit, best of 20: sequelae --json exec \"SELECT 1\" ${s1} us, psql -c \"SELECT 1\" ${p1} us (ratio $(ratio "$s1" "$p1"))"
rm -f "$results"
' bench "$bin" "$psql" "$rows"
