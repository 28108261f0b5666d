#!/usr/bin/env bash
# bench/bundles.sh: Bundle input end to end (make bench-bundles; issue 22).
#
#   bench/bundles.sh synthea   Synthea 3.3.0's default output, 30 patients (scripts/synthea
#                              -p 30 -f transaction, and -f collection), each into a fresh
#                              HAPI on PostgreSQL with the defaults: the first load, a second
#                              one (nothing may change: same count, every resource at version
#                              1), verify, and every entry checked on the server under its id;
#                              then blazectl on the same transactions in a fresh database,
#                              loaded twice (it posts them as they are: duplicates)
#   bench/bundles.sh hl7       the HL7 R4 examples' transaction, batch and collection Bundles
#                              (npm package hl7.fhir.r4.examples 4.0.1, cached), into a fresh
#                              database; each refusal classed by its reason, order failures
#                              (a reference to a resource of the input that was written) counted
#   bench/bundles.sh compare   only the first loads of the Synthea transactions, blazectl's and
#                              ours, each into a fresh database, BUNDLES_ROUNDS (2) times,
#                              alternating which goes first (the machine's load changes)
#   bench/bundles.sh condref   Synthea's transactions as they are (HAPI resolves each
#                              conditional reference with a search) against the same with every
#                              conditional reference to a resource of the input rewritten to
#                              Type/id beforehand (what the tool would send if it resolved them
#                              itself), each into a fresh database, BUNDLES_ROUNDS (2) times,
#                              alternating: load time, HAPI's and PostgreSQL's CPU per entry
#   bench/bundles.sh all       synthea and hl7 (about 55 minutes on a busy 2-core machine)
#
# blazectl comes from $BLAZECTL, else `go install github.com/samply/blazectl@$BLAZECTL_VERSION`,
# else tools/postbundles stands in (the same requests: each file POSTed as it is, 2 at a
# time); the table says which ran. Its users must load Synthea's hospital and practitioner
# files first (the patients' conditional references need them), so it gets them first.
#
# Settings (environment): BUNDLES_DIR (/tmp/m2f-bundles-bench) for data, beds and logs;
# BUNDLES_HAPI_PORT (21580) and BUNDLES_PG_PORT (21532) on 127.0.0.1; BUNDLES_ROUNDS (1)
# repeats the Synthea comparison, alternating which tool goes first. Needs java and mvn (for
# Synthea and HAPI, as scripts/testbed), npm (for the HL7 package), psql and python3.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=bench/server.sh
. bench/server.sh
out=${BUNDLES_DIR:-/tmp/m2f-bundles-bench}
cache=${TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minio-to-fhir}
mkdir -p "$out"
bin=$out/minio-to-fhir
go build -o "$bin" ./cmd/minio-to-fhir
bed_env=(TESTBED_STATE_ROOT="$out/beds" HAPI_PORT="${BUNDLES_HAPI_PORT:-21580}" MINIO_PORT=$((${BUNDLES_HAPI_PORT:-21580} + 10))
	PG_PORT="${BUNDLES_PG_PORT:-21532}" HAPI_DB=postgres TESTBED_SERVICES=hapi)
trap 'env "${bed_env[@]}" scripts/testbed down >/dev/null 2>&1 || true' EXIT

say() { printf 'bundles: %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
field() { sed -n "s/^[[:space:]]*$1: //p" "$2"; }

# fresh: a new bed (a new PostgreSQL cluster and database); exports FHIR_BASE_URL and FHIR_DB.
fresh() {
	env "${bed_env[@]}" scripts/testbed down >/dev/null 2>&1 || true
	eval "$(env "${bed_env[@]}" scripts/testbed up 2>"$out/bed.log")"
}

sql() { psql "$FHIR_DB" -Atc "$1"; }
live() { sql "select count(*) from hfj_resource where res_deleted_at is null"; }
bumped() { sql "select count(*) from hfj_resource where res_ver > 1"; }

# missing DIR: how many distinct Type/id of DIR's Bundle entries the server lacks (under that id).
missing() {
	sql "select res_type || '/' || fhir_id from hfj_resource where res_deleted_at is null" >"$out/server-ids"
	python3 - "$1" "$out/server-ids" <<'EOF'
import json, glob, os, sys
want = set()
for f in glob.glob(os.path.join(sys.argv[1], "*.json")):
    d = json.load(open(f))
    for e in d.get("entry", []):
        r = e.get("resource")
        if r and r.get("id"):
            want.add(r["resourceType"] + "/" + r["id"])
have = set(open(sys.argv[2]).read().split())
print(len(want), len(want - have))
EOF
}

# timed FILE CMD...: run CMD with /usr/bin/time -v into FILE.time, its output into FILE.out/.err;
# prints the wall seconds.
timed() {
	local f=$1 t0
	shift
	t0=$(date +%s.%N)
	if declare -F "$1" >/dev/null; then
		"$@" >"$f.out" 2>"$f.err" || true
	else
		/usr/bin/time -v -o "$f.time" "$@" >"$f.out" 2>"$f.err" || true
	fi
	echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f'
}

blazectl_cmd() {
	if [ -n "${BLAZECTL:-}" ]; then
		echo "$BLAZECTL"
		return
	fi
	local gobin=$cache/blazectl-bin
	if [ -x "$gobin/blazectl" ] || GOBIN=$gobin go install "github.com/samply/blazectl@${BLAZECTL_VERSION:-latest}" >"$out/blazectl-install.log" 2>&1; then
		echo "$gobin/blazectl"
		return
	fi
	go build -o "$out/postbundles" ./tools/postbundles
	echo "$out/postbundles"
}

# ours NAME ROOT: our tool into a fresh database: the load, the same command again (its
# checkpoint and ledger: nothing to send), once more with a new checkpoint folder (everything
# sent again: HAPI must see no change), verify; one table row.
ours() {
	local name=$1 root=$2 run=$out/$1
	rm -rf "$run" && mkdir -p "$run"
	fresh
	local args=(upload -i "$root" --failure-log "$run/failures.log" --checkpoint-dir "$run/ckpt")
	local l0 t1 n1 t2 t3 n3 v3 miss want tv rss failed sent3 verified
	l0=$(load)
	t1=$(WORK_DIR=$run timed "$run/load1" "$bin" "${args[@]}")
	n1=$(live)
	read -r want miss < <(missing "$root/fhir")
	failed=$(sed -n 's/^Failed: \([0-9,]*\).*/\1/p' "$run/load1.out" | head -1)
	rss=$(($(field "Maximum resident set size (kbytes)" "$run/load1.time") / 1024))
	if [ -n "${first_only:-}" ]; then
		printf '| minio-to-fhir | %s | %s | %s s | %s | %s | %s | - | - | - | - | - | - | %s MiB | %s / %s |\n' \
			"$name" "$want" "$t1" "${failed:-0}" "$n1" "$miss" "$rss" "$l0" "$(load)"
		return
	fi
	t2=$(WORK_DIR=$run timed "$run/load2" "$bin" "${args[@]}")
	t3=$(WORK_DIR=$run timed "$run/load3" "$bin" upload -i "$root" --failure-log "$run/failures3.log" --checkpoint-dir "$run/ckpt3")
	n3=$(live)
	v3=$(bumped)
	tv=$(WORK_DIR=$run timed "$run/verify" "$bin" verify -i "$root")
	sent3=$(sed -n 's/^Successfully uploaded: //p' "$run/load3.out" | head -1)
	verified=$(grep -v '^$' "$run/verify.out" | tail -1)
	printf '| minio-to-fhir | %s | %s | %s s | %s | %s | %s | %s s | %s s: %s | %s | %s | %s | %s s: %s | %s MiB | %s / %s |\n' \
		"$name" "$want" "$t1" "${failed:-0}" "$n1" "$miss" "$t2" "$t3" "$sent3" "$n3" $((n3 - n1)) "$v3" "$tv" "$verified" "$rss" "$l0" "$(load)"
}

# theirs NAME ROOT: blazectl (or its stand-in), providers first, twice, into a fresh database.
theirs() {
	local name=$1 root=$2 run=$out/$1 cmd
	rm -rf "$run" && mkdir -p "$run/providers" "$run/patients"
	cmd=$(blazectl_cmd)
	for f in "$root"/fhir/*.json; do
		case $(basename "$f") in
		hospitalInformation* | practitionerInformation*) ln -s "$f" "$run/providers/" ;;
		*) ln -s "$f" "$run/patients/" ;;
		esac
	done
	fresh
	local l0 t1 n1 t2 n2 want
	l0=$(load)
	one() { # one LOG: the providers, then the patients
		"$cmd" upload --server "$FHIR_BASE_URL" "$run/providers" >"$1.providers" 2>&1 || true
		"$cmd" upload --server "$FHIR_BASE_URL" "$run/patients"
	}
	if [[ $cmd == */postbundles ]]; then
		one() {
			"$cmd" -server "$FHIR_BASE_URL" "$run/providers" >"$1.providers" 2>&1 || true
			"$cmd" -server "$FHIR_BASE_URL" "$run/patients"
		}
	fi
	t1=$(timed "$run/load1" one "$run/load1")
	n1=$(live)
	read -r want _ < <(missing "$root/fhir")
	local ok1 ok2
	ok1=$(grep -h 'Status Codes' "$run/load1.providers" "$run/load1.out" | sed 's/.*]  *//' | paste -sd'+')
	if [ -n "${first_only:-}" ]; then
		printf '| %s | %s | %s | %s s | %s | %s | - | - | - | - | - | - | - | - | %s / %s |\n' \
			"$(basename "$cmd")" "$name" "$want" "$t1" "$ok1" "$n1" "$l0" "$(load)"
		return
	fi
	t2=$(timed "$run/load2" one "$run/load2")
	n2=$(live)
	ok2=$(grep -h 'Status Codes' "$run/load2.providers" "$run/load2.out" | sed 's/.*]  *//' | paste -sd'+')
	printf '| %s | %s | %s | %s s | %s | %s | - | %s s: %s | - | %s | %s | %s | - | - | %s / %s |\n' \
		"$(basename "$cmd")" "$name" "$want" "$t1" "$ok1" "$n1" "$t2" "$ok2" "$n2" $((n2 - n1)) "$(bumped)" "$l0" "$(load)"
}

# header TX COLL: what the Synthea table is about, and its head.
header() {
	echo "Synthea 3.3.0, 30 patients (seed 42): transaction $(find "$1/fhir" -name '*.json' | wc -l) files, $(du -sh "$1/fhir" | cut -f1); collection $(find "$2/fhir" -name '*.json' | wc -l) files, $(du -sh "$2/fhir" | cut -f1)"
	echo "$(date -u +%FT%TZ), commit $(git rev-parse --short HEAD), $(nproc) cores, HAPI FHIR 8.8.0 on PostgreSQL (scripts/testbed), each row a fresh database"
	echo
	echo "| tool | input | distinct Type/id | load 1 | failed (ours) or status codes (blazectl) | resources after 1 | ids missing | load 2: the same command | load 3: all sent again (ours) | resources after | new since load 1 | at version > 1 | verify | peak RSS | load avg before / after |"
	echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|---|"
}

synthea() {
	local tx coll
	tx=$(scripts/synthea -p 30 -f transaction)
	coll=$(scripts/synthea -p 30 -f collection)
	header "$tx" "$coll"
	local rounds=${BUNDLES_ROUNDS:-1} r
	for r in $(seq "$rounds"); do
		if [ $((r % 2)) = 1 ]; then
			ours transaction "$tx"
			theirs blazectl-transaction "$tx"
		else
			theirs blazectl-transaction "$tx"
			ours transaction "$tx"
		fi
	done
	ours collection "$coll"
}

# compare: the first loads only, alternating which tool goes first.
compare() {
	local tx coll r first_only=1
	tx=$(scripts/synthea -p 30 -f transaction)
	coll=$(scripts/synthea -p 30 -f collection)
	header "$tx" "$coll"
	for r in $(seq "${BUNDLES_ROUNDS:-2}"); do
		if [ $((r % 2)) = 1 ]; then
			theirs blazectl-transaction "$tx"
			ours transaction "$tx"
		else
			ours transaction "$tx"
			theirs blazectl-transaction "$tx"
		fi
	done
}

# hl7: the examples' transaction, batch and collection Bundles, loaded, each refusal classed.
hl7() {
	local pkg=$cache/hl7-examples/hl7.fhir.r4.examples-4.0.1.tgz run=$out/hl7
	if [ ! -f "$pkg" ]; then
		mkdir -p "$(dirname "$pkg")"
		(cd "$(dirname "$pkg")" && npm pack --silent hl7.fhir.r4.examples@4.0.1 >/dev/null)
	fi
	rm -rf "$run" && mkdir -p "$run/pkg" "$run/in"
	tar xzf "$pkg" -C "$run/pkg"
	python3 - "$run/pkg/package" "$run/in" <<'EOF'
import json, glob, os, shutil, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "Bundle-*.json"))):
    if json.load(open(f)).get("type") in ("transaction", "batch", "collection"):
        shutil.copy(f, sys.argv[2])
EOF
	fresh
	local t
	t=$(WORK_DIR=$run timed "$run/load" "$bin" upload -i "$run/in" --failure-log "$run/failures.log" --checkpoint-dir "$run/ckpt")
	sql "select res_type || '/' || fhir_id from hfj_resource where res_deleted_at is null" >"$run/server-ids"
	echo "HL7 R4 examples (hl7.fhir.r4.examples 4.0.1): $(find "$run/in" -name '*.json' | wc -l) Bundles (transaction, batch, collection), loaded in $t s; $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
	grep -E '^(Total resources|Successfully uploaded|Failed|Duplicates skipped|Bundles):' "$run/load.out" | cut -c1-400
	echo "missing-reference warnings: $(grep -c 'neither in the data nor on the server' "$run/load.err" || true)"
	echo
	python3 - "$run/failures.log" "$run/server-ids" <<'EOF'
import json, re, sys, collections
fails = [json.loads(l) for l in open(sys.argv[1])]
have = set(open(sys.argv[2]).read().split())
tried = have | {f["resourceType"] + "/" + f["id"] for f in fails if f.get("id")}
why = collections.Counter(); ex = {}
for f in fails:
    d = f.get("error", "")
    m = re.search(r"Resource (\w+/[^ ]+) not found", d)
    if "HAPI-0960" in d:
        k = "numeric id: HAPI assigns client ids only with a letter (HAPI-0960; HAPI_CLIENT_ID_STRATEGY=ANY allows them)"
    elif m and m.group(1) not in tried:
        k = "reference to a resource not in the input (referential integrity, HAPI-1094)"
    elif m and m.group(1) not in have:
        k = "reference to a resource of the input that was itself refused (HAPI-1094)"
    elif m:
        k = "ORDER FAILURE: reference to a resource of the input that was written"
    else:
        k = "other: " + re.sub(r"\d{3,}", "#", d)[:120]
    why[k] += 1
    ex.setdefault(k, "%s entry %s (%s/%s): %s" % (f.get("file"), f.get("entry"), f["resourceType"], f.get("id"), d[:140]))
print("| refused | reason | example |")
print("|--:|---|---|")
for k, n in why.most_common():
    print("| %d | %s | %s |" % (n, k, ex[k].replace("|", "\\|")))
print()
print("order failures: %d" % sum(n for k, n in why.items() if k.startswith("ORDER")))
EOF
}

# resolve_conditional FROM TO: a copy of the Synthea output FROM in TO with every conditional
# reference (Type?identifier=system|value) that names one resource of the input rewritten
# to its Type/id; prints how many were rewritten and how many left.
resolve_conditional() {
	python3 - "$1" "$2" <<'EOF'
import json, os, re, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst, dirs_exist_ok=True)
files = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(dst, "fhir")) for f in fs if f.endswith(".json")]
by_ident = {}
for f in files:
    for e in json.load(open(f)).get("entry", []):
        r = e.get("resource") or {}
        for i in r.get("identifier", []):
            if i.get("system") and i.get("value"):
                by_ident.setdefault((r["resourceType"], i["system"] + "|" + i["value"]), set()).add(r["resourceType"] + "/" + r["id"])
cond = re.compile(r"^([A-Za-z]+)\?identifier=(.+)$")
done = left = 0
def walk(x):
    global done, left
    if isinstance(x, dict):
        ref = x.get("reference")
        if isinstance(ref, str):
            m = cond.match(ref)
            if m:
                hit = by_ident.get((m.group(1), m.group(2)), set())
                if len(hit) == 1:
                    x["reference"] = next(iter(hit))
                    done += 1
                else:
                    left += 1
        for v in x.values():
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
for f in files:
    d = json.load(open(f))
    walk(d)
    json.dump(d, open(f, "w"), indent=2)
print(done, left)
EOF
}

# condrun NAME ROOT: ROOT loaded with the defaults into a fresh database; one table row.
condrun() {
	local name=$1 root=$2 run=$out/condref-$1 state hapi h0 p0 h1 p1 t tck n failed l0
	rm -rf "$run" && mkdir -p "$run"
	fresh
	state=$out/beds/bed-${BUNDLES_HAPI_PORT:-21580}-$((${BUNDLES_HAPI_PORT:-21580} + 10))
	hapi=$(cat "$state/hapi.pid")
	tck=$(getconf CLK_TCK)
	l0=$(load)
	h0=$(ticks "$hapi") p0=$(pg_ticks "$state")
	t=$(WORK_DIR=$run timed "$run/load" "$bin" upload -i "$root" --failure-log "$run/failures.log" --checkpoint-dir "$run/ckpt")
	h1=$(ticks "$hapi") p1=$(pg_ticks "$state")
	n=$(sed -n 's/^Successfully uploaded: \([0-9,]*\).*/\1/p' "$run/load.out" | head -1 | tr -d ,)
	failed=$(sed -n 's/^Failed: \([0-9,]*\).*/\1/p' "$run/load.out" | head -1)
	printf '| %s | %s | %s s | %.0f | %s | %.2f | %.2f | %s / %s |\n' "$name" "${n:-0}" "$t" "$(echo "${n:-0} / $t" | bc -l)" "${failed:-?}" \
		"$(echo "($h1 - $h0) * 1000 / $tck / ${n:-1}" | bc -l)" "$(echo "($p1 - $p0) * 1000 / $tck / ${n:-1}" | bc -l)" "$l0" "$(load)"
}

# condref: Synthea's conditional references left to HAPI, or resolved beforehand.
condref() {
	local tx res=$out/condref-data r done left
	tx=$(scripts/synthea -p 30 -f transaction)
	if [ ! -f "$res/.counts" ]; then
		rm -rf "$res"
		resolve_conditional "$tx" "$res" >"$out/condref.counts"
		mv "$out/condref.counts" "$res/.counts"
	fi
	read -r done left <"$res/.counts"
	echo "Synthea 3.3.0, 30 patients, transaction Bundles; resolved: $done conditional references rewritten to Type/id, $left left; $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD), HAPI FHIR 8.8.0 on PostgreSQL, each row a fresh database"
	echo
	echo "| input | written | load | resources/s | failed | HAPI CPU ms/res | PostgreSQL CPU ms/res | load avg before / after |"
	echo "|---|--:|--:|--:|--:|--:|--:|---|"
	for r in $(seq "${BUNDLES_ROUNDS:-2}"); do
		if [ $((r % 2)) = 1 ]; then
			condrun as-is "$tx"
			condrun resolved "$res"
		else
			condrun resolved "$res"
			condrun as-is "$tx"
		fi
	done
}

case ${1:-all} in
synthea) synthea ;;
hl7) hl7 ;;
compare) compare ;;
condref) condref ;;
all)
	synthea
	echo
	hl7
	;;
*)
	echo "usage: bench/bundles.sh synthea|hl7|compare|condref|all" >&2
	exit 2
	;;
esac
