package db

// ParseStoredTimeForTest exposes parseStoredTime to the external tests.
var ParseStoredTimeForTest = parseStoredTime
