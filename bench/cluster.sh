#!/usr/bin/env bash
# cluster: the same MIMIC-shaped data loaded through 1 node and through 2 nodes of the
# two-node bed (two HAPI JVMs on one PostgreSQL), alternating, ROUNDS rounds; for each run
# the rate, HAPI's CPU per resource (both JVMs, /proc/PID/stat utime+stime), PostgreSQL's
# CPU per resource (postmaster and its backends) and the client's CPU per resource.
#
#   bench/cluster.sh                      # starts the bed in .testbed/cluster-bench
#   TESTBED_STATE_ROOT=/work/beds/cluster bench/cluster.sh   # an already running bed there
#
# Settings: PATIENTS (default 10, about 200 resources each), ROUNDS (default 2), C (-c,
# default 8), DOWN=1 stops the bed at the end. Every run has ids of its own (no expunge);
# WARMUP (default 3) unmeasured loads through each node warm the JVMs first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PATIENTS=${PATIENTS:-10} ROUNDS=${ROUNDS:-2} C=${C:-8}
export TESTBED_STATE_ROOT=${TESTBED_STATE_ROOT:-$PWD/.testbed/cluster-bench}
export HAPI_PORT=18092 MINIO_PORT=19012 PG_PORT=15444 TESTBED_SERVICES=hapi HAPI_DB=postgres HAPI_NODES=2
state=$TESTBED_STATE_ROOT/bed-18092-19012
mkdir -p bench/out
go build -o bench/out/fhirgen ./tools/fhirgen
go build -o bench/out/minio-to-fhir ./cmd/minio-to-fhir
scripts/testbed up >bench/out/cluster-bed.env 2>bench/out/cluster-bed.err || { cat bench/out/cluster-bed.err; exit 1; }
n1=http://127.0.0.1:18092/fhir n2=http://127.0.0.1:18093/fhir

# ticks PID...: utime+stime of the processes, in clock ticks (100 a second).
ticks() {
  local sum=0 p f
  for p in "$@"; do
    [ -r /proc/$p/stat ] || continue
    f=$(sed 's/.*) //' /proc/$p/stat)
    set -- $f
    sum=$((sum + ${12} + ${13}))
  done
  echo $sum
}
hapi_ticks() { ticks "$(cat $state/hapi.pid)" "$(cat $state/hapi-2.pid)"; }
# PostgreSQL: the postmaster, its live backends, and what its ended children used.
pg_ticks() {
  local pm kids f
  pm=$(head -1 "$state/pg/data/postmaster.pid" 2>/dev/null || cat "$state/pg.pid")
  kids=$(pgrep -P "$pm" | tr '\n' ' ')
  f=$(sed 's/.*) //' /proc/$pm/stat); set -- $f
  echo $(( $(ticks $pm $kids) + ${14} + ${15} ))
}

# A fresh JVM is slow (its JIT compiles for minutes): WARMUP unmeasured loads through
# each node alone first.
for i in $(seq "${WARMUP:-3}"); do
  for url in $n1 $n2; do
    w=$(mktemp -d)
    bench/out/fhirgen -o "$w" -patients "$PATIENTS" -seed $RANDOM -id-prefix "cbw$i$RANDOM" -q && rm -f "$w/manifest.json"
    bench/out/minio-to-fhir upload -i "$w" --fhir-url "$url" -c "$C" -q --failure-log "$w/f.log" --checkpoint-dir "$w/ck" >/dev/null 2>&1 || true
    rm -rf "$w"
  done
done
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
printf "round\tnodes\tresources\tseconds\trate/s\tHAPI ms/res\tPG ms/res\tclient us/res\tfailed\n"
for round in $(seq "$ROUNDS"); do
  for nodes in 1 2; do
    url=$n1; [ $nodes = 2 ] && url="$n1,$n2"
    d=$(mktemp -d)
    bench/out/fhirgen -o "$d" -patients "$PATIENTS" -seed $RANDOM -id-prefix "cb$round$nodes$RANDOM" -q
    rm -f "$d/manifest.json"
    h0=$(hapi_ticks) p0=$(pg_ticks)
    /usr/bin/time -o "$d/time" -f "%U %S" bench/out/minio-to-fhir upload -i "$d" --fhir-url "$url" -c "$C" \
      --json --failure-log "$d/f.log" --checkpoint-dir "$d/ck" >"$d/sum.json" 2>"$d/err" || true
    client=$(tail -1 "$d/time")
    h1=$(hapi_ticks) p1=$(pg_ticks)
    python3 - "$d/sum.json" "$round" "$nodes" $((h1 - h0)) $((p1 - p0)) $client <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
rnd, nodes, hapi, pg, cu, cs = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
n = s["read"]
print("%s\t%s\t%d\t%.1f\t%.0f\t%.2f\t%.2f\t%.0f\t%d" % (rnd, nodes, n, s["seconds"], n / s["seconds"],
      hapi * 10 / n, pg * 10 / n, (cu + cs) * 1e6 / n, s["failed"]))
print("  per node: " + "; ".join("%s %d requests %d resources %.1f s" % (x["url"], x["requests"], x["resources"], x["seconds"]) for x in s["nodes"]), file=sys.stderr)
EOF
    rm -rf "$d"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "${DOWN:-0}" = 1 ] && scripts/testbed down --all >/dev/null 2>&1
exit 0
