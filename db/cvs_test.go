package db_test

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

func TestCVSBillLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		now := clocktest.Base(t)
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		other, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "B"})
		nb := db.NewCVSBill{MerchantID: m.ID, PartnerServiceID: "7015", CustomerNo: "89101110", PartnerReferenceNo: "CVS-1",
			CustomerName: "John Test", CustomerPhone: "087771122333", CustomerEmail: "jhon@test.com", GoodsName: "Kopi",
			AmountMinor: 1_000_000, ExpiresAt: now.Add(time.Hour)}
		b, err := d.CreateCVSBill(ctx, nb, db.AuditEntry{Action: "cvs.create"})
		if err != nil {
			t.Fatal(err)
		}
		if b.PayNo != "701589101110" || b.State(now) != db.CVSOpen {
			t.Fatalf("bill = %+v", b)
		}
		if b.State(b.ExpiresAt) != db.CVSExpired {
			t.Errorf("state at expiry = %s, want expired", b.State(b.ExpiresAt))
		}
		nb.PartnerReferenceNo = "CVS-2"
		if _, err := d.CreateCVSBill(ctx, nb, db.AuditEntry{Action: "cvs.create"}); !errors.Is(err, db.ErrConflict) {
			t.Errorf("same payNo: err = %v, want ErrConflict", err)
		}
		if _, err := d.MerchantCVSBill(ctx, other.ID, b.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("other merchant's bill: err = %v, want ErrNotFound", err)
		}
		var first, second bool
		err = d.InTx(ctx, func(tx *db.Tx) error {
			var err error
			if first, err = tx.MarkCVSBillPaid(ctx, b.ID, 1_000_000, now, "P1", "ALMA"); err != nil {
				return err
			}
			second, err = tx.MarkCVSBillPaid(ctx, b.ID, 1_000_000, now, "P2", "ALMA")
			return err
		})
		if err != nil || !first || second {
			t.Fatalf("paid twice? first=%v second=%v err=%v", first, second, err)
		}
		got, _ := d.CVSBillByPayNo(ctx, "701589101110")
		if got.State(now) != db.CVSPaid || got.PaymentRequestID != "P1" || got.PaidAmountMinor.Int64 != 1_000_000 {
			t.Errorf("after payment: %+v", got)
		}
	})
}

func TestNicepayTokensAndExternalIDs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		now := clocktest.Base(t)
		if err := d.SaveNicepayToken(ctx, "h1", "IONPAYTEST", now.Add(15*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if c, err := d.NicepayTokenClient(ctx, "h1", now); err != nil || c != "IONPAYTEST" {
			t.Errorf("live token: %q %v", c, err)
		}
		if _, err := d.NicepayTokenClient(ctx, "h1", now.Add(16*time.Minute)); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("expired token: err = %v", err)
		}
		// The day key is the caller's (handlers use the Jakarta date of the request).
		day, next := now.Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
		if err := d.ClaimNicepayExternalID(ctx, day, "1", "inquiry"); err != nil {
			t.Fatal(err)
		}
		if err := d.ClaimNicepayExternalID(ctx, day, "1", "payment"); !errors.Is(err, db.ErrConflict) {
			t.Errorf("reuse same day: err = %v", err)
		}
		if err := d.ClaimNicepayExternalID(ctx, next, "1", "inquiry"); err != nil {
			t.Errorf("next day: err = %v", err)
		}
	})
}

func TestCVSPaymentInboxIsIdempotent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		p, fresh, err := d.ReceiveCVSPayment(ctx, "PAY-1", "701589101110", 1_000_000, "{}")
		if err != nil || !fresh || p.Status != "received" {
			t.Fatalf("first: %+v %v %v", p, fresh, err)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return tx.FinishCVSPayment(ctx, p.ID, "rejected", 0, 404, "4040012", `{"x":1}`)
		}); err != nil {
			t.Fatal(err)
		}
		again, fresh, err := d.ReceiveCVSPayment(ctx, "PAY-1", "701589101110", 1_000_000, "{}")
		if err != nil || fresh || again.ResponseBody != `{"x":1}` || again.HTTPStatus != 404 {
			t.Fatalf("repeat: %+v %v %v", again, fresh, err)
		}
	})
}

func TestMerchantStatusChecks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		if _, err := d.LastKnownMerchantStatus(ctx, m.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("no checks: err = %v", err)
		}
		id1, err := d.StartMerchantStatusCheck(ctx, m.ID, 0, "6281200261231", "E1", db.AuditEntry{Action: "merchant_status.check"})
		if err != nil {
			t.Fatal(err)
		}
		d.FinishMerchantStatusCheck(ctx, id1, db.MerchantStatusResult{Outcome: "ok", ResponseCode: "2002300",
			Status: sql.NullInt64{Int64: 1, Valid: true}, MID: "ID1", NMID: "ID2"})
		id2, _ := d.StartMerchantStatusCheck(ctx, m.ID, 0, "6281200261231", "E2", db.AuditEntry{Action: "merchant_status.check"})
		d.FinishMerchantStatusCheck(ctx, id2, db.MerchantStatusResult{Outcome: "error", ResponseCode: "5002301"})
		last, err := d.LastKnownMerchantStatus(ctx, m.ID)
		if err != nil || last.ID != id1 || last.Status.Int64 != 1 || last.NMID != "ID2" {
			t.Fatalf("last known = %+v, %v (an error must not hide the last status)", last, err)
		}
		all, _ := d.MerchantStatusChecks(ctx, m.ID, 10)
		if len(all) != 2 || all[0].Outcome != "error" {
			t.Errorf("checks = %+v", all)
		}
		// An ok outcome without a status is refused by the schema.
		id3, _ := d.StartMerchantStatusCheck(ctx, m.ID, 0, "x", "E3", db.AuditEntry{Action: "merchant_status.check"})
		if err := d.FinishMerchantStatusCheck(ctx, id3, db.MerchantStatusResult{Outcome: "ok"}); err == nil {
			t.Error("ok without status accepted")
		}
	})
}
