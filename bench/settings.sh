#!/usr/bin/env bash
# bench/settings.sh: server settings for a first load (make bench-settings).
#
#   bench/settings.sh            every configuration below, ROUNDS times, interleaved
#   CONFIGS="stock combined" ROUNDS=1 bench/settings.sh
#   bench/settings.sh table      print the table again from the recorded runs
#   bench/settings.sh check [CONFIG...]   what each configuration changes for the server's
#                                users (DELETE, _profile and :text searches, a changed profile)
#
# For each configuration: a fresh PostgreSQL bed (scripts/testbed, HAPI_DB=postgres, a new
# cluster and database, since mass ingestion, delete_enabled and tag storage must be chosen
# before the first row), a warm-up load of about 5,000 other resources, then the same
# MIMIC-demo-shaped set of about 205,000 resources (fhirgen -chart-scale 6 -seed 21, with a
# meta.profile on every resource as MIMIC-IV on FHIR has) loaded with the tool's defaults,
# then `verify`. Recorded per run: resources/s of the load, failures, HAPI's and
# PostgreSQL's CPU seconds, PostgreSQL's size on disk, verify's time and verdict, the load
# averages, and what shows that the configuration took effect (HAPI's settings line, SHOW
# of the PostgreSQL settings, index rows). With ANALYZE_CONFIGS (default "stock combined")
# the verify runs again after ANALYZE. Referential integrity stays on in every run.
#
# Settings (environment): SETTINGS_DIR (/tmp/m2f-settings: data, beds, logs), ROUNDS (2),
# CONFIGS (all, in this order; each round shuffles them unless SHUFFLE=0), ROUND (a name for
# the round, so that a round can be continued; default the time; -1, -2... added with
# ROUNDS > 1), RESOURCES (205000), WARMUP (5000),
# SETTINGS_HAPI_PORT (22780), SETTINGS_PG_PORT (22732), VERIFY (1; 0 skips verify, and
# ANALYZE_CONFIGS="" its second pass, for a quicker round of load figures). Each round's ratios are to the
# stock run of the same round.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
out=${SETTINGS_DIR:-/tmp/m2f-settings}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$out/minio-to-fhir
gen=$out/fhirgen
results=$out/results.tsv
rounds=${ROUNDS:-2}
resources=${RESOURCES:-205000}
warmup=${WARMUP:-5000}
analyze_configs=${ANALYZE_CONFIGS-stock combined}
export HAPI_PORT=${SETTINGS_HAPI_PORT:-22780} PG_PORT=${SETTINGS_PG_PORT:-22732}
export MINIO_PORT=$((HAPI_PORT + 10)) HAPI_DB=postgres TESTBED_SERVICES=hapi TESTBED_STATE_ROOT=$out/beds
state=$TESTBED_STATE_ROOT/bed-$HAPI_PORT-$MINIO_PORT

# The configurations (jopts, popts, all_configs) and ticks, pg_ticks.
# shellcheck source=bench/server.sh
. bench/server.sh

say() { printf 'settings: %s\n' "$*" >&2; }

# data DIR N SEED [PREFIX]: about N MIMIC-demo-shaped resources, made once, each with the
# meta.profile MIMIC-IV on FHIR gives it (mimic-observation-chartevents, ...), so that tag
# storage has tags to store.
data() {
	local dir=$1 n=$2 seed=$3 prefix=${4:-}
	if [ ! -f "$dir/.profiled" ]; then
		rm -rf "$dir"
		"$gen" -o "$dir" -resources "$n" -chart-scale 6 -seed "$seed" ${prefix:+-id-prefix "$prefix"} -q
		local f name kebab
		for f in "$dir"/Mimic*.ndjson; do
			name=$(basename "$f" .ndjson)
			kebab=$(echo "$name" | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g; s/([A-Z]+)([A-Z][a-z])/\1-\2/g' | tr 'A-Z' 'a-z')
			sed -i -E "s|^(\{\"resourceType\":\"[A-Za-z]+\",\"id\":\"[^\"]+\")|\1,\"meta\":{\"profile\":[\"http://mimic.mit.edu/fhir/mimic/StructureDefinition/$kebab\"]}|" "$f"
		done
		touch "$dir/.profiled"
	fi
}

# verdict FILE: "complete" or what else verify's last line says.
verdict() { tail -1 "$1" | sed -E 's/^Result: ([a-z]+).*/\1/' | cut -c1-40; }

sql() { psql "$FHIR_DB" -XAtqc "$1"; }

bed_down() { scripts/testbed down >/dev/null 2>&1 || true; }

# run ROUND CONFIG: one measured run; appends a line to results.tsv.
run() {
	local round=$1 cfg=$2 dir=$out/runs/$1-$2 tck
	tck=$(getconf CLK_TCK)
	rm -rf "$dir"
	mkdir -p "$dir"
	bed_down
	say "round $round, $cfg: fresh bed (HAPI_JAVA_OPTS='${jopts[$cfg]:-}' PG_OPTS='${popts[$cfg]:-}')"
	eval "$(HAPI_JAVA_OPTS="${jopts[$cfg]:-}" PG_OPTS="${popts[$cfg]:-}" scripts/testbed up 2>"$dir/up.err")"
	local hapi_pid
	hapi_pid=$(cat "$state/hapi.pid")
	# What shows the configuration took effect.
	grep -m1 'test server settings' "$state/hapi.log" | sed 's/.*settings: //' >"$dir/hapi-settings"
	local pgset
	pgset=$(sql "select string_agg(name || '=' || current_setting(name), ' ' order by name) from pg_settings
		where name in ('synchronous_commit', 'max_wal_size', 'checkpoint_timeout', 'shared_buffers')")
	echo "$pgset" >"$dir/pg-settings"
	local common=(upload --quiet --failure-log "$dir/failures.log" --checkpoint-dir "$dir/ckpt" --work-dir "$dir")
	FHIR_BASE_URL=$FHIR_BASE_URL "$bin" "${common[@]}" -i "$out/data-warm" --report "$dir/warm.json" >"$dir/warm.out" 2>&1 || true
	local la0 h0 p0 t0 t1
	la0=$(cut -d' ' -f1-3 /proc/loadavg)
	h0=$(ticks "$hapi_pid") p0=$(pg_ticks "$state") t0=$(date +%s.%N)
	local rc=0
	FHIR_BASE_URL=$FHIR_BASE_URL "$bin" "${common[@]}" -i "$out/data" --report "$dir/load.json" >"$dir/load.out" 2>"$dir/load.err" || rc=$?
	t1=$(date +%s.%N)
	local h1 p1 la1
	h1=$(ticks "$hapi_pid") p1=$(pg_ticks "$state") la1=$(cut -d' ' -f1-3 /proc/loadavg)
	local conns
	conns=$(sql "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
	local size
	size=$(sql "select pg_database_size(current_database()) / 1048576")
	local idx
	idx=$(sql "select (select count(*) from hfj_res_tag) || ' ' || (select count(*) from hfj_spidx_string) || ' ' ||
		(select count(*) from hfj_spidx_token) || ' ' || (select count(*) from hfj_spidx_token where sp_name is not null)")
	# verify, then (for some configurations) ANALYZE and verify again.
	local v0 v1 verdict="not run" vsecs=- asecs=- vasecs=- averdict=- vwsecs=-
	if [ "${VERIFY:-1}" != 0 ]; then
		v0=$(date +%s.%N)
		FHIR_BASE_URL=$FHIR_BASE_URL "$bin" verify -i "$out/data" -s 500 --work-dir "$dir" >"$dir/verify.out" 2>&1 || true
		v1=$(date +%s.%N)
		vsecs=$(echo "$v1 - $v0" | bc)
		verdict=$(verdict "$dir/verify.out")
	fi
	case " $analyze_configs " in *" $cfg "*)
		local a0 a1 w0
		# verify once more before ANALYZE: what a second pass gains from warm caches alone.
		w0=$(date +%s.%N)
		FHIR_BASE_URL=$FHIR_BASE_URL "$bin" verify -i "$out/data" -s 500 --work-dir "$dir" >"$dir/verify-warm.out" 2>&1 || true
		vwsecs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $w0" | bc)")
		sql "select relname, n_mod_since_analyze, coalesce(last_autoanalyze::text, 'never') from pg_stat_user_tables
			where relname like 'hfj_%' and n_live_tup > 0 order by n_live_tup desc" >"$dir/before-analyze"
		a0=$(date +%s.%N)
		sql "analyze" >/dev/null
		a1=$(date +%s.%N)
		asecs=$(printf '%.1f' "$(echo "$a1 - $a0" | bc)")
		FHIR_BASE_URL=$FHIR_BASE_URL "$bin" verify -i "$out/data" -s 500 --work-dir "$dir" >"$dir/verify2.out" 2>&1 || true
		vasecs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $a1" | bc)")
		averdict=$(verdict "$dir/verify2.out")
		;;
	esac
	bed_down
	# The load's figures from its JSON summary.
	local figs
	figs=$(python3 - "$dir/load.json" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    print("? ?"); sys.exit()
ok = sum(r.get(k, 0) for k in ("created", "updated", "unchanged"))
print(ok, r.get("failed", "?"))
EOF
)
	local ok failed secs rate hcpu pcpu
	read -r ok failed <<<"$figs"
	secs=$(echo "$t1 - $t0" | bc)
	rate=$(echo "scale=1; $resources_n / $secs" | bc)
	hcpu=$(echo "scale=1; ($h1 - $h0) / $tck" | bc)
	pcpu=$(echo "scale=1; ($p1 - $p0) / $tck" | bc)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$round" "$cfg" "$(date -u +%FT%TZ)" "$ok" "$failed" "$rc" "$secs" "$rate" "$hcpu" "$pcpu" "$size" \
		"$vsecs" "$verdict" "$asecs" "$vasecs" "$averdict" "$la0" "$la1" "$conns" "$idx" \
		"$(cat "$dir/hapi-settings")" "$pgset" "$vwsecs" >>"$results"
	say "round $round, $cfg: $rate resources/s, $failed failed, HAPI ${hcpu} CPU-s, PostgreSQL ${pcpu} CPU-s, ${size} MB, verify ${vsecs}s: $verdict (load $la0 -> $la1)"
}

# table: the runs in Markdown, each with its ratio to the stock run of its round (rate, and
# HAPI's and PostgreSQL's CPU seconds per resource, steadier on a shared machine).
table() {
	python3 - "$results" <<'EOF'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def f(x):
    try: return float(x)
    except ValueError: return None
stock = {r[0]: r for r in rows if r[1] == "stock"}
print("| round | configuration | resources/s | rate ÷ stock | failed | HAPI CPU ms/res | ÷ stock | PG CPU ms/res | ÷ stock | PG MB | verify s (again, after ANALYZE) | load avg before -> after |")
print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
ratios = collections.defaultdict(list)
for r in rows:
    n = f(r[3]) or 1
    rate, h, p = f(r[7]), f(r[8]) * 1000 / n, f(r[9]) * 1000 / n
    s = stock.get(r[0])
    if s:
        sn = f(s[3]) or 1
        rr, hr, pr = rate / f(s[7]), h / (f(s[8]) * 1000 / sn), p / (f(s[9]) * 1000 / sn)
        ratios[r[1]].append((rr, hr, pr))
        q = (f"{rr:.2f}", f"{hr:.2f}", f"{pr:.2f}")
    else:
        q = ("-", "-", "-")
    again = r[22] if len(r) > 22 else "-"
    ver = (f"{f(r[11]):.0f}" if f(r[11]) is not None else r[11]) + (f" ({again}, {r[14]})" if r[14] != "-" else "")
    print(f"| {r[0]} | {r[1]} | {rate:.0f} | {q[0]} | {r[4]} | {h:.2f} | {q[1]} | {p:.2f} | {q[2]} | {r[10]} | {ver} {r[12]} | {r[16]} -> {r[17]} |")
print()
print("| configuration | rate ÷ stock (each round) | HAPI CPU/res ÷ stock | PG CPU/res ÷ stock |")
print("|---|---|---|---|")
for c, rs in ratios.items():
    print(f"| {c} | {', '.join(f'{x[0]:.2f}' for x in rs)} | {', '.join(f'{x[1]:.2f}' for x in rs)} | {', '.join(f'{x[2]:.2f}' for x in rs)} |")
EOF
}

# check CONFIG: what the configuration changes for a user of the server, on a small load:
# a DELETE, a search by _profile, a :text search on a token, and a PUT that changes a
# resource's profile. Prints one line per probe.
check() {
	local cfg=$1 dir=$out/check-$1
	rm -rf "$dir"
	mkdir -p "$dir"
	bed_down
	eval "$(HAPI_JAVA_OPTS="${jopts[$cfg]:-}" PG_OPTS="${popts[$cfg]:-}" scripts/testbed up 2>"$dir/up.err")"
	echo "## $cfg: $(grep -m1 'test server settings' "$state/hapi.log" | sed 's/.*settings: //')"
	echo "PostgreSQL: $(sql "select string_agg(name || '=' || current_setting(name), ' ' order by name) from pg_settings
		where name in ('synchronous_commit', 'max_wal_size', 'checkpoint_timeout', 'shared_buffers')")"
	FHIR_BASE_URL=$FHIR_BASE_URL "$bin" upload --quiet -i "$out/data-warm" --failure-log "$dir/failures.log" \
		--checkpoint-dir "$dir/ckpt" --work-dir "$dir" | grep -E '^(Successfully|Failed)' || true
	local base=$FHIR_BASE_URL prof=http://mimic.mit.edu/fhir/mimic/StructureDefinition
	local obs pat
	obs=$(head -1 "$out/data-warm/MimicObservationChartevents.ndjson" | sed -E 's/.*"id":"([^"]+)".*/\1/')
	pat=$(head -1 "$out/data-warm/MimicPatient.ndjson")
	probe() { # probe LABEL CURL-ARGS...: the HTTP status and a short answer
		local label=$1 code
		shift
		code=$(curl -s -o "$dir/probe.json" -w '%{http_code}' -H 'Accept: application/fhir+json' "$@")
		echo "$label: HTTP $code $(python3 -c '
import json, sys
try: d = json.load(open(sys.argv[1]))
except Exception: sys.exit()
if d.get("resourceType") == "Bundle": print("total", d.get("total"))
elif d.get("resourceType") == "OperationOutcome": print(d["issue"][0].get("diagnostics", "")[:150])
else: print("profile", d.get("meta", {}).get("profile"), "tags in meta:", len(d.get("meta", {}).get("tag", [])))
' "$dir/probe.json")"
	}
	probe "search _profile=mimic-observation-chartevents" "$base/Observation?_profile=$prof/mimic-observation-chartevents&_summary=count"
	probe "search code:text=Blood" "$base/Observation?code:text=Blood&_summary=count"
	local id new
	id=$(echo "$pat" | sed -E 's/.*"id":"([^"]+)".*/\1/')
	new=$(echo "$pat" | sed -E "s|$prof/mimic-patient|$prof/mimic-patient-v2|; s/\"gender\":\"(male|female)\"/\"gender\":\"unknown\"/")
	probe "PUT Patient/$id with another profile and gender" -X PUT -H 'Content-Type: application/fhir+json' --data "$new" "$base/Patient/$id"
	probe "GET Patient/$id" "$base/Patient/$id"
	probe "DELETE Observation/$obs" -X DELETE "$base/Observation/$obs"
	probe "POST \$expunge expungeEverything (scripts/testbed reset)" -X POST -H 'Content-Type: application/fhir+json' \
		--data '{"resourceType":"Parameters","parameter":[{"name":"expungeEverything","valueBoolean":true}]}' "$base/\$expunge"
	bed_down
}

if [ "${1:-}" = table ]; then
	table
	exit 0
fi
if [ "${1:-}" = check ]; then
	shift
	go build -o "$bin" ./cmd/minio-to-fhir
	go build -o "$gen" ./tools/fhirgen
	data "$out/data-warm" "$warmup" 77 w
	trap bed_down EXIT
	[ $# -gt 0 ] || set -- stock combined
	for cfg in "$@"; do check "$cfg"; done
	exit 0
fi

go build -o "$bin" ./cmd/minio-to-fhir
go build -o "$gen" ./tools/fhirgen
data "$out/data" "$resources" 21
data "$out/data-warm" "$warmup" 77 w
resources_n=$(cat "$out/data"/Mimic*.ndjson | wc -l)
say "$resources_n resources in $out/data; results in $results"
scripts/testbed build
trap bed_down EXIT
read -r -a configs <<<"${CONFIGS:-${all_configs[*]}}"
for ((r = 1; r <= rounds; r++)); do
	round=${ROUND:-$(date -u +%m%d-%H%M)}
	[ "$rounds" = 1 ] && [ -n "${ROUND:-}" ] || round=$round-$r
	order=$(printf '%s\n' "${configs[@]}")
	[ "${SHUFFLE:-1}" = 0 ] || order=$(echo "$order" | shuf --random-source=<(yes "$r"))
	for cfg in $order; do
		run "$round" "$cfg"
	done
done
table
