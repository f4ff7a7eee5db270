#!/usr/bin/env bash
# Measures the native backup (`sequelae backup --no-pg-dump`) against
# pg_dump writing the same output, in one run on one pgbench dataset:
#
#   native plain                  vs  pg_dump -Fp
#   native --jobs 2 plain         vs  pg_dump -Fp
#   native --compress --jobs 2    vs  pg_dump -Fp -Z 6   (pg_dump 15: gzip)
#
# Prints wall time (median of REPEAT runs, the two tools alternating, `sync`
# before each run), peak RSS of the backup process, output size, and the
# ratios sequelae / pg_dump. Targets on the 2-core development machine:
# plain <= 1.0, plain --jobs 2 <= 0.8, gzip --jobs 2 <= 0.5.
#
# Usage: bench/native.sh [SCALE]   (pgbench scale, default 20: about 300 MB)
# Environment: REPEAT (default 3); BENCH_DIR (where outputs go, default a
#   temporary directory under /tmp); BENCH_DATABASE_URL to use an existing
#   database instead of a throwaway cluster (its pgbench tables are reused
#   when they have SCALE branches, else rebuilt).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ "${1:-}" != "--inside" ]; then
    command -v /usr/bin/time >/dev/null || { echo "bench/native.sh needs GNU time (apt-get install -y time)" >&2; exit 1; }
    (cd "$root" && cargo build --release --locked --quiet -p sequelae-cli -p sequelae-tests --bins)
    export SEQUELAE_BIN="$root/target/release/sequelae" SCALE="${1:-20}"
    if [ -n "${BENCH_DATABASE_URL:-}" ]; then
        export DATABASE_URL="$BENCH_DATABASE_URL"
        exec "$0" --inside
    fi
    "$root/scripts/ensure-postgres"
    exec "$root/target/release/with-cluster" "$0" --inside
fi

# Inside: DATABASE_URL points at the database to back up (with-cluster's
# `demo`, or BENCH_DATABASE_URL).
REPEAT="${REPEAT:-3}"
bindir="$(psql -d "$DATABASE_URL" -XAtc "SELECT setting FROM pg_config WHERE name = 'BINDIR'")"
PG_DUMP="$bindir/pg_dump"
if [ -n "${BENCH_DIR:-}" ]; then
    work="$BENCH_DIR"
    mkdir -p "$work"
    trap 'rm -rf "$work"/out-* "$work"/time.txt' EXIT
else
    work="$(mktemp -d /tmp/sequelae-native-bench.XXXXXX)"
    trap 'rm -rf "$work"' EXIT
fi

branches="$(psql -d "$DATABASE_URL" -XAtc "SELECT count(*) FROM pgbench_branches" 2>/dev/null || echo 0)"
if [ "$branches" = "$SCALE" ]; then
    echo "reusing the pgbench data of scale $SCALE" >&2
else
    echo "filling the database with pgbench -i -s $SCALE ..." >&2
    "$bindir/pgbench" -i -s "$SCALE" -q -d "$DATABASE_URL" >/dev/null 2>&1
    psql -d "$DATABASE_URL" -XAtqc "VACUUM ANALYZE" >/dev/null
fi
db_size="$(psql -d "$DATABASE_URL" -XAtc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
server="$(psql -d "$DATABASE_URL" -XAtc "SHOW server_version")"
echo "database: $db_size, PostgreSQL $server, $("$PG_DUMP" --version), $(nproc) CPUs" >&2

# run_one TOOL OUT ARGS... -> "seconds peak_kib"
run_one() {
    local tool="$1" out="$2"
    shift 2
    rm -rf "$out"
    sync
    if [ "$tool" = pg_dump ]; then
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$PG_DUMP" -d "$DATABASE_URL" "$@" -f "$out"
    else
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$SEQUELAE_BIN" backup --no-pg-dump "$@" \
            --output "$out" >/dev/null 2>"$work/out-sequelae.err" ||
            { cat "$work/out-sequelae.err" >&2; exit 1; }
    fi
    tail -1 "$work/time.txt"
}

median() {
    local sorted
    mapfile -t sorted < <(printf '%s\n' "$@" | sort -g)
    echo "${sorted[$((${#sorted[@]} / 2))]}"
}

cases=(
    "plain|-Fp|out.sql|"
    "plain --jobs 2|-Fp|out.sql|--jobs 2"
    "gzip --jobs 2|-Fp -Z 6|out.sql.gz|--compress --jobs 2"
)

printf '\n%-16s %9s %9s %6s %9s %9s %11s %11s\n' case "pg_dump s" "ours s" ratio "pg_dump MB" "ours MB" "pg_dump out" "ours out"
for entry in "${cases[@]}"; do
    IFS='|' read -r name pg_args file sq_args <<<"$entry"
    pg_times=() sq_times=() pg_mem=() sq_mem=()
    for ((i = 0; i < REPEAT; i++)); do
        for tool in $( ((i % 2 == 0)) && echo "pg_dump sequelae" || echo "sequelae pg_dump"); do
            # shellcheck disable=SC2086
            if [ "$tool" = pg_dump ]; then
                read -r t m < <(run_one pg_dump "$work/out-pg-$file" $pg_args)
                pg_times+=("$t") pg_mem+=("$m")
            else
                read -r t m < <(run_one sequelae "$work/out-sq-$file" $sq_args)
                sq_times+=("$t") sq_mem+=("$m")
            fi
        done
    done
    pg_t="$(median "${pg_times[@]}")" sq_t="$(median "${sq_times[@]}")"
    pg_m="$(median "${pg_mem[@]}")" sq_m="$(median "${sq_mem[@]}")"
    pg_b="$(du -b "$work/out-pg-$file" | cut -f1)" sq_b="$(du -b "$work/out-sq-$file" | cut -f1)"
    printf '%-16s %9.2f %9.2f %6.2f %9.1f %9.1f %10.1fM %10.1fM\n' "$name" "$pg_t" "$sq_t" \
        "$(echo "$sq_t / $pg_t" | bc -l)" "$(echo "$pg_m / 1024" | bc -l)" "$(echo "$sq_m / 1024" | bc -l)" \
        "$(echo "$pg_b / 1048576" | bc -l)" "$(echo "$sq_b / 1048576" | bc -l)"
    rm -rf "$work"/out-pg-* "$work"/out-sq-*
done
