#!/usr/bin/env bash
# Measures `sequelae backup` against pg_dump run by hand with the same
# options, for every format, on a throwaway cluster filled with pgbench data
# (scale 40: about 600 MB). Prints wall time (the median of REPEAT runs, the
# two tools alternating so that neither always gets the warm cache, with
# `sync` before each run so that no run pays for the previous one's
# writeback) and output size, with the ratio sequelae / pg_dump.
#
# Usage: bench/backup.sh
# Environment: SCALE (pgbench scale, default 40), REPEAT (default 5),
#   SEQUELAE_BIN and WITH_CLUSTER (default: the release builds in target/,
#   built first), BENCH_DIR (where outputs go, default a temporary directory
#   under /tmp; BENCH_DIR=/dev/shm/... takes the disk's noise out of the
#   comparison, leaving only what sequelae adds).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ "${1:-}" != "--inside" ]; then
    if [ -z "${SEQUELAE_BIN:-}" ] || [ -z "${WITH_CLUSTER:-}" ]; then
        (cd "$root" && cargo build --release --quiet -p sequelae-cli -p sequelae-tests --bins)
    fi
    export SEQUELAE_BIN="${SEQUELAE_BIN:-$root/target/release/sequelae}"
    exec "${WITH_CLUSTER:-$root/target/release/with-cluster}" "$0" --inside
fi

# Inside with-cluster: DATABASE_URL and PGHOST/PGPORT/PGUSER/PGDATABASE point
# at the fresh cluster's `demo` database.
SCALE="${SCALE:-40}"
REPEAT="${REPEAT:-5}"
bindir="$(psql -XAtc "SELECT setting FROM pg_config WHERE name = 'BINDIR'")"
PG_DUMP="$bindir/pg_dump"
if [ -n "${BENCH_DIR:-}" ]; then
    work="$BENCH_DIR"
    mkdir -p "$work"
    trap 'rm -rf "$work"/out-* "$work"/sequelae.out "$work"/sequelae.err' EXIT
else
    work="$(mktemp -d /tmp/sequelae-bench.XXXXXX)"
    trap 'rm -rf "$work"' EXIT
fi

echo "filling demo with pgbench -i -s $SCALE ..." >&2
"$bindir/pgbench" -i -s "$SCALE" -q >/dev/null 2>&1
psql -XAtqc "VACUUM ANALYZE" >/dev/null
db_size="$(psql -XAtc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
server="$(psql -XAtc "SHOW server_version")"
echo "database: $db_size, PostgreSQL $server, $("$PG_DUMP" --version), $(nproc) CPUs" >&2

now() { date +%s.%N; }

size_of() { du -sb "$1" | cut -f1; }

# run_one TOOL OUT ARGS... -> seconds
run_one() {
    local tool="$1" out="$2"
    shift 2
    rm -rf "$out"
    sync
    local start end
    start="$(now)"
    if [ "$tool" = pg_dump ]; then
        "$PG_DUMP" "$@" -f "$out"
    else
        "$SEQUELAE_BIN" backup "$@" --output "$out" --pg-dump-path "$PG_DUMP" \
            >"$work/sequelae.out" 2>"$work/sequelae.err"
    fi
    end="$(now)"
    echo "$end - $start" | bc -l
}

spread() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- | xargs printf '%s'; }

median() {
    local sorted
    mapfile -t sorted < <(printf '%s\n' "$@" | sort -g)
    echo "${sorted[$((${#sorted[@]} / 2))]}"
}

cases=(
    "schema-only|-Fp -s|-Fp --schema-only"
    "plain|-Fp|-Fp"
    "plain gzip|-Fp -Z 6|-Fp --compress"
    "custom|-Fc|-Fc"
    "custom -Z0|-Fc -Z 0|-Fc --compress 0"
    "directory|-Fd|-Fd"
    "directory -j4|-Fd -j 4|-Fd --jobs 4"
    "tar|-Ft|-Ft"
)

printf '\n%-14s %9s %-11s %9s %-11s %6s %13s %13s %6s\n' case "pg_dump s" "(min-max)" "sequel. s" "(min-max)" ratio "pg_dump bytes" "sequel. bytes" ratio
for entry in "${cases[@]}"; do
    IFS='|' read -r name pg_args sq_args <<<"$entry"
    pg_times=()
    sq_times=()
    for ((i = 0; i < REPEAT; i++)); do
        # shellcheck disable=SC2086
        if ((i % 2 == 0)); then
            pg_times+=("$(run_one pg_dump "$work/out-pg" $pg_args)")
            sq_times+=("$(run_one sequelae "$work/out-sq" $sq_args)")
        else
            sq_times+=("$(run_one sequelae "$work/out-sq" $sq_args)")
            pg_times+=("$(run_one pg_dump "$work/out-pg" $pg_args)")
        fi
    done
    pg_t="$(median "${pg_times[@]}")"
    sq_t="$(median "${sq_times[@]}")"
    pg_b="$(size_of "$work/out-pg")"
    sq_b="$(size_of "$work/out-sq")"
    pg_r="$(spread "${pg_times[@]}" | awk -F- '{printf "%.2f-%.2f", $1, $2}')"
    sq_r="$(spread "${sq_times[@]}" | awk -F- '{printf "%.2f-%.2f", $1, $2}')"
    printf '%-14s %9.3f %-11s %9.3f %-11s %6.3f %13d %13d %6.4f\n' "$name" "$pg_t" "$pg_r" \
        "$sq_t" "$sq_r" "$(echo "$sq_t / $pg_t" | bc -l)" "$pg_b" "$sq_b" "$(echo "$sq_b / $pg_b" | bc -l)"
    rm -rf "$work"/out-*
done
