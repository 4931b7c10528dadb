// Package migrations holds Lapak's SQLite schema as goose SQL migrations,
// embedded so the binary needs no files next to it. db.Open applies them at
// start-up. Never edit a file that has been released: add a new one.
package migrations

import "embed"

// FS contains every migration, named NNNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
