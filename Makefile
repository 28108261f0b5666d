# Shortcuts; the scripts are the source of truth.
.PHONY: build test demo bench bench-grid testbed-up testbed-down

build:
	go build -o bin/minio-to-fhir ./cmd/minio-to-fhir

test:
	scripts/test

demo:
	scripts/demo

# One table of speed, memory and HAPI rates (bench/README.md); BENCH_FLAGS=-quick for a smoke test.
bench:
	@go run ./bench/cmd/benchrun $(BENCH_FLAGS)

# The defaults against a grid of settings, on HAPI with H2 and with PostgreSQL (about an hour).
bench-grid:
	@go run ./bench/cmd/benchrun -only grid $(BENCH_FLAGS)

testbed-up:
	@scripts/testbed up

testbed-down:
	scripts/testbed down
