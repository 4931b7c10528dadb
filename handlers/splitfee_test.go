package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"lapak/db"
	"lapak/netzme"
	"lapak/netzme/sandbox"
)

func TestTopupAndSplitFeeInsufficientThenDoneOnce(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	// A paid sale to deduct a fee for.
	iv := m.createInvoice(t, c, invoiceForm())
	if _, err := m.sb.Sandbox.PayInvoice(t.Context(), iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	c.post("/invoices/"+strconv.FormatInt(iv.ID, 10)+"/refresh", nil)
	form := url.Values{"invoice_id": {strconv.FormatInt(iv.ID, 10)}, "fee": {"Rp 1.000"}, "product_name": {"Kopi"}}
	// Empty deposit: 4030014, nothing recorded as deducted.
	c.post("/deposits/splitfee", form).wantStatus(t, http.StatusSeeOther)
	fees, _ := m.DB.SplitFees(t.Context(), m.merchant.ID, 0)
	if len(fees) != 1 || fees[0].Status != db.SplitFeeFailed || fees[0].FailureCode != "insufficient" {
		t.Fatalf("insufficient: %+v", fees)
	}
	// Top up through a top-up invoice paid in the sandbox.
	res := c.post("/deposits/topup", url.Values{"amount": {"Rp 50.000"}, "method": {"QRIS"}}).wantStatus(t, http.StatusSeeOther)
	top := m.createdInvoiceAt(t, res)
	if top.Purpose != "topup_deposit" {
		t.Fatalf("top-up purpose %q", top.Purpose)
	}
	if _, err := m.sb.Sandbox.PayInvoice(t.Context(), top.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	b, _ := m.sb.Sandbox.Balances(t.Context(), m.demo.CustID)
	if b.DepositMinor <= 0 {
		t.Fatalf("deposit after top-up: %d", b.DepositMinor)
	}
	c.post("/deposits/splitfee", form).wantStatus(t, http.StatusSeeOther)
	c.post("/deposits/splitfee", form).wantStatus(t, http.StatusSeeOther) // a repeat
	after, _ := m.sb.Sandbox.Balances(t.Context(), m.demo.CustID)
	if b.DepositMinor-after.DepositMinor != 100_000 {
		t.Errorf("deposit dropped by %d, want 100000", b.DepositMinor-after.DepositMinor)
	}
	fees, _ = m.DB.SplitFees(t.Context(), m.merchant.ID, 0)
	if len(fees) != 2 || fees[0].Status != db.SplitFeeSuccess {
		t.Errorf("fees: %+v", fees)
	}
	// Unknown outcome at Netzme (applied), then the safe retry sees 4090001.
	iv2 := m.createInvoice(t, c, invoiceForm())
	m.sb.Sandbox.PayInvoice(t.Context(), iv2.NetzmeTrxID, 0)
	c.post("/invoices/"+strconv.FormatInt(iv2.ID, 10)+"/refresh", nil)
	m.sb.Sandbox.InjectFault(string(netzme.EndpointDeductDepositSplitFee), sandbox.Fault{Kind: sandbox.Fault500, Apply: true})
	c.post("/deposits/splitfee", url.Values{"invoice_id": {strconv.FormatInt(iv2.ID, 10)}, "fee": {"500"}}).wantStatus(t, http.StatusSeeOther)
	fees, _ = m.DB.SplitFees(t.Context(), m.merchant.ID, 0)
	if fees[0].Status != db.SplitFeeUnknown {
		t.Fatalf("after 500: %+v", fees[0])
	}
	c.post("/deposits/splitfee/"+strconv.FormatInt(fees[0].ID, 10)+"/retry", nil).wantStatus(t, http.StatusSeeOther)
	sf, _ := m.DB.MerchantSplitFee(t.Context(), m.merchant.ID, fees[0].ID)
	if sf.Status != db.SplitFeeSuccess || sf.FailureCode != "duplicate" {
		t.Errorf("after retry: %+v", sf)
	}
	final, _ := m.sb.Sandbox.Balances(t.Context(), m.demo.CustID)
	if after.DepositMinor-final.DepositMinor != 50_000 {
		t.Errorf("second fee deducted %d, want 50000 once", after.DepositMinor-final.DepositMinor)
	}
	// Auditors read deposits but cannot act.
	aud, _, _ := m.loginAs(t, db.RoleAuditor)
	aud.get("/deposits").wantStatus(t, http.StatusOK)
	aud.post("/deposits/splitfee", form).wantStatus(t, http.StatusForbidden)
	aud.post("/deposits/topup", url.Values{"amount": {"10000"}}).wantStatus(t, http.StatusForbidden)
}

func (m *moneyApp) createdInvoiceAt(t *testing.T, res *response) db.Invoice {
	t.Helper()
	id, ok := parseID(res.Header.Get("Location")[len("/invoices/"):])
	if !ok {
		t.Fatalf("redirect %q", res.Header.Get("Location"))
	}
	iv, err := m.DB.MerchantInvoice(t.Context(), m.merchant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}
