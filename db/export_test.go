package db

// ParseStoredTimeForTest exposes parseStoredTime to the external tests.
var ParseStoredTimeForTest = parseStoredTime

// SeedLedgerForTest exposes seedLedger (a realistic journal) to the external
// tests.
var SeedLedgerForTest = seedLedger

// SetReadAheadHook sets (nil: removes) the hook the export reader runs
// after handing over each batch.
func SetReadAheadHook(f func()) { readAheadHook = f }
