// Command loadtest measures Lapak on this machine and prints one Markdown
// table (issue 11 §8): callback ingest against a bare net/http + one-insert
// baseline with the same SQLite pragmas, the pages at two database sizes,
// 50 signed-in clients, a streaming export and what else answers meanwhile,
// idle memory and cold start. Every ratio compares numbers of the same run.
//
//	go run ./cmd/loadtest            # 10k and 1M invoices; long (seeding 1M rows takes minutes)
//	go run ./cmd/loadtest -quick     # tiny sizes and durations, a smoke test
//
// It builds Lapak (go build ./cmd/web), seeds its databases with `lapak
// seed`, and runs Lapak as a child process so that its memory can be read
// from /proc (Linux). Everything talks to 127.0.0.1 only, every phase is
// bounded in requests and time, and the whole run stops by itself (-timeout).
// It lives in cmd/ next to cmd/web: it is a program of the repository, not
// a package of the app, and imports nothing of Lapak.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// roleEnv makes the binary (or the test binary) act as the baseline server
// when it is re-executed by the load test.
const roleEnv = "LAPAK_LOADTEST_ROLE"

func main() {
	if os.Getenv(roleEnv) == "baseline" {
		if err := runBaseline(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	if rep.errors > 0 {
		fmt.Fprintf(os.Stderr, "loadtest: %d requests failed (see the table)\n", rep.errors)
		os.Exit(1)
	}
}
