package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lapak/db"
	"lapak/snap/nicepay"
)

func TestMerchantStatusCheckRecordsAndShowsLastKnown(t *testing.T) {
	t.Parallel()
	o := newOtherSNAPApp(t, nicepay.VariantDocumented)
	owner, _, m := o.loginAs(t, db.RoleOwner)
	// The shop's own number (as linking stores it): only its checks are the
	// shop's status.
	if _, err := o.DB.SQL().ExecContext(t.Context(), o.DB.Rebind(`UPDATE merchants SET phone = '6281200261231' WHERE id = ?`), m.ID); err != nil {
		t.Fatal(err)
	}

	page := owner.get("/merchant-status")
	if page.Code != 200 || page.doc.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Fatalf("first visit = %d, want 'never checked'", page.Code)
	}
	if bad := owner.post("/merchant-status", url.Values{"phone": {"12ab"}}); bad.Code != http.StatusUnprocessableEntity ||
		bad.doc.Find(`[data-testid="error-phone"]`).Length() != 1 {
		t.Errorf("invalid phone = %d", bad.Code)
	}

	if res := owner.post("/merchant-status", url.Values{"phone": {"0812-0026-1231"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("check = %d", res.Code)
	}
	page = owner.get("/merchant-status")
	if s := page.doc.Find(`[data-testid="ms-status"]`).Text(); s != "Diterima" {
		t.Errorf("status = %q, want Diterima", s)
	}
	if mid := page.doc.Find(`[data-testid="ms-mid"]`).Text(); !strings.HasPrefix(mid, "ID8273548") {
		t.Errorf("MID = %q", mid)
	}

	// Each documented refusal gets its own message; the last known status stays.
	for _, tc := range []struct{ phone, want string }{
		{"081200261237", "tidak diizinkan"},
		{"081200261239", "gangguan"},
	} {
		owner.post("/merchant-status", url.Values{"phone": {tc.phone}})
		page = owner.get("/merchant-status")
		if f := page.doc.Find(`[data-testid="flash"], .flash`).Text(); !strings.Contains(f, tc.want) {
			t.Errorf("%s: flash = %q, want %q", tc.phone, f, tc.want)
		}
		if s := page.doc.Find(`[data-testid="ms-status"]`).Text(); s != "Diterima" {
			t.Errorf("after a refusal the last known status = %q", s)
		}
	}

	calls, _ := o.DB.APICalls(t.Context(), m.ID, 50)
	var status, tokens int
	for _, c := range calls {
		if c.Provider != "speedcash" {
			t.Errorf("provider %q", c.Provider)
		}
		if c.Endpoint == "merchant_status" {
			status++
		}
		if strings.Contains(c.ResponseBody, "accessToken") {
			t.Errorf("token recorded: %s", c.ResponseBody)
		}
		if c.Endpoint == "token" {
			tokens++
		}
	}
	if status != 3 || tokens != 1 {
		t.Errorf("api_calls: %d status, %d token; want 3 and 1", status, tokens)
	}
	checks, _ := o.DB.MerchantStatusChecks(t.Context(), m.ID, 10)
	if len(checks) != 3 || checks[0].ResponseCode != "5002301" || checks[2].Outcome != "ok" {
		t.Errorf("checks = %+v", checks)
	}
	entries, _ := o.DB.AuditLog(t.Context(), m.ID, 20)
	audits := 0
	for _, e := range entries {
		if e.Action == "merchant_status.check" {
			audits++
		}
	}
	if audits != 3 {
		t.Errorf("audit entries = %d, want 3", audits)
	}

	// Another merchant's owner does not see this merchant's status.
	other := o.newMerchant(t, "Toko Lain")
	u := o.newUser(t, "lain-ms@uji.test", false, other.ID, db.RoleOwner)
	stranger := o.client()
	stranger.mustLogin(t, u.Email)
	if p := stranger.get("/merchant-status"); p.doc.Find(`[data-testid="ms-status"]`).Length() != 0 || p.doc.Find(`[data-testid="ms-row"]`).Length() != 0 {
		t.Error("another merchant's status leaked")
	}
}
