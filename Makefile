# Shortcuts; the scripts are the source of truth.
.PHONY: build test demo bench bench-grid bench-scale bench-curve bench-settings bench-bundles testbed-up testbed-down

build:
	go build -o bin/minio-to-fhir ./cmd/minio-to-fhir

test:
	scripts/test

demo:
	scripts/demo

# One table of speed, memory and HAPI rates (bench/README.md); BENCH_FLAGS=-quick for a smoke test.
bench:
	@go run ./tools/benchrun $(BENCH_FLAGS)

# The defaults against a grid of settings, on HAPI with H2 and with PostgreSQL (about an hour).
bench-grid:
	@go run ./tools/benchrun -only grid $(BENCH_FLAGS)

# The plan's memory at 1 M, 3 M and 10 M resources, and a 1 M load into HAPI on
# PostgreSQL, killed at half, resumed and verified (bench/scale.sh; about an hour).
bench-scale:
	@bench/scale.sh all

# HAPI's rate as its tables grow: 5 M resources into HAPI on PostgreSQL with the combined
# first-load settings, a row every 5% (bench/scale.sh curve; SCALE_MINUTES caps it).
bench-curve:
	@bench/scale.sh curve

# HAPI's and PostgreSQL's settings for a first load, one at a time and combined, each into a
# fresh PostgreSQL bed with about 205,000 resources (bench/settings.sh; 13-17 minutes a configuration on 2 busy cores).
bench-settings:
	@bench/settings.sh

# Bundle input: Synthea's default output (30 patients, transaction and collection) loaded,
# loaded again and verified, against blazectl; the HL7 R4 examples' Bundles (bench/bundles.sh).
bench-bundles:
	@bench/bundles.sh all

testbed-up:
	@scripts/testbed up

testbed-down:
	scripts/testbed down
