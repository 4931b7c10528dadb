package main

import "runtime/debug"

// defaultMemoryLimit is the Go runtime's soft memory limit for the server
// when GOMEMLIMIT does not set one. Lapak's live heap is a few MiB, but a
// sign-in holds 19 MiB for its argon2id hash, and the collector then lets
// the heap grow to twice that before it looks again: an export right after
// a sign-in peaked at 72 MB of RSS, 55 MB under this limit (issue 11: an
// export's peak RSS < 64 MB). Above it the collector works harder (at most
// half the CPU) rather than the process growing; it is not a hard cap.
// Operators set GOMEMLIMIT to choose another (e.g. GOMEMLIMIT=off).
const defaultMemoryLimit = 32 << 20

// setMemoryLimit applies defaultMemoryLimit unless getenv("GOMEMLIMIT") is
// set (the runtime has applied that one itself).
func setMemoryLimit(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
