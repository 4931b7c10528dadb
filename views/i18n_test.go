package views

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var verb = regexp.MustCompile(`%[sdv]`)

func TestCatalogueHasBothLanguages(t *testing.T) {
	t.Parallel()
	for key, m := range catalogue {
		if strings.TrimSpace(m.id) == "" || strings.TrimSpace(m.en) == "" {
			t.Errorf("%s: missing a language (id=%q en=%q)", key, m.id, m.en)
		}
		// The same args fill both languages, so their verbs must agree.
		if a, b := verb.FindAllString(m.id, -1), verb.FindAllString(m.en, -1); strings.Join(a, "") != strings.Join(b, "") {
			t.Errorf("%s: format verbs differ: id %v, en %v", key, a, b)
		}
	}
}

// Every literal key a template asks for must exist, or the page would show
// the raw key.
func TestTemplatesUseKnownKeys(t *testing.T) {
	t.Parallel()
	lit := regexp.MustCompile(`T\(ctx, "([a-z0-9_.]+)"\s*[,)]`)
	prefixed := regexp.MustCompile(`"((?:role|error|nav)\.)"\s*\+`)
	files, err := filepath.Glob("*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templ files: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			if !HasMessage(m[1]) {
				t.Errorf("%s: unknown message key %q", f, m[1])
			}
		}
		for _, m := range prefixed.FindAllStringSubmatch(string(src), -1) {
			found := false
			for k := range catalogue {
				found = found || strings.HasPrefix(k, m[1])
			}
			if !found {
				t.Errorf("%s: no message under prefix %q", f, m[1])
			}
		}
	}
	for _, r := range append(Roles, "admin") {
		if !HasMessage("role." + r) {
			t.Errorf("role %q has no label", r)
		}
	}
}

func TestT(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if got := T(ctx, "nav.invoices"); got != "Tagihan" {
		t.Errorf("default language: got %q, want Indonesian", got)
	}
	en := WithLang(ctx, LangEN)
	if got := T(en, "nav.invoices"); got != "Invoices" {
		t.Errorf("English: got %q", got)
	}
	if got := T(en, "flash.user.created", "a@b.c"); got != "User a@b.c added." {
		t.Errorf("args: got %q", got)
	}
	if got := T(ctx, "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: got %q", got)
	}
	for _, tt := range []struct {
		in   string
		want Lang
		ok   bool
	}{{"id", LangID, true}, {"en", LangEN, true}, {"fr", LangID, false}, {"", LangID, false}} {
		if got, ok := ParseLang(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseLang(%q) = %q,%v", tt.in, got, ok)
		}
	}
}
