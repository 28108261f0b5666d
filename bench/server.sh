# bench/server.sh: sourced by bench/settings.sh and bench/scale.sh: HAPI's and
# PostgreSQL's settings for a first load, by name, and how to read their CPU time.
# shellcheck shell=bash

# The configurations: NAME, HAPI's Java options, PostgreSQL's options.
declare -A jopts popts
all_configs=(stock mass nodelete inline idxopt notext jdbcbatch pool synccommit wal shbuf combined)
jopts[stock]=""
jopts[mass]="-Dhapi.fhir.mass_ingestion_mode_enabled=true"
jopts[nodelete]="-Dhapi.fhir.delete_enabled=false -Dhapi.fhir.match_url_cache_enabled=true"
jopts[inline]="-Dhapi.fhir.tag_storage_mode=INLINE"
jopts[idxopt]="-Dhapi.fhir.index_storage_optimized=true"
jopts[notext]="-Dhapi.fhir.suppress_string_indexing_in_tokens=true"
jopts[jdbcbatch]="-Dhibernate.jdbc.batch_size=50 -Dhibernate.order_inserts=true -Dhibernate.order_updates=true"
jopts[pool]="-Dspring.datasource.hikari.maximum-pool-size=30"
popts[synccommit]="-c synchronous_commit=off"
popts[wal]="-c max_wal_size=8GB -c checkpoint_timeout=30min"
popts[shbuf]="-c shared_buffers=2GB"
jopts[combined]="${jopts[mass]} ${jopts[nodelete]} ${jopts[inline]} ${jopts[idxopt]} ${jopts[notext]} ${jopts[jdbcbatch]} ${jopts[pool]}"
popts[combined]="${popts[synccommit]} ${popts[wal]} ${popts[shbuf]}"

# ticks PID...: utime + stime of the processes, in clock ticks.
ticks() {
	local p sum=0 stat
	for p in "$@"; do
		# A process may end between its listing and this read.
		stat=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086 # the fields of /proc/PID/stat
		set -- $stat
		[ $# -ge 13 ] || continue
		sum=$((sum + ${12} + ${13}))
	done
	echo $sum
}

# pg_ticks STATE: PostgreSQL's CPU so far, of the bed whose state folder is STATE: the
# postmaster's own and its ended children's (cutime + cstime), plus its live children's.
pg_ticks() {
	local state=$1 pm f
	pm=$(head -1 "$state/pg/data/postmaster.pid" 2>/dev/null || cat "$state/pg.pid")
	f=$(sed 's/.*) //' "/proc/$pm/stat")
	set -- $f
	echo $((${12} + ${13} + ${14} + ${15} + $(ticks $(pgrep -P "$pm"))))
}
