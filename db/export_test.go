package db

// ParseStoredTimeForTest exposes parseStoredTime to the external tests.
var ParseStoredTimeForTest = parseStoredTime

// SeedLedgerForTest exposes seedLedger (a realistic journal) to the external
// tests.
var SeedLedgerForTest = seedLedger
