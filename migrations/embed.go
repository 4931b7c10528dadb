// Package migrations holds Lapak's schema as goose SQL migrations, embedded
// so the binary needs no files next to it: the SQLite files here, and the
// same versions for PostgreSQL under postgres/ (see postgres/README.md).
// db.Open applies the ones of its engine at start-up. Never edit a file that
// has been released: add a new one.
package migrations

import "embed"

// FS contains every SQLite migration, named NNNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS

// PostgresFS contains every PostgreSQL migration, under postgres/, with the
// version numbers of the SQLite ones.
//
//go:embed postgres/*.sql
var PostgresFS embed.FS
