#!/usr/bin/env bash
# request-options: resources/s against a fresh test-bed HAPI (127.0.0.1:18083) for
# concurrency 1, 2, 4, 8 with plain, --gzip and --tx-semantics requests, two rounds.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p bench/out && go build -o bench/out/fhirgen ./tools/fhirgen && go build -o bin/minio-to-fhir ./cmd/minio-to-fhir
export TESTBED_STATE_ROOT="$PWD/.testbed/options" HAPI_PORT=18083 MINIO_PORT=19003 TESTBED_SERVICES=hapi
scripts/testbed up >/dev/null 2>/tmp/i5bed.err || { cat /tmp/i5bed.err; exit 1; }
base=http://127.0.0.1:18083/fhir
echo -e "round\tc\tmode\tresources\tseconds\trate\tfailed"
for round in 1 2; do
for c in 1 2 4 8; do
  for mode in plain gzip tx; do
    d=$(mktemp -d)
    bench/out/fhirgen -o $d -patients 10 -seed $RANDOM -id-prefix "r$round$c$mode$RANDOM" -q >/dev/null 2>&1
    rm -f $d/manifest.json
    flags="--tx-semantics=false"  # transaction first is the default on HAPI 8.2+
    [ $mode = gzip ] && flags="--gzip --tx-semantics=false"
    [ $mode = tx ] && flags="--tx-semantics"
    bin/minio-to-fhir upload -i $d --fhir-url $base -c $c $flags --json --failure-log $d/f.log --checkpoint-dir $d/ck > $d/sum.json 2>/dev/null
    python3 -c "
import json
s=json.load(open('$d/sum.json'))
print('$round\t$c\t$mode\t%d\t%.1f\t%.0f\t%d' % (s['read'], s['seconds'], s['read']/s['seconds'], s['failed']))"
    rm -rf $d
  done
done
done
scripts/testbed down >/dev/null 2>&1
