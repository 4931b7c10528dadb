package db_test

import (
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

// newInvoice creates an intent expiring an hour after the test base time.
func newInvoice(t *testing.T, d *db.DB, merchantID int64, ref string, amount int64) db.Invoice {
	t.Helper()
	iv, err := d.CreateInvoiceIntent(t.Context(), db.NewInvoice{MerchantID: merchantID, PartnerReferenceNo: ref,
		Method: "QRIS", AmountMinor: amount, ExpiresAt: clocktest.Base(t).Add(time.Hour), Description: "Kopi susu"},
		db.AuditEntry{Action: "invoice.create"})
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

func TestInvoiceIntentThenAnswerThenPaidOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		iv := newInvoice(t, d, m.ID, "LPK-1", 2_500_000)
		if iv.Status != db.InvoiceUnknown || iv.FeeType != "on_seller" || iv.Purpose != "sale" {
			t.Fatalf("intent = %+v", iv)
		}
		if _, err := d.CreateInvoiceIntent(ctx, db.NewInvoice{MerchantID: m.ID, PartnerReferenceNo: "LPK-1", Method: "QRIS",
			AmountMinor: 1, ExpiresAt: clocktest.Base(t)}, db.AuditEntry{Action: "invoice.create"}); !errors.Is(err, db.ErrConflict) {
			t.Errorf("reused reference: err = %v, want ErrConflict", err)
		}
		ok, err := d.ChangeInvoice(ctx, iv.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoicePending,
			Source: "netzme", Created: &db.InvoiceCreated{NetzmeTrxID: "trx-1", PaymentURL: "http://pay"}}, db.AuditEntry{})
		if err != nil || !ok {
			t.Fatalf("unknown -> pending: %v, %v", ok, err)
		}
		paid := db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown, db.InvoicePending}, To: db.InvoicePaid, Source: "callback",
			Paid: &db.InvoicePayment{PaidAmountMinor: 2_500_000, FeeMinor: sql.NullInt64{Int64: 17_500, Valid: true},
				NetMinor: sql.NullInt64{Int64: 2_482_500, Valid: true}, PaidAt: clocktest.Base(t)}}
		// Twenty deliveries of the same payment at once: exactly one applies.
		var wg sync.WaitGroup
		var mu sync.Mutex
		applied := 0
		for range 20 {
			wg.Go(func() {
				ok, err := d.ChangeInvoice(ctx, iv.ID, paid, db.AuditEntry{Action: "invoice.paid"})
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					applied++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if applied != 1 {
			t.Errorf("paid applied %d times, want 1", applied)
		}
		// paid never goes back to pending.
		if ok, _ := d.ChangeInvoice(ctx, iv.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown, db.InvoicePending},
			To: db.InvoicePending, Source: "refresh"}, db.AuditEntry{}); ok {
			t.Error("paid invoice moved back to pending")
		}
		got, _ := d.MerchantInvoice(ctx, m.ID, iv.ID)
		if got.Status != db.InvoicePaid || got.NetMinor.Int64 != 2_482_500 || got.NetzmeTrxID != "trx-1" || !got.PaidAt.Valid {
			t.Errorf("invoice = %+v", got)
		}
		ev, _ := d.InvoiceEvents(ctx, iv.ID)
		if len(ev) != 3 || ev[0].Status != db.InvoiceUnknown || ev[1].Status != db.InvoicePending || ev[2].Status != db.InvoicePaid {
			t.Errorf("timeline = %+v", ev)
		}
	})
}

func TestPaidInvoiceNeedsAmounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		m, _ := d.CreateMerchant(t.Context(), db.NewMerchant{Name: "A"})
		iv := newInvoice(t, d, m.ID, "LPK-2", 100)
		if _, err := d.ChangeInvoice(t.Context(), iv.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoicePaid,
			Source: "callback"}, db.AuditEntry{}); err == nil {
			t.Error("invoice marked paid without paid amount and time")
		}
	})
}

func TestInvoicesAreScopedToTheirMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		a, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		b, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "B"})
		ia := newInvoice(t, d, a.ID, "A-1", 100)
		newInvoice(t, d, b.ID, "B-1", 200)
		newInvoice(t, d, b.ID, "B-2_100%", 300)
		if _, err := d.MerchantInvoice(ctx, b.ID, ia.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("merchant B reading A's invoice: err = %v, want ErrNotFound", err)
		}
		page, err := d.Invoices(ctx, b.ID, db.InvoiceFilter{}, "", 1)
		total, _ := d.CountInvoices(ctx, b.ID, db.InvoiceFilter{})
		if err != nil || total != 2 || len(page.Rows) != 1 || page.Rows[0].MerchantID != b.ID || page.Next == "" {
			t.Errorf("B's first page = %+v (total %d), %v", page, total, err)
		}
		// Search syntax (LIKE wildcards, FTS operators) in a search is literal.
		page, _ = d.Invoices(ctx, b.ID, db.InvoiceFilter{Query: "_100%"}, "", 10)
		if total, _ := d.CountInvoices(ctx, b.ID, db.InvoiceFilter{Query: "_100%"}); total != 1 || len(page.Rows) != 1 || page.Rows[0].PartnerReferenceNo != "B-2_100%" {
			t.Errorf("search _100%% = %+v (count %d)", page.Rows, total)
		}
		if page, _ := d.Invoices(ctx, b.ID, db.InvoiceFilter{Query: "A-1"}, "", 10); len(page.Rows) != 0 {
			t.Errorf("B's search found A's invoice")
		}
		if total, _ := d.CountInvoices(ctx, a.ID, db.InvoiceFilter{Status: db.InvoicePaid}); total != 0 {
			t.Errorf("status filter: %d paid, want 0", total)
		}
	})
}
