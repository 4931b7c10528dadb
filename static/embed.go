// Package static embeds Lapak's CSS and JavaScript so the binary serves them
// itself: no CDN, no network at run time.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

// FS holds the assets, served under /static/.
//
//go:embed app.css app.js kasir.css kasir.js
var FS embed.FS

var (
	versionsOnce sync.Once
	versions     map[string]string
)

// URL returns the fingerprinted URL of the asset name ("app.css" →
// "/static/app.css?v=<12 hex of its SHA-256>"). Because the URL changes with
// the content, the server may tell browsers to cache it for a year. An
// unknown name returns its plain URL, which then 404s visibly.
func URL(name string) string {
	versionsOnce.Do(func() {
		versions = map[string]string{}
		entries, _ := fs.ReadDir(FS, ".")
		for _, e := range entries {
			b, err := FS.ReadFile(e.Name())
			if err != nil {
				continue
			}
			sum := sha256.Sum256(b)
			versions[e.Name()] = hex.EncodeToString(sum[:6])
		}
	})
	if v, ok := versions[name]; ok {
		return "/static/" + name + "?v=" + v
	}
	return "/static/" + name
}
