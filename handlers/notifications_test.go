package handlers

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"lapak/db"
	"lapak/snap"
)

func TestNotificationLogAccessAndFilters(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	a.pendingInvoice(t, a.merchant.ID, "LPK-N1", "trx-N1", 100_000, "")
	a.sendCallback("invoice", invoiceBody("trx-N1", "LPK-N1", "M_TOKO0001", 100_000, 0, a.clock()))
	a.sendCallback("invoice", invoiceBody("trx-N1", "LPK-N1", "M_TOKO0001", 100_000, 0, a.clock()))
	a.sendCallback("qris", qrisBody("QRS000000001", "M_TOKO0001", 50_000, 350))

	owner, _, _ := a.loginAs(t, db.RoleOwner)
	// The filter's days are Jakarta days; every callback came in at a.clock().
	today := a.clock().In(snap.Jakarta)
	for _, tt := range []struct {
		query string
		rows  int
	}{
		{"", 3},
		{"?status=applied", 1},
		{"?status=duplicate", 1},
		{"?status=needs_review&kind=qris", 1},
		{"?kind=withdraw", 0},
		{"?from=" + today.Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly), 3},
		{"?from=" + today.AddDate(0, 0, 1).Format(time.DateOnly), 0},
		{"?to=" + today.AddDate(0, 0, -1).Format(time.DateOnly), 0},
		{"?status=bogus", 3}, // unknown filter values are ignored
	} {
		res := owner.get("/notifications" + tt.query)
		if res.Code != 200 {
			t.Fatalf("GET /notifications%s = %d", tt.query, res.Code)
		}
		if n := res.doc.Find(`[data-testid="notif-row"]`).Length(); n != tt.rows {
			t.Errorf("GET /notifications%s: %d rows, want %d", tt.query, n, tt.rows)
		}
	}
	if res := owner.get("/"); !strings.Contains(res.Body, `href="/notifications"`) {
		t.Error("owner's navigation has no notifications link")
	}
	auditor, _, _ := a.loginAs(t, db.RoleAuditor)
	if res := auditor.get("/notifications"); res.Code != 200 {
		t.Errorf("auditor: %d", res.Code)
	}
	cashier, _, _ := a.loginAs(t, db.RoleCashier)
	if res := cashier.get("/notifications"); res.Code != 403 {
		t.Errorf("cashier: %d, want 403", res.Code)
	}
	// Detail: pretty JSON and what it changed; no admin actions for owners.
	cbs := a.callbacks(t)
	var applied db.Callback
	for _, c := range cbs {
		if c.Status == db.CallbackApplied {
			applied = c
		}
	}
	res := owner.get("/notifications/" + itoa(int(applied.ID)))
	if res.Code != 200 || !strings.Contains(res.doc.Find(`[data-testid="notif-body"]`).Text(), "\n  \"originalPartnerReferenceNo\": \"LPK-N1\"") {
		t.Errorf("detail %d does not show the indented body", res.Code)
	}
	if eff := res.doc.Find(`[data-testid="notif-effect"]`).Text(); !strings.Contains(eff, `"to": "paid"`) {
		t.Errorf("detail does not say what it changed: %q", eff)
	}
	if res.doc.Find(`[data-testid="notif-actions"]`).Length() != 0 {
		t.Error("owner sees administrator actions")
	}
	if res := owner.post("/notifications/"+itoa(int(applied.ID))+"/reapply", nil); res.Code != 403 {
		t.Errorf("owner re-apply: %d, want 403", res.Code)
	}
}

func TestAdminReapplyIsIdempotentAndResolveNeedsANote(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	// The callback arrives before the invoice is known to Lapak: kept for review.
	a.sendCallback("invoice", invoiceBody("trx-LATE", "LPK-LATE", "M_TOKO0001", 400_000, 2_800, a.clock()))
	cb := a.callbacks(t)[0]
	if cb.Reason != "unknown_reference" {
		t.Fatalf("reason %s", cb.Reason)
	}
	iv := a.pendingInvoice(t, a.merchant.ID, "LPK-LATE", "trx-LATE", 400_000, "")
	admin, _ := a.loginAdmin(t)
	path := "/notifications/" + itoa(int(cb.ID))
	if res := admin.get(path); res.doc.Find(`[data-testid="notif-reapply"]`).Length() != 1 {
		t.Fatal("administrator has no re-apply button")
	}
	for range 2 {
		if res := admin.post(path+"/reapply", nil); res.Code != 303 {
			t.Fatalf("re-apply: %d", res.Code)
		}
	}
	if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePaid || got.FeeMinor.Int64 != 2_800 {
		t.Errorf("after re-apply invoice = %s fee %v", got.Status, got.FeeMinor)
	}
	if got := a.callbacks(t)[0]; got.Status != db.CallbackApplied || got.Attempts != 2 {
		t.Errorf("callback = %s after %d runs, want applied after 2", got.Status, got.Attempts)
	}
	actions := a.auditActions(t)
	if !slicesContainsAction(actions, "callback.reapply") || !slicesContainsAction(actions, "callback.reapply.noop") {
		t.Errorf("re-applies not audited: %v", actions)
	}

	// Resolve: a note is required; then audited and final.
	a.sendCallback("invoice", invoiceBody("trx-X", "LPK-X", "M_TOKO0001", 1, 0, a.clock()))
	rv := a.callbacks(t)[0]
	rpath := "/notifications/" + itoa(int(rv.ID)) + "/resolve"
	if res := admin.post(rpath, url.Values{"note": {"  "}}); res.Code != 422 || res.doc.Find(`[data-testid="error-note"]`).Length() != 1 {
		t.Errorf("resolve without note: %d", res.Code)
	}
	if res := admin.post(rpath, url.Values{"note": {"Dicek dengan Netzme: transfer uji"}}); res.Code != 303 {
		t.Fatalf("resolve: %d", res.Code)
	}
	got, _ := a.DB.Callback(t.Context(), 0, rv.ID)
	if got.Status != db.CallbackResolved || got.ResolutionNote != "Dicek dengan Netzme: transfer uji" || !got.ResolvedAt.Time.Equal(a.clock()) {
		t.Errorf("resolved callback = %+v", got)
	}
	if !slicesContainsAction(a.auditActions(t), "callback.resolve") {
		t.Error("resolve not audited")
	}
}
