package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// clockFreePackages are the directories (from the module root, with their
// subpackages) whose production code must take its time from the one clock
// cmd/web injects: db.Open's now, handlers.Deps.Now, and money's clock.
var clockFreePackages = []string{"db", "handlers", "money"}

// TestOneClock fails on any reference to time.Now (a call or the function
// value), time.Since or time.Until in the non-test Go files of db, handlers
// and money: a second clock there is how NICEPAY tokens came to be purged on
// the wall clock while every other part of a test ran on its fixed date.
func TestOneClock(t *testing.T) {
	root := filepath.Join("..", "..")
	found := map[string][]string{} // file -> offences
	for _, pkg := range clockFreePackages {
		dir := filepath.Join(root, pkg)
		files := 0
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() || !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
				return nil
			}
			files++
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			offences, err := clockReads(rel, src)
			if err != nil {
				return err
			}
			if len(offences) > 0 {
				found[rel] = offences
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s/: %v", pkg, err)
		}
		if files == 0 {
			t.Errorf("%s/ has no Go files: the walk is looking in the wrong place", pkg)
		}
	}

	var files []string
	for f := range found {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		for _, o := range found[f] {
			t.Errorf("%s: take the time from the injected clock (db's now, Deps.Now, money's clock), not the wall clock", o)
		}
	}
}

// clockReads returns "file:line: time.X" for every reference to time.Now,
// time.Since or time.Until in src, whatever name package time is imported
// under; a dot import of time counts as one (its Now would be invisible).
func clockReads(name string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	names := map[string]bool{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path != "time" {
			continue
		}
		switch {
		case imp.Name == nil:
			names["time"] = true
		case imp.Name.Name == ".":
			out = append(out, fmt.Sprintf("%s: dot import of time", fset.Position(imp.Pos())))
		case imp.Name.Name != "_":
			names[imp.Name.Name] = true
		}
	}
	if len(names) == 0 {
		return out, nil
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && names[id.Name] {
			switch sel.Sel.Name {
			case "Now", "Since", "Until":
				out = append(out, fmt.Sprintf("%s: time.%s", fset.Position(sel.Pos()), sel.Sel.Name))
			}
		}
		return true
	})
	return out, nil
}

// The detector itself: calls, function values, aliases and dot imports are
// caught; time's other functions and comments are not.
func TestClockReadsFindsEveryForm(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      int
	}{
		{"call", "package p\nimport \"time\"\nvar x = time.Now()\n", 1},
		{"value", "package p\nimport \"time\"\nvar now = time.Now\n", 1},
		{"since and until", "package p\nimport \"time\"\nfunc f(t time.Time) { _ = time.Since(t); _ = time.Until(t) }\n", 2},
		{"aliased", "package p\nimport tm \"time\"\nvar x = tm.Now().UTC()\n", 1},
		{"dot import", "package p\nimport . \"time\"\nvar x = Now()\n", 1},
		{"other time functions", "package p\nimport \"time\"\nvar x = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Hour)\n", 0},
		{"comment only", "package p\nimport \"time\"\n// time.Now is not used here.\nvar x time.Duration\n", 0},
		{"a field called Now", "package p\nimport \"time\"\ntype D struct{ Now func() time.Time }\nfunc f(d D) time.Time { return d.Now() }\n", 0},
	} {
		got, err := clockReads(tc.name+".go", []byte(tc.src))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != tc.want {
			t.Errorf("%s: found %q, want %d", tc.name, got, tc.want)
		}
	}
}
