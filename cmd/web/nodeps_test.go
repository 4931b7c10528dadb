package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestShippedCodeLinksNoTestPackages keeps testing and net/http/httptest out
// of the binary: only *_test.go files and the helper packages named *test
// (db/dbtest, netzme/sandbox/sandboxtest) may import them. `go list -deps
// ./cmd/web` says the same, but needs the go tool at test time.
func TestShippedCodeLinksNoTestPackages(t *testing.T) {
	root := filepath.Join("..", "..")
	banned := map[string]bool{"testing": true, "net/http/httptest": true}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || strings.HasSuffix(name, "test")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); banned[p] {
				t.Errorf("%s imports %s: move it to a *_test.go file or a *test helper package", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files under %s: wrong root?", checked, root)
	}
}
