// Command uploadprof is minio-to-fhir with a CPU profile: benchrun runs it
// once on the client-ceiling data to show where the client's time goes.
//
//	uploadprof -cpuprofile FILE upload -i DIR --fhir-url URL ...
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
)

func main() {
	if len(os.Args) < 3 || os.Args[1] != "-cpuprofile" {
		fmt.Fprintln(os.Stderr, "usage: uploadprof -cpuprofile FILE <minio-to-fhir arguments>")
		os.Exit(2)
	}
	f, err := os.Create(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "uploadprof:", err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "uploadprof:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[3:], os.Stdout, os.Stderr)
	stop()
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "uploadprof:", err)
		code = 1
	}
	os.Exit(code)
}
