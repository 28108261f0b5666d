#!/usr/bin/env bash
# bench/scale.sh: the scale benchmark (make bench-scale).
#
#   bench/scale.sh memory        the plan's memory curve: upload --dry-run of 1 M, 3 M
#                                and 10 M MIMIC-demo-shaped resources against a sink
#   bench/scale.sh load [N]      N (default 1,000,000) MIMIC-demo-shaped resources into
#                                HAPI on PostgreSQL with the defaults, killed with
#                                SIGKILL at about half, resumed, then verified; the
#                                server's count, the client's RSS and CPU sampled
#   bench/scale.sh curve [N]     HAPI's rate as its tables grow: N (default 5,000,000)
#                                resources in one run, nothing killed, the bed with
#                                SCALE_CONFIG's settings (bench/server.sh; default
#                                combined), for at most SCALE_MINUTES minutes (default no
#                                limit; then the client is stopped with SIGINT); a row
#                                every 5% of N: the rate, HAPI's and PostgreSQL's CPU per
#                                resource, PostgreSQL's size
#   bench/scale.sh all           memory and load
#
# Data, beds and logs go to $SCALE_DIR (default /tmp/m2f-scale); each run
# prints a table in Markdown for bench/RESULTS.md. Needs about 12 GB of disk
# for the 10 M data set. The load starts its own PostgreSQL bed (HAPI on
# 127.0.0.1:25080, PostgreSQL on 32432) and stops it at the end unless
# SCALE_KEEP_BED=1.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=bench/server.sh
. bench/server.sh
out=${SCALE_DIR:-/tmp/m2f-scale}
mkdir -p "$out"
bin=$out/minio-to-fhir
gen=$out/fhirgen
go build -o "$bin" ./cmd/minio-to-fhir
go build -o "$gen" ./tools/fhirgen
# The demo's shape: about 72% chartevents (synth.DemoChartScale).
chart_scale=6

# data N: the folder of about N MIMIC-demo-shaped resources (made once).
data() {
	local n=$1 dir=$out/data-$1
	if [ ! -f "$dir/manifest.json" ]; then
		rm -rf "$dir"
		"$gen" -o "$dir" -resources "$n" -chart-scale "$chart_scale" -seed 21 -q
	fi
	echo "$dir"
}

# field NAME FILE: a figure of /usr/bin/time -v.
field() { sed -n "s/^[[:space:]]*$1: //p" "$2"; }

memory() {
	local sink_log=$out/sink.log
	go run ./tools/benchrun -sink >"$out/sink.url" 2>"$sink_log" &
	local sink=$!
	trap 'kill $sink 2>/dev/null || true' RETURN
	for _ in $(seq 100); do [ -s "$out/sink.url" ] && break; sleep 0.2; done
	local url
	url=$(cat "$out/sink.url")
	echo "| resources | peak RSS | CPU (user+sys) | wall | work files | references | cycles |"
	echo "|--:|--:|--:|--:|--:|--:|--:|"
	for n in 1000000 3000000 10000000; do
		local dir log
		dir=$(data $n)
		log=$out/dry-$n
		FHIR_BASE_URL=$url WORK_DIR=$out /usr/bin/time -v "$bin" upload -i "$dir" --dry-run \
			--checkpoint-dir "$out/ckpt" >"$log.out" 2>"$log.time"
		local rss user sys wall found work refs cycles
		rss=$(field "Maximum resident set size (kbytes)" "$log.time")
		user=$(field "User time (seconds)" "$log.time")
		sys=$(field "System time (seconds)" "$log.time")
		wall=$(field "Elapsed (wall clock) time (h:mm:ss or m:ss)" "$log.time")
		found=$(sed -n 's/^Found .* (\(.*\) resources total)$/\1/p' "$log.out")
		work=$(sed -n 's/^Work files: \(.*\) in the work directory.*/\1/p' "$log.out")
		refs=$(sed -n 's/^References: \([0-9,]*\) to resources.*/\1/p' "$log.out")
		cycles=$(sed -n 's/^Reference cycles: \([0-9,]*\) .*/\1/p' "$log.out")
		printf '| %s | %d MiB | %.1f s | %s | %s | %s | %s |\n' "$found" $((rss / 1024)) \
			"$(echo "$user + $sys" | bc)" "$wall" "${work:--}" "${refs:--}" "${cycles:-0}"
	done
}

# sample PID FILE: every 10 s, the server's resources, and the client's RSS
# and CPU seconds, until PID ends.
sample() {
	local pid=$1 file=$2 tick
	tick=$(getconf CLK_TCK)
	while kill -0 "$pid" 2>/dev/null; do
		local rss cpu n
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		cpu=$(awk -v t="$tick" '{printf "%.1f", ($14 + $15) / t}' "/proc/$pid/stat" 2>/dev/null || echo 0)
		n=$(psql "$FHIR_DB" -Atc "select count(*) from hfj_resource" 2>/dev/null || echo "?")
		echo "$(date +%s) $n ${rss:-0} $cpu" >>"$file"
		sleep 10
	done
}

# peak PID: the peak RSS of a running process, in KiB.
peak() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

load() {
	local n=${1:-1000000} dir
	dir=$(data "$n")
	local bed_env=(TESTBED_STATE_ROOT="$out/beds" HAPI_PORT=25080 MINIO_PORT=25090 HAPI_DB=postgres TESTBED_SERVICES=hapi)
	eval "$(env "${bed_env[@]}" scripts/testbed up)"
	[ "${SCALE_KEEP_BED:-}" = 1 ] || trap 'env '"${bed_env[*]}"' scripts/testbed down' EXIT
	env "${bed_env[@]}" scripts/testbed reset >/dev/null
	local run=$out/load-$n
	rm -rf "$run"
	mkdir -p "$run"
	local total
	total=$(python3 -c "import json;print(json.load(open('$dir/manifest.json'))['resources'])")
	local args=(upload -i "$dir" --failure-log "$run/failures.log" --checkpoint-dir "$run/ckpt" --report "$run/report.json"
		--report-html "$run/report.html")
	echo "load of $total resources into $FHIR_BASE_URL (PostgreSQL), killed at about half"
	local start=$SECONDS
	FHIR_BASE_URL=$FHIR_BASE_URL WORK_DIR=$run "$bin" "${args[@]}" >"$run/first.out" 2>"$run/first.err" &
	local pid=$!
	sample $pid "$run/samples" &
	local half=$((total / 2)) peak1=0
	while kill -0 $pid 2>/dev/null; do
		peak1=$(peak $pid)
		local now
		now=$(psql "$FHIR_DB" -Atc "select count(*) from hfj_resource")
		if [ "$now" -ge "$half" ]; then
			kill -KILL $pid
			break
		fi
		sleep 2
	done
	wait $pid 2>/dev/null || true
	local killed_at=$((SECONDS - start))
	local at
	at=$(psql "$FHIR_DB" -Atc "select count(*) from hfj_resource")
	echo "killed after ${killed_at}s with $at resources on the server (peak RSS $((peak1 / 1024)) MiB)"
	local resume_start=$SECONDS
	# Each line of the resumed run with the time it was printed: when its
	# first Bundle was answered.
	local t0
	t0=$(date +%s.%N)
	(FHIR_BASE_URL=$FHIR_BASE_URL WORK_DIR=$run /usr/bin/time -v -o "$run/second.err" "$bin" "${args[@]}" 2>"$run/second.stderr" |
		while IFS= read -r l; do echo "$(date +%s.%N) $l"; done >"$run/second.stamped") &
	pid=$!
	sleep 1
	sample "$(pgrep -n -f "$bin upload")" "$run/samples" &
	wait $pid || true
	sed 's/^[0-9.]* //' "$run/second.stamped" >"$run/second.out"
	local resumed=$((SECONDS - resume_start))
	echo "resumed and finished in ${resumed}s; whole load $((SECONDS - start))s"
	grep -E "^(Total resources|Successfully uploaded|Failed|Duration)" "$run/second.out" || true
	echo "resume: peak RSS $(($(field "Maximum resident set size (kbytes)" "$run/second.err") / 1024)) MiB, CPU $(echo "$(field "User time (seconds)" "$run/second.err") + $(field "System time (seconds)" "$run/second.err")" | bc) s"
	local first_batch
	first_batch=$(grep -m1 -E '^[0-9.]+ +Batch [0-9]+' "$run/second.stamped" | cut -d' ' -f1)
	echo "resume: first Bundle answered $(echo "${first_batch:-$t0} - $t0" | bc) s after the start"
	local verify_start=$SECONDS
	FHIR_BASE_URL=$FHIR_BASE_URL WORK_DIR=$run /usr/bin/time -v "$bin" verify -i "$dir" -s 500 >"$run/verify.out" 2>"$run/verify.err" || true
	echo "verify: $((SECONDS - verify_start))s, peak RSS $(($(field "Maximum resident set size (kbytes)" "$run/verify.err") / 1024)) MiB"
	tail -1 "$run/verify.out"
	echo "PostgreSQL on disk: $(psql "$FHIR_DB" -Atc "select pg_size_pretty(pg_database_size(current_database()))")"
	# The same command again: every file is as the load read it.
	local rerun_start
	rerun_start=$(date +%s.%N)
	FHIR_BASE_URL=$FHIR_BASE_URL WORK_DIR=$run "$bin" "${args[@]}" --report-html "$run/rerun.html" >"$run/rerun.out" 2>"$run/rerun.err" || true
	local rerun
	rerun=$(echo "$(date +%s.%N) - $rerun_start" | bc)
	echo "rerun of the unchanged input: ${rerun} s ($(echo "scale=2; 100 * $rerun / $((resume_start - start + resumed))" | bc)% of the load): $(grep -m1 'unchanged since' "$run/rerun.out")"
	echo
	echo "| server holds | at (s) | rate since the last row (resources/s) | client RSS (MiB) | client CPU (s) |"
	echo "|--:|--:|--:|--:|--:|"
	awk -v total="$total" 'NR == 1 {t0 = $1} $2 ~ /^[0-9]+$/ {
		step = int($2 * 10 / total)
		if (step > last) { printf "| %d (%d%%) | %d | %.0f | %d | %s |\n", $2, $2 * 100 / total, $1 - t0, ($2 - n0) / ($1 - tp), $3 / 1024, $4; last = step; n0 = $2; tp = $1 }
		if (NR == 1) { n0 = $2; tp = $1 }
	}' "$run/samples"
}

# curve N: N resources into a fresh bed with SCALE_CONFIG's settings in one run; every
# 20 s the server's count, HAPI's and PostgreSQL's CPU ticks and PostgreSQL's size.
curve() {
	local n=${1:-5000000} cfg=${SCALE_CONFIG:-combined} dir
	dir=$(data "$n")
	local bed_env=(TESTBED_STATE_ROOT="$out/beds" HAPI_PORT=25080 MINIO_PORT=25090 HAPI_DB=postgres TESTBED_SERVICES=hapi)
	local state=$out/beds/bed-25080-25090
	env "${bed_env[@]}" scripts/testbed down >/dev/null 2>&1 || true # a new cluster: some settings hold from the first row
	eval "$(env "${bed_env[@]}" HAPI_JAVA_OPTS="${jopts[$cfg]:-}" PG_OPTS="${popts[$cfg]:-}" scripts/testbed up)"
	[ "${SCALE_KEEP_BED:-}" = 1 ] || trap 'env '"${bed_env[*]}"' scripts/testbed down' EXIT
	local run=$out/curve-$cfg-$n
	rm -rf "$run"
	mkdir -p "$run"
	grep -m1 'test server settings' "$state/hapi.log" | sed 's/.*settings: //' >"$run/hapi-settings"
	local total hapi_pid tck
	total=$(python3 -c "import json;print(json.load(open('$dir/manifest.json'))['resources'])")
	hapi_pid=$(cat "$state/hapi.pid")
	tck=$(getconf CLK_TCK)
	echo "curve: $total resources into $FHIR_BASE_URL (PostgreSQL), settings $cfg: $(cat "$run/hapi-settings")"
	FHIR_BASE_URL=$FHIR_BASE_URL WORK_DIR=$run "$bin" upload -i "$dir" --failure-log "$run/failures.log" \
		--checkpoint-dir "$run/ckpt" --report "$run/report.json" --report-html "$run/report.html" \
		>"$run/load.out" 2>"$run/load.err" &
	local pid=$! start=$SECONDS
	local mins=${SCALE_MINUTES:-0}
	local deadline=$((mins > 0 ? start + mins * 60 : 0))
	curve_sample() {
		echo "$(date +%s) $(psql "$FHIR_DB" -XAtqc "select count(*) from hfj_resource") $(ticks "$hapi_pid") $(pg_ticks "$state") \
$(psql "$FHIR_DB" -XAtqc "select pg_database_size(current_database())") $(cut -d' ' -f1 /proc/loadavg)" >>"$run/samples"
	}
	while kill -0 $pid 2>/dev/null; do
		curve_sample
		if [ "$deadline" -gt 0 ] && [ "$SECONDS" -ge "$deadline" ]; then
			echo "curve: SCALE_MINUTES=$mins reached; stopping the client with SIGINT"
			kill -INT $pid
			break
		fi
		sleep 20
	done
	wait $pid || true
	curve_sample
	grep -E "^(Total resources|Successfully uploaded|Failed|Duration)" "$run/load.out" || true
	echo
	echo "| server holds | at (s) | resources/s since the last row | HAPI CPU ms/res | PostgreSQL CPU ms/res | PostgreSQL MB | load avg |"
	echo "|--:|--:|--:|--:|--:|--:|--:|"
	awk -v total="$total" -v tck="$tck" '$2 ~ /^[0-9]+$/ {
		if (!started) { t0 = $1; tp = $1; n0 = $2; h0 = $3; p0 = $4; started = 1; next }
		step = int($2 * 20 / total)
		if (step > last && $2 > n0) {
			printf "| %d (%d%%) | %d | %.0f | %.2f | %.2f | %d | %s |\n", $2, $2 * 100 / total, $1 - t0, ($2 - n0) / ($1 - tp),
				($3 - h0) * 1000 / tck / ($2 - n0), ($4 - p0) * 1000 / tck / ($2 - n0), $5 / 1048576, $6
			last = step; tp = $1; n0 = $2; h0 = $3; p0 = $4
		}
	}' "$run/samples"
}

case ${1:-all} in
memory) memory ;;
load) load "${2:-1000000}" ;;
curve) curve "${2:-5000000}" ;;
all)
	memory
	load 1000000
	;;
*)
	echo "usage: bench/scale.sh memory|load [N]|curve [N]|all" >&2
	exit 2
	;;
esac
