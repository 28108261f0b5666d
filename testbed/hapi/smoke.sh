#!/usr/bin/env bash
# Smoke test of the HAPI FHIR test server jar: starts it (three ways), checks the behaviour the
# uploader relies on with curl, stops everything it started, and prints "N passed, N failed".
#
#   testbed/hapi/smoke.sh [path/to/hapi-testserver.jar]
#
# Env: SMOKE_PORT_A / SMOKE_PORT_B (default 8093 / 8094, loopback only), SMOKE_START_TIMEOUT (s, 180).
# Needs: java 17, curl, python3 (for reading JSON answers).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
JAR=${1:-$HERE/target/hapi-testserver.jar}
PA=${SMOKE_PORT_A:-8093}
PB=${SMOKE_PORT_B:-8094}
TIMEOUT=${SMOKE_START_TIMEOUT:-180}
WORK=$(mktemp -d /tmp/hapi-smoke.XXXXXX)
PIDS=()
PASS=0
FAIL=0
JSON='Content-Type: application/fhir+json'

[ -f "$JAR" ] || { echo "jar not found: $JAR (build: mvn -B -q -f testbed/hapi/pom.xml package -DskipTests)"; exit 2; }

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
ko() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { # check "description" actual expected
	if [ "$2" = "$3" ]; then ok "$1"; else ko "$1: got [$2], want [$3]"; fi
}
contains() { # contains "description" haystack needle
	case "$2" in *"$3"*) ok "$1" ;; *) ko "$1: [$3] not in [${2:0:400}]" ;; esac
}

# start NAME PORT [ENV=VAL ...]: runs the jar in the background, remembers its pid in PID_<NAME>
start() {
	local name=$1 port=$2
	shift 2
	env "$@" java -Xms1g -Xmx3g -XX:+ExitOnOutOfMemoryError -jar "$JAR" --server.port="$port" \
		>"$WORK/$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	eval "PID_$name=$pid"
}

# wait_ready NAME PORT [curl auth args]: waits for GET /fhir/metadata == 200, prints seconds
wait_ready() {
	local name=$1 port=$2 t0 code pid
	shift 2
	eval "pid=\$PID_$name"
	t0=$(date +%s)
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$@" "http://127.0.0.1:$port/fhir/metadata")
		if [ "$code" = 200 ]; then
			ok "$name ready on port $port after $(($(date +%s) - t0)) s ($(grep -o 'started in [0-9.]* s' "$WORK/$name.log"))"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then ko "$name died during start-up"; tail -30 "$WORK/$name.log"; return 1; fi
		if [ $(($(date +%s) - t0)) -ge "$TIMEOUT" ]; then ko "$name not ready within $TIMEOUT s"; return 1; fi
		sleep 1
	done
}

stop() { # stop NAME
	local pid
	eval "pid=\$PID_$1"
	kill "$pid" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
	kill -9 "$pid" 2>/dev/null
}

# jq-free JSON access: py 'expression over d' < body
py() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }

# ---------------------------------------------------------------------------------------------
echo "# two instances side by side: A (defaults, in-memory) and B (basic auth, client ids ANY)"
start A "$PA"
start B "$PB" HAPI_AUTH_USER=smoke HAPI_AUTH_PASSWORD=pw HAPI_CLIENT_ID_STRATEGY=ANY
wait_ready A "$PA" || exit 1
wait_ready B "$PB" -u smoke:pw || exit 1
A="http://127.0.0.1:$PA/fhir"
B="http://127.0.0.1:$PB/fhir"

check "A metadata is a CapabilityStatement" "$(curl -s "$A/metadata" | py 'd["resourceType"], d["fhirVersion"]')" "CapabilityStatement 4.0.1"

check "PUT Patient/abc" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "$JSON" "$A/Patient/abc" \
	-d '{"resourceType":"Patient","id":"abc","name":[{"family":"Smoke"}]}')" 201
check "GET Patient/abc" "$(curl -s "$A/Patient/abc" | py 'd["name"][0]["family"]')" Smoke

body=$(curl -s -w '\n%{http_code}' -X PUT -H "$JSON" "$A/Observation/o1" \
	-d '{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/missing"}}')
check "reference to missing Patient -> 400" "${body##*$'\n'}" 400
contains "... with HAPI-1094" "$body" "HAPI-1094: Resource Patient/missing not found"

body=$(curl -s -w '\n%{http_code}' -X PUT -H "$JSON" "$A/Patient/123" -d '{"resourceType":"Patient","id":"123"}')
check "numeric client id (ALPHANUMERIC) -> 400" "${body##*$'\n'}" 400
contains "... with HAPI-0960" "$body" "HAPI-0960"

cat >"$WORK/batch.json" <<'EOF'
{"resourceType":"Bundle","type":"batch","entry":[
 {"resource":{"resourceType":"Patient","id":"b1"},"request":{"method":"PUT","url":"Patient/b1"}},
 {"resource":{"resourceType":"Patient","id":"abc","name":[{"family":"Updated"}]},"request":{"method":"PUT","url":"Patient/abc"}},
 {"resource":{"resourceType":"Observation","id":"bo1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/nope"}},"request":{"method":"PUT","url":"Observation/bo1"}}
]}
EOF
statuses='d["type"], [e["response"]["status"] for e in d["entry"]]'
check "batch: 200 batch-response, per-entry statuses" \
	"$(curl -s -X POST -H "$JSON" "$A" --data-binary @"$WORK/batch.json" | py "$statuses")" \
	"batch-response ['201 Created', '200 OK', '400 Bad Request']"

sed 's/"b1"/"g1"/; s#Patient/b1#Patient/g1#' "$WORK/batch.json" | gzip -c >"$WORK/batch.json.gz"
check "batch with Content-Encoding: gzip" \
	"$(curl -s -X POST -H "$JSON" -H 'Content-Encoding: gzip' "$A" --data-binary @"$WORK/batch.json.gz" | py "$statuses")" \
	"batch-response ['201 Created', '200 OK', '400 Bad Request']"

sed 's/"b1"/"x1"/; s#Patient/b1#Patient/x1#' "$WORK/batch.json" >"$WORK/batchx.json"
check "X-Transaction-Semantics accepted (failing entry: falls back to batch)" \
	"$(curl -s -X POST -H "$JSON" -H 'X-Transaction-Semantics: retryCount=1;tryBatchAsTransactionFirst=true' "$A" \
		--data-binary @"$WORK/batchx.json" | py "$statuses")" \
	"batch-response ['201 Created', '200 OK', '400 Bad Request']"
check "X-Transaction-Semantics, all entries fine: answered as transaction-response" \
	"$(curl -s -X POST -H "$JSON" -H 'X-Transaction-Semantics: retryCount=1;tryBatchAsTransactionFirst=true' "$A" \
		-d '{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","id":"x2"},"request":{"method":"PUT","url":"Patient/x2"}}]}' \
		| py "$statuses")" \
	"transaction-response ['201 Created']"

check "conditional (inline match URL) reference resolves on PUT" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "$JSON" "$A/Practitioner/pr1" \
		-d '{"resourceType":"Practitioner","id":"pr1","identifier":[{"system":"urn:sys","value":"v1"}]}') \
$(curl -s -X PUT -H "$JSON" "$A/Observation/c1" \
		-d '{"resourceType":"Observation","id":"c1","status":"final","code":{"text":"x"},"performer":[{"reference":"Practitioner?identifier=urn:sys|v1"}]}' \
		| py 'd["performer"][0]["reference"]')" \
	"201 Practitioner/pr1"

check "transaction with a reference cycle (hasMember/derivedFrom, literal ids)" \
	"$(curl -s -X POST -H "$JSON" "$A" -d '{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Observation","id":"cyc-a","status":"final","code":{"text":"a"},"hasMember":[{"reference":"Observation/cyc-b"}]},"request":{"method":"PUT","url":"Observation/cyc-a"}},
 {"resource":{"resourceType":"Observation","id":"cyc-b","status":"final","code":{"text":"b"},"derivedFrom":[{"reference":"Observation/cyc-a"}]},"request":{"method":"PUT","url":"Observation/cyc-b"}}]}' \
		| py "$statuses")" \
	"transaction-response ['201 Created', '201 Created']"

check "\$import operation is registered" \
	"$(curl -s "$A/metadata" | py '"import" in [o["name"] for o in d["rest"][0].get("operation", [])]')" True

check "\$expunge expungeEverything" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$JSON" "$A/\$expunge" \
	-d '{"resourceType":"Parameters","parameter":[{"name":"expungeEverything","valueBoolean":true}]}')" 200
check "... server is empty afterwards" \
	"$(for t in Patient Observation Practitioner; do curl -s "$A/$t?_summary=count" | py 'd["total"]'; done | tr '\n' ' ')" "0 0 0 "

hdrs=$(curl -s -D - -o /dev/null "$B/metadata")
contains "auth on: no credentials -> 401" "$hdrs" " 401"
contains "... with WWW-Authenticate: Basic" "$hdrs" "WWW-Authenticate: Basic"
check "auth on: wrong credentials -> 401" "$(curl -s -o /dev/null -w '%{http_code}' -u smoke:wrong "$B/metadata")" 401
check "auth on: right credentials -> 200" "$(curl -s -o /dev/null -w '%{http_code}' -u smoke:pw "$B/metadata")" 200
check "client ids ANY: PUT Patient/123 -> 201" "$(curl -s -o /dev/null -w '%{http_code}' -u smoke:pw -X PUT -H "$JSON" \
	"$B/Patient/123" -d '{"resourceType":"Patient","id":"123"}')" 201
check "instances keep separate databases" "$(curl -s -o /dev/null -w '%{http_code}' "$A/Patient/123")" 404

stop A
stop B

# ---------------------------------------------------------------------------------------------
echo "# file-backed database survives a restart"
start C "$PA" HAPI_DB="$WORK/db/hapi"
wait_ready C "$PA" || exit 1
check "PUT Patient/persist" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "$JSON" "$A/Patient/persist" \
	-d '{"resourceType":"Patient","id":"persist"}')" 201
stop C
start C "$PA" HAPI_DB="$WORK/db/hapi"
wait_ready C "$PA" || exit 1
check "GET Patient/persist after restart" "$(curl -s -o /dev/null -w '%{http_code}' "$A/Patient/persist")" 200
stop C

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
