package handlers

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"lapak/db"
	"lapak/views"
)

// hasBoth reports whether key has a message in Indonesian and in English.
func hasBoth(key string) bool {
	id := context.Background()
	en := views.WithLang(id, views.LangEN)
	return views.HasMessage(key) && views.T(id, key) != "" && views.T(en, key) != ""
}

// Every value the database may hold is shown as a word: each status, kind
// and role has its catalogue key in both languages, built from db's own
// lists where it exports them, so a new value without words fails here.
func TestCatalogueCoversEveryStoredValue(t *testing.T) {
	var keys []string
	add := func(prefix string, values ...string) {
		for _, v := range values {
			keys = append(keys, prefix+v)
		}
	}
	strs := func(vs any) []string {
		var out []string
		switch vs := vs.(type) {
		case []db.InvoiceStatus:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []db.CallbackStatus:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []db.CallbackKind:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []db.Role:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []db.WithdrawalStatus:
			for _, v := range vs {
				out = append(out, string(v))
			}
		}
		return out
	}
	invoice := strs(db.InvoiceStatuses)
	add("invoice.status.", invoice...)
	add("txstatus.", invoice...)
	for _, src := range views.EventSources {
		add("timeline."+src+".", invoice...)
	}
	callback := strs(append(slices.Clone(db.CallbackStatuses), db.CallbackReceived, db.CallbackResolved, db.CallbackStored))
	add("notif.status.", callback...)
	add("notif.summary.", callback...)
	add("audit.action.callback.", callback...)
	add("notif.kind.", strs(db.CallbackKinds)...)
	add("notif.summary.applied.", strs(db.CallbackKinds)...)
	add("role.", strs(db.Roles)...)
	// db exports no list of these; its constants are named so a rename
	// breaks the build here.
	withdrawal := strs([]db.WithdrawalStatus{db.WithdrawalAwaitingApproval, db.WithdrawalUnknown, db.WithdrawalPending,
		db.WithdrawalSuccess, db.WithdrawalFailed, db.WithdrawalCancelled})
	add("withdrawal.status.", withdrawal...)
	add("withdrawal.explain.", withdrawal...)
	add("txstatus.", withdrawal...)
	add("splitfee.status.", string(db.SplitFeeUnknown), string(db.SplitFeeSuccess), string(db.SplitFeeFailed))
	add("actionstatus.", string(db.ActionUnknown), string(db.ActionOK), string(db.ActionFailed))
	add("cvs.state.", db.CVSOpen, db.CVSPaid, db.CVSExpired)
	add("txstatus.", db.CVSOpen, db.CVSPaid, db.CVSExpired)
	// What Netzme's transaction lists say (spec §3.4, §3.25), and Lapak's
	// own history rows.
	add("txtype.", "PAYMENT", "TOP_UP", "WITHDRAW", "DEDUCT", "INVOICE", "QRIS_STATIC")
	// The history's types, statuses and match states (issue 12 §5).
	for _, v := range db.HistoryTypes {
		add("history.type.", string(v))
	}
	for _, v := range db.HistoryStatuses {
		add("history.status.", string(v))
	}
	for _, v := range db.MatchStates {
		add("history.match.", string(v))
	}
	add("txstatus.", "success", "pending", "expired", "failed", "paid")
	add("qr.stamp.", "paid", "expired", "failed")
	add("qris.print.warn.", "paid", "expired", "failed")
	for _, k := range keys {
		if !hasBoth(k) {
			t.Errorf("catalogue key %q is missing (or empty in a language)", k)
		}
	}
}

// auditLiteral finds action codes written as literals: auditEntry(r,
// "x", …), audit(r, "x", …), loginAudit(r, "x", …), Action: "x",
// Action = "x" and action, … := "x", "y".
var auditLiteral = []*regexp.Regexp{
	regexp.MustCompile(`(?:auditEntry|audit|loginAudit)\([a-zA-Z]+,\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`),
	regexp.MustCompile(`Action(?::|\s*=)\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`),
	regexp.MustCompile(`action, [a-z]+ :?= "([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`),
	regexp.MustCompile(`action, [a-z]+ = "([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`),
	regexp.MustCompile(`(?:create|answer): "([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`), // money's invoice flows
}

// Every audit action Lapak writes reads as a sentence on the audit page.
// The codes are found in the source itself (every non-test Go file of the
// module), so a new action without a sentence fails here; codes built at
// run time are listed by hand below.
func TestCatalogueHasASentenceForEveryAuditAction(t *testing.T) {
	codes := map[string]string{} // code → where
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range auditLiteral {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				codes[m[1]] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Built at run time: "pin." + action (pin.go), "callback." + outcome
	// status (callbacks.go, covered with every status in the test above).
	for _, c := range []string{"pin.create", "pin.forgot"} {
		codes[c] = "built at run time"
	}
	// The scan must see the forms in use today, or it would pass vacuously.
	for _, c := range []string{"invoice.create", "withdrawal.answer", "qris.sticker_check", "user.login.failed",
		"merchant.provision", "cvs.paid", "withdrawal.resolve", "user.enable"} {
		if codes[c] == "" {
			t.Errorf("the source scan did not find %q; has the audit code changed shape?", c)
		}
	}
	t.Logf("%d audit actions", len(codes))
	for code, where := range codes {
		if !hasBoth("audit.action." + code) {
			t.Errorf("audit action %q (%s) has no sentence audit.action.%s", code, where, code)
		}
	}
}
