package sandbox_test

import (
	"bytes"
	"testing"
	"time"

	"lapak/netzme"
	"lapak/netzme/sandbox"
)

// Seeded state behaves like state the API made: an open invoice is known to
// Get Invoice Transaction and pays with the usual callback; a static
// payment is known to §3.10; the ledger adds up; and the callback bodies the
// Loader returns decode as Netzme's do.
func TestSeedLoaderStateActsLikeTheAPIs(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	now := time.Now()
	var open, closed sandbox.SeededInvoice
	var static sandbox.QRISPayment
	var paidBody, staticBody, withdrawBody []byte
	var paid sandbox.Payment
	err := e.sb.Seed(ctx, func(l *sandbox.Loader) error {
		var err error
		if open, err = l.OpenInvoice(sandbox.SeedInvoice{CustID: e.demo.CustID, PartnerReferenceNo: ref(), PayMethod: "QRIS",
			AmountMinor: 2_500_000, Description: "Nasi goreng", Fullname: "Budi Santoso", CreatedAt: now.Add(-time.Hour),
			ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
			return err
		}
		if closed, err = l.NewInvoice(sandbox.SeedInvoice{CustID: e.demo.CustID, PartnerReferenceNo: ref(), PayMethod: "BANK_TRANSFER",
			FeeType: "on_buyer", AmountMinor: 10_000_000, Description: "Kaos", CreatedAt: now.Add(-48 * time.Hour),
			ExpiresAt: now.Add(-47 * time.Hour)}); err != nil {
			return err
		}
		if paidBody, paid, err = l.PaidCallback(closed, now.Add(-47*time.Hour-30*time.Minute)); err != nil {
			return err
		}
		if err := l.Credit(e.demo.CustID, sandbox.WalletBalance, paid.NetMinor, "seed", now.Add(-47*time.Hour)); err != nil {
			return err
		}
		if static, err = l.StaticQRISPayment(e.demo.CustID, 1_500_000, "Siti", now.Add(-2*time.Hour)); err != nil {
			return err
		}
		if staticBody, err = l.StaticQRISCallback(static); err != nil {
			return err
		}
		wd, err := l.FinishedWithdrawal(e.demo.CustID, ref(), "", 5_000_000, now.Add(-time.Hour), now.Add(-50*time.Minute))
		if err != nil {
			return err
		}
		withdrawBody, err = l.WithdrawCallback(wd)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if open.QRISPayload == "" || open.PaymentURL == "" || len(closed.VirtualAccounts) != 3 {
		t.Errorf("seeded invoices lack Netzme's data: open %+v, closed %+v", open, closed)
	}

	st, err := e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: open.TrxID})
	if err != nil || st.Status != netzme.InvoiceInit || st.AmountMinor != 2_500_000 {
		t.Fatalf("Get Invoice Transaction of a seeded open invoice = %+v, %v; want INIT Rp 25.000", st, err)
	}
	if _, err := e.c.InvoiceTransaction(ctx, netzme.InvoiceTransactionQuery{PartnerReferenceNo: ref(), TrxID: closed.TrxID}); err == nil {
		t.Error("an invoice made with NewInvoice is known to the sandbox; it must not be stored")
	}
	p, err := e.sb.PayInvoice(ctx, open.TrxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.sb.WaitIdle(ctx)
	got := e.rc.all()
	if len(got) != 1 || got[0].Path != "/callbacks/netzme/invoice" {
		t.Fatalf("callbacks after paying the seeded invoice = %+v", got)
	}
	if dec, err := netzme.DecodeInvoiceCallback(got[0].Body); err != nil || dec.OriginalPartnerReferenceNo != open.PartnerReferenceNo || dec.AmountMinor != p.AmountMinor {
		t.Errorf("callback = %+v, %v", dec, err)
	}

	dec, err := netzme.DecodeInvoiceCallback(paidBody)
	if err != nil || !dec.Paid() || dec.AmountMinor != 10_070_000 || dec.NetAmountMinor != 10_000_000 || dec.FeeMinor != 70_000 ||
		dec.OriginalReferenceNo != closed.TrxID || dec.CustIDMerchant != e.demo.CustID {
		t.Errorf("seeded paid callback (on_buyer Rp 100.000) = %+v, %v", dec, err)
	}
	if q, err := netzme.DecodeQRISCallback(staticBody); err != nil || q.RRN != static.RRN || q.AmountMinor != 1_500_000 {
		t.Errorf("seeded static callback = %+v, %v", q, err)
	}
	if w, err := netzme.DecodeWithdrawCallback(withdrawBody); err != nil || w.AmountMinor != 5_000_000 || !bytes.Contains(withdrawBody, []byte(`"SUCCESS"`)) {
		t.Errorf("seeded withdraw callback = %+v, %v", w, err)
	}
	acq, err := e.c.QRISAcquireTransaction(ctx, netzme.QRISAcquireRequest{PartnerReferenceNo: ref(), ReferenceID: static.ReferenceID})
	if err != nil || acq.AmountMinor != 1_500_000 {
		t.Errorf("§3.10 of a seeded static payment = %+v, %v", acq, err)
	}
	b, err := e.sb.Balances(ctx, e.demo.CustID)
	want := paid.NetMinor + (1_500_000 - static.FeeMinor) - 5_000_000 + p.NetMinor
	if err != nil || b.TotalMinor != want {
		t.Errorf("balance = %d, want credit + static net - withdrawal + the new payment = %d (%v)", b.TotalMinor, want, err)
	}
}
