package handlers

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/money"
	"lapak/snap"
)

const testCallbackToken = "Z3kwbFV5bTZnSTNjSmhlNDhDa2d0UjRORk1abW5NSmVZbTJp"

// callbackApp is a testApp whose handler knows the callback token and has
// one merchant linked to Netzme id M_TOKO0001 (the app's default merchant,
// so loginAs gives its users).
func callbackApp(t testing.TB, opts ...testOption) *testApp {
	t.Helper()
	a := newTestApp(t, opts...)
	a.handler.callbackToken = testCallbackToken
	m, err := a.DB.CreateMerchant(t.Context(), db.NewMerchant{Name: "Toko Uji", NetzmeCustID: "M_TOKO0001", City: "Jakarta"})
	if err != nil {
		t.Fatal(err)
	}
	a.merchant = m
	return a
}

// pendingInvoice creates an invoice of merchantID as the invoice pages do:
// intent, then Netzme's answer (pending with trxId).
func (a *testApp) pendingInvoice(t testing.TB, merchantID int64, ref, trxID string, amountMinor int64, feeType string) db.Invoice {
	t.Helper()
	ctx := t.Context()
	iv, err := a.DB.CreateInvoiceIntent(ctx, db.NewInvoice{MerchantID: merchantID, PartnerReferenceNo: ref, Method: "QRIS",
		AmountMinor: amountMinor, FeeType: feeType, ExpiresAt: a.clock().Add(time.Hour)}, db.AuditEntry{Action: "invoice.create"})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := a.DB.ChangeInvoice(ctx, iv.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoicePending,
		Source: "netzme", Created: &db.InvoiceCreated{NetzmeTrxID: trxID, NetzmeInvoiceID: "NETZ-INV-" + ref}}, db.AuditEntry{})
	if err != nil || !ok {
		t.Fatalf("invoice %s -> pending: %v %v", ref, ok, err)
	}
	return iv
}

func (a *testApp) invoice(t testing.TB, merchantID, id int64) db.Invoice {
	t.Helper()
	iv, err := a.DB.MerchantInvoice(t.Context(), merchantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

// invoiceBody is a §3.15 callback shaped like the spec's Example 1.
func invoiceBody(trxID, ref, custID string, amount, fee int64, paidAt time.Time) string {
	return fmt.Sprintf(`{"originalReferenceNo":%q,"originalPartnerReferenceNo":%q,"latestTransactionStatus":"00",
"transactionStatusDesc":"Success","amount":{"value":%q,"currency":"IDR"},"netAmount":{"value":%q,"currency":"IDR"},
"feeAmount":{"value":%q,"currency":"IDR"},"additionalInfo":{"custIdMerchant":%q,"paymentTime":%q,"paymentMethod":"QRIS",
"rrn":"481259805795","localTrasactionDate":20240422,"issuerId":"93600814"},"isSplitfee":false,"splitFees":[]}`,
		trxID, ref, snap.FormatAmount(amount), snap.FormatAmount(amount-fee), snap.FormatAmount(fee), custID,
		paidAt.In(snap.Jakarta).Format("2006-01-02T15:04:05.000-07:00"))
}

// qrisBody is a §3.16 static-QRIS callback.
func qrisBody(rrn, custID string, amount, fee int64) string {
	return fmt.Sprintf(`{"originalReferenceNo":%q,"amount":{"value":%q,"currency":"IDR"},"netAmount":{"value":%q,"currency":"IDR"},
"feeAmount":{"value":%q,"currency":"IDR"},"latestTransactionStatus":"00","transactionStatusDesc":"Success",
"additionalInfo":{"invoiceNumber":"123","custIdMerchant":%q,"buyerFullname":"Pembeli_____","issuerName":"Netzme",
"type":"pay_qris","rrn":%q,"localTrasactionDate":"20261121","issuerId":"93600814"}}`,
		rrn, snap.FormatAmount(amount), snap.FormatAmount(amount-fee), snap.FormatAmount(fee), custID, rrn)
}

type cbResponse struct {
	Code int
	Body string
	Ack  struct {
		ResponseCode   string `json:"responseCode"`
		AdditionalInfo struct {
			OriginalPartnerReferenceNo string `json:"originalPartnerReferenceNo"`
			OriginalReferenceNo        string `json:"originalReferenceNo"`
		} `json:"additionalInfo"`
	}
}

// sendCallback posts body to /callbacks/netzme/<kind> as Netzme does; hdr
// are header name/value pairs that override the defaults.
func (a *testApp) sendCallback(path, body string, hdr ...string) cbResponse {
	req := httptest.NewRequest(http.MethodPost, "/callbacks/netzme/"+path, strings.NewReader(body))
	req.RemoteAddr = "203.0.113.9:40000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-callback-token", testCallbackToken)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	rec := httptest.NewRecorder()
	a.routes.ServeHTTP(rec, req)
	out := cbResponse{Code: rec.Code, Body: rec.Body.String()}
	json.Unmarshal(rec.Body.Bytes(), &out.Ack)
	return out
}

func (a *testApp) callbacks(t testing.TB) []db.Callback {
	t.Helper()
	p, err := a.DB.Callbacks(t.Context(), db.CallbackFilter{}, "", 10_000)
	if err != nil {
		t.Fatal(err)
	}
	return p.Rows
}

func countStatus(cbs []db.Callback, s db.CallbackStatus) int {
	n := 0
	for _, c := range cbs {
		if c.Status == s {
			n++
		}
	}
	return n
}

func TestInvoiceCallbackMarksInvoicePaidWithGrossFeeNet(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	iv := a.pendingInvoice(t, a.merchant.ID, "LPK-0001", "trx-0001", 2_000_000, "on_seller")
	res := a.sendCallback("invoice", invoiceBody("trx-0001", "LPK-0001", "M_TOKO0001", 2_000_000, 14_000, a.clock().Add(time.Minute)))
	if res.Code != 200 || res.Ack.ResponseCode != "2000000" {
		t.Fatalf("answer = %d %s, want 200 2000000", res.Code, res.Body)
	}
	if res.Ack.AdditionalInfo.OriginalPartnerReferenceNo != "LPK-0001" || res.Ack.AdditionalInfo.OriginalReferenceNo != "trx-0001" {
		t.Errorf("ack does not echo the references: %s", res.Body)
	}
	got := a.invoice(t, a.merchant.ID, iv.ID)
	if got.Status != db.InvoicePaid || got.PaidAmountMinor.Int64 != 2_000_000 || got.FeeMinor.Int64 != 14_000 || got.NetMinor.Int64 != 1_986_000 {
		t.Errorf("invoice = %s paid %v fee %v net %v; want paid 2000000/14000/1986000", got.Status, got.PaidAmountMinor, got.FeeMinor, got.NetMinor)
	}
	cbs := a.callbacks(t)
	if len(cbs) != 1 || cbs[0].Status != db.CallbackApplied || cbs[0].InvoiceID != iv.ID || cbs[0].MerchantID != a.merchant.ID {
		t.Fatalf("callbacks = %+v, want one applied to the invoice", cbs)
	}
	if strings.Contains(cbs[0].Headers, testCallbackToken) || !strings.Contains(cbs[0].Headers, "[redacted]") {
		t.Errorf("stored headers must redact the token: %s", cbs[0].Headers)
	}
	if !strings.Contains(cbs[0].Body, `"LPK-0001"`) {
		t.Errorf("raw body not stored: %q", cbs[0].Body)
	}
	if !slicesContainsAction(a.auditActions(t), "callback.applied") {
		t.Error("no callback.applied audit entry")
	}
}

func slicesContainsAction(es []db.AuditEntry, action string) bool {
	for _, e := range es {
		if e.Action == action {
			return true
		}
	}
	return false
}

func TestOnBuyerFeeInvoiceAcceptsTotalWithFee(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	iv := a.pendingInvoice(t, a.merchant.ID, "LPK-BUY", "trx-buy", 1_000_000, "on_buyer")
	// The buyer paid amount + fee; the merchant nets the invoice amount.
	a.sendCallback("invoice", invoiceBody("trx-buy", "LPK-BUY", "M_TOKO0001", 1_007_000, 7_000, a.clock()))
	if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePaid || got.NetMinor.Int64 != 1_000_000 {
		t.Errorf("invoice = %s net %v, want paid net 1000000", got.Status, got.NetMinor)
	}
}

func TestCallbackAuthenticationFailuresAre401AndChangeNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		token string
	}{
		{"missing token", ""},
		{"wrong token", "bm90LXRoZS10b2tlbg=="},
		{"token prefix", testCallbackToken[:10]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := callbackApp(t)
			iv := a.pendingInvoice(t, a.merchant.ID, "LPK-0002", "trx-0002", 500_000, "")
			res := a.sendCallback("invoice", invoiceBody("trx-0002", "LPK-0002", "M_TOKO0001", 500_000, 0, a.clock()),
				"x-callback-token", tt.token)
			if res.Code != 401 || res.Ack.ResponseCode != "4010000" {
				t.Fatalf("answer = %d %s, want 401 with a SNAP body", res.Code, res.Body)
			}
			if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePending {
				t.Errorf("invoice became %s", got.Status)
			}
			cbs := a.callbacks(t)
			if len(cbs) != 1 || cbs[0].Status != db.CallbackRejected || cbs[0].Reason != "unauthenticated" {
				t.Fatalf("attempt not recorded as rejected: %+v", cbs)
			}
			if !strings.Contains(a.logs.String(), "callback refused") {
				t.Error("attempt not logged")
			}
			if tt.token != "" && strings.Contains(a.logs.String()+cbs[0].Headers, tt.token) {
				t.Error("the presented token reached the log or the database")
			}
			// Re-applying an unauthenticated callback never applies it.
			if _, err := a.handler.money.ApplyCallback(t.Context(), money.Actor{UserID: 1}, cbs[0].ID); err != nil {
				t.Fatal(err)
			}
			if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePending {
				t.Errorf("re-apply of a forged callback paid the invoice")
			}
		})
	}
}

func TestEmptyConfiguredTokenRefusesEverything(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	a.handler.callbackToken = ""
	if res := a.sendCallback("qris", qrisBody("RRN000000001", "M_TOKO0001", 10_000, 70), "x-callback-token", ""); res.Code != 401 {
		t.Errorf("no configured token: answer %d, want 401", res.Code)
	}
}

func TestHundredConcurrentIdenticalCallbacksCreditOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) { concurrentIdenticalCallbacksCreditOnce(t, e, 100) })
}

func TestFiveHundredConcurrentIdenticalCallbacksCreditOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) { concurrentIdenticalCallbacksCreditOnce(t, e, 500) })
}

// concurrentIdenticalCallbacksCreditOnce sends n identical invoice callbacks
// at once, on engine e: every one is acknowledged and stored, one credits
// the invoice, the other n-1 are duplicates.
func concurrentIdenticalCallbacksCreditOnce(t *testing.T, e dbtest.Engine, n int) {
	a := callbackApp(t, onEngine(e))
	iv := a.pendingInvoice(t, a.merchant.ID, "LPK-0100", "trx-0100", 2_000_000, "")
	body := invoiceBody("trx-0100", "LPK-0100", "M_TOKO0001", 2_000_000, 14_000, a.clock())
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := a.sendCallback("invoice", body)
			codes[i] = res.Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("delivery %d answered %d", i, c)
		}
	}
	cbs := a.callbacks(t)
	if len(cbs) != n || countStatus(cbs, db.CallbackApplied) != 1 || countStatus(cbs, db.CallbackDuplicate) != n-1 {
		t.Fatalf("%d rows: %d applied, %d duplicate; want %d = 1 + %d", len(cbs), countStatus(cbs, db.CallbackApplied),
			countStatus(cbs, db.CallbackDuplicate), n, n-1)
	}
	evs, err := a.DB.InvoiceEvents(t.Context(), iv.ID)
	if err != nil {
		t.Fatal(err)
	}
	paid := 0
	for _, e := range evs {
		if e.Status == db.InvoicePaid {
			paid++
		}
	}
	if paid != 1 {
		t.Errorf("invoice timeline has %d paid steps, want 1", paid)
	}
	// The books: one ledger transaction for the payment, balanced, and the
	// merchant's balance credited once.
	ts, err := a.DB.LedgerTransactionsOf(t.Context(), db.SourceInvoices, iv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Key != "invoice-paid:LPK-0100" {
		t.Fatalf("%d ledger transactions for the invoice, want 1: %+v", len(ts), ts)
	}
	if b, err := a.DB.LedgerBalance(t.Context(), a.merchant.ID, db.AccountNetzmeBalance); err != nil || b != 2_000_000-14_000 {
		t.Errorf("netzme:balance = %d %v, want %d (credited once)", b, err, 2_000_000-14_000)
	}
	if chk, err := a.DB.VerifyLedger(t.Context()); err != nil || !chk.OK() || chk.Transactions != 1 {
		t.Errorf("ledger verify: %+v %v", chk, err)
	}
}

// A hundred different payments to one merchant arriving at once all
// credit it: on PostgreSQL they all move the same ledger accounts' running
// balances, and the ones PostgreSQL refuses run again until they commit.
func TestHundredConcurrentPaymentsToOneMerchantAllCredit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		a := callbackApp(t, onEngine(e))
		const n = 100
		bodies := make([]string, n)
		var want int64
		for i := range n {
			ref, trx := fmt.Sprintf("LPK-M%03d", i), fmt.Sprintf("trx-m%03d", i)
			amount := 1_000_000 + int64(i)*100
			a.pendingInvoice(t, a.merchant.ID, ref, trx, amount, "")
			bodies[i] = invoiceBody(trx, ref, "M_TOKO0001", amount, 7_000, a.clock())
			want += amount - 7_000
		}
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range n {
			wg.Go(func() { codes[i] = a.sendCallback("invoice", bodies[i]).Code })
		}
		wg.Wait()
		for i, c := range codes {
			if c != 200 {
				t.Fatalf("payment %d answered %d", i, c)
			}
		}
		if cbs := a.callbacks(t); countStatus(cbs, db.CallbackApplied) != n {
			t.Fatalf("%d of %d callbacks applied", countStatus(cbs, db.CallbackApplied), n)
		}
		if b, err := a.DB.LedgerBalance(t.Context(), a.merchant.ID, db.AccountNetzmeBalance); err != nil || b != want {
			t.Errorf("netzme:balance = %d %v, want %d", b, err, want)
		}
		if chk, err := a.DB.VerifyLedger(t.Context()); err != nil || !chk.OK() || chk.Transactions != n {
			t.Errorf("ledger verify: %+v %v", chk, err)
		}
		t.Logf("%s: %d transactions ran again", e, a.DB.WriterStats().Retries)
	})
}

// holdWriter keeps the database's writer busy with an open transaction
// until release is called, so that callbacks arriving meanwhile queue up
// and are committed as one batch.
func holdWriter(t *testing.T, d *db.DB) (release func()) {
	t.Helper()
	held, stop, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- d.InTx(context.Background(), func(*db.Tx) error { close(held); <-stop; return nil })
	}()
	<-held
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(stop)
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// A callback whose application fails (here a database trigger refuses to
// mark its invoice paid) in a batch of 50: the other 49 are applied, the
// poisoned one is stored with its raw body for review, and all 50 are
// acknowledged — each is on record. (SQLite: the batch is its group commit;
// the trigger is SQLite's.)
func TestPoisonedCallbackInABatchOfFifty(t *testing.T) {
	a := callbackApp(t, onEngine(dbtest.SQLite))
	ivs := make([]db.Invoice, 50)
	bodies := make([]string, 50)
	for i := range 50 {
		ref, trx := fmt.Sprintf("LPK-B%02d", i), fmt.Sprintf("trx-b%02d", i)
		ivs[i] = a.pendingInvoice(t, a.merchant.ID, ref, trx, 1_000_000+int64(i)*100, "")
		bodies[i] = invoiceBody(trx, ref, "M_TOKO0001", 1_000_000+int64(i)*100, 7_000, a.clock())
	}
	const poisoned = 31
	if _, err := a.DB.SQL().Exec(`CREATE TRIGGER poison BEFORE UPDATE OF status ON invoices
		WHEN NEW.partner_reference_no = 'LPK-B31' BEGIN SELECT raise(ABORT, 'poisoned invoice'); END`); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, a.DB)
	res := make([]cbResponse, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = a.sendCallback("invoice", bodies[i])
		}()
	}
	// All 50 wait: the batcher holds one, 49 are queued behind it.
	for i := 0; a.DB.WriterStats().Waiting != 50 || a.DB.WriterStats().Queued != 49; i++ {
		if i > 2000 {
			t.Fatalf("writer stats = %+v, want 50 callbacks waiting", a.DB.WriterStats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	release()
	wg.Wait()
	if s := a.DB.WriterStats(); s.LastBatch != 50 || s.Failed != 0 {
		t.Fatalf("writer stats = %+v, want the 50 callbacks in one batch", s)
	}
	for i, r := range res {
		if r.Code != 200 || r.Ack.ResponseCode != "2000000" {
			t.Errorf("callback %d answered %d %s, want 200 2000000", i, r.Code, r.Body)
		}
	}
	for i, iv := range ivs {
		got := a.invoice(t, a.merchant.ID, iv.ID)
		if want := db.InvoicePaid; i == poisoned {
			if got.Status != db.InvoicePending {
				t.Errorf("poisoned invoice became %s", got.Status)
			}
		} else if got.Status != want {
			t.Errorf("invoice %d is %s, want paid", i, got.Status)
		}
	}
	cbs := a.callbacks(t)
	if len(cbs) != 50 || countStatus(cbs, db.CallbackApplied) != 49 || countStatus(cbs, db.CallbackNeedsReview) != 1 {
		t.Fatalf("%d callbacks: %d applied, %d needs review; want 50 = 49 + 1", len(cbs),
			countStatus(cbs, db.CallbackApplied), countStatus(cbs, db.CallbackNeedsReview))
	}
	for _, c := range cbs {
		if c.Status != db.CallbackNeedsReview {
			continue
		}
		if c.Reason != "apply_failed" || c.PartnerRefNo != "LPK-B31" || c.Body != bodies[poisoned] ||
			!strings.Contains(c.Note, "poisoned invoice") {
			t.Errorf("kept callback = %s/%s %q ref %s, want needs_review/apply_failed with the raw body of LPK-B31",
				c.Status, c.Reason, c.Note, c.PartnerRefNo)
		}
	}
	if !strings.Contains(a.logs.String(), "kept for review") {
		t.Error("the failed application was not logged")
	}
	// Once the cause is gone, an administrator's re-apply pays it.
	if _, err := a.DB.SQL().Exec(`DROP TRIGGER poison`); err != nil {
		t.Fatal(err)
	}
	for _, c := range cbs {
		if c.Status == db.CallbackNeedsReview {
			if _, err := a.handler.money.ApplyCallback(t.Context(), money.Actor{UserID: 1}, c.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := a.invoice(t, a.merchant.ID, ivs[poisoned].ID); got.Status != db.InvoicePaid {
		t.Errorf("after re-apply the invoice is %s, want paid", got.Status)
	}
}

// A callback stored but never applied (left "received", as a crash of an
// older version could leave it) is applied by the start-up pass.
func TestReceivedCallbacksAreAppliedAtStartUp(t *testing.T) {
	a := callbackApp(t)
	iv := a.pendingInvoice(t, a.merchant.ID, "LPK-S1", "trx-s1", 500_000, "")
	body := invoiceBody("trx-s1", "LPK-S1", "M_TOKO0001", 500_000, 3_500, a.clock())
	facts, err := money.ReadCallback(db.CallbackInvoice, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	nc := db.NewCallback{Kind: db.CallbackInvoice, Body: body}
	facts.Fill(&nc)
	if _, err := a.DB.InsertCallback(t.Context(), nc); err != nil {
		t.Fatal(err)
	}
	n, err := a.handler.money.ApplyReceivedCallbacks(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("start-up pass applied %d, %v; want 1", n, err)
	}
	if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePaid {
		t.Errorf("invoice is %s, want paid", got.Status)
	}
	if n, err := a.handler.money.ApplyReceivedCallbacks(t.Context()); err != nil || n != 0 {
		t.Errorf("second pass applied %d, %v; want 0", n, err)
	}
}

func TestAnomaliesAreAcknowledgedAndKeptForReview(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		body   func(a *testApp) string
		reason string
	}{
		{"amount differs from invoice", func(a *testApp) string {
			return invoiceBody("trx-A", "LPK-A", "M_TOKO0001", 1_500_000, 0, a.clock())
		}, "amount_mismatch"},
		{"unknown reference", func(a *testApp) string {
			return invoiceBody("trx-nope", "LPK-NOPE", "M_TOKO0001", 2_000_000, 0, a.clock())
		}, "unknown_reference"},
		{"paid after expiry", func(a *testApp) string {
			return invoiceBody("trx-A", "LPK-A", "M_TOKO0001", 2_000_000, 0, a.clock().Add(2*time.Hour))
		}, "paid_after_expiry"},
		{"net plus fee is not gross", func(a *testApp) string {
			return strings.Replace(invoiceBody("trx-A", "LPK-A", "M_TOKO0001", 2_000_000, 0, a.clock()),
				`"netAmount":{"value":"20000.00"`, `"netAmount":{"value":"21000.00"`, 1)
		}, "inconsistent_amounts"},
		{"not a success status", func(a *testApp) string {
			return strings.Replace(invoiceBody("trx-A", "LPK-A", "M_TOKO0001", 2_000_000, 0, a.clock()),
				`"latestTransactionStatus":"00"`, `"latestTransactionStatus":"07"`, 1)
		}, "not_success"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := callbackApp(t)
			iv := a.pendingInvoice(t, a.merchant.ID, "LPK-A", "trx-A", 2_000_000, "")
			res := a.sendCallback("invoice", tt.body(a))
			if res.Code != 200 || res.Ack.ResponseCode != "2000000" {
				t.Fatalf("answer = %d %s; anomalies are acknowledged so Netzme stops retrying", res.Code, res.Body)
			}
			if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePending {
				t.Errorf("invoice became %s, want pending", got.Status)
			}
			cbs := a.callbacks(t)
			if len(cbs) != 1 || cbs[0].Status != db.CallbackNeedsReview || cbs[0].Reason != tt.reason {
				t.Fatalf("callback = %s/%s, want needs_review/%s", cbs[0].Status, cbs[0].Reason, tt.reason)
			}
			if cbs[0].MerchantID != a.merchant.ID {
				t.Errorf("anomaly not shown to the merchant (merchant_id %d)", cbs[0].MerchantID)
			}
		})
	}
}

// A callback is stored once, with its outcome: one apply run, the time it
// was applied, and what it changed (from which status).
func TestAppliedCallbackIsStoredWithItsOutcome(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	iv := a.pendingInvoice(t, a.merchant.ID, "LPK-0200", "trx-0200", 2_000_000, "")
	a.sendCallback("invoice", invoiceBody("trx-0200", "LPK-0200", "M_TOKO0001", 2_000_000, 14_000, a.clock()))
	cbs := a.callbacks(t)
	if len(cbs) != 1 {
		t.Fatalf("%d callbacks stored, want 1", len(cbs))
	}
	c := cbs[0]
	if c.Status != db.CallbackApplied || c.Attempts != 1 || !c.AppliedAt.Valid || c.InvoiceID != iv.ID ||
		!strings.Contains(c.Effect, `"from":"pending"`) || !strings.Contains(c.Effect, `"to":"paid"`) {
		t.Errorf("callback = %s after %d runs, applied at %v, invoice %d, effect %s; want applied once, pending -> paid",
			c.Status, c.Attempts, c.AppliedAt, c.InvoiceID, c.Effect)
	}
	if got, err := a.DB.Callback(t.Context(), a.merchant.ID, c.ID); err != nil || got.ID != c.ID || got.DedupeKey != "invoice:trx-0200:00" {
		t.Errorf("callback %d as the merchant reads it: %+v, %v", c.ID, got, err)
	}
}

// The references of a callback are checked against each other: a trxId of
// one invoice with the partnerReferenceNo of another pays neither.
func TestCallbackNamingTwoInvoicesIsKeptForReview(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	ivA := a.pendingInvoice(t, a.merchant.ID, "LPK-A", "trx-A", 2_000_000, "")
	ivB := a.pendingInvoice(t, a.merchant.ID, "LPK-B", "trx-B", 2_000_000, "")
	res := a.sendCallback("invoice", invoiceBody("trx-A", "LPK-B", "M_TOKO0001", 2_000_000, 0, a.clock()))
	if res.Code != 200 || res.Ack.ResponseCode != "2000000" {
		t.Fatalf("answer = %d %s", res.Code, res.Body)
	}
	for _, iv := range []db.Invoice{ivA, ivB} {
		if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePending {
			t.Errorf("invoice %s became %s, want pending", iv.PartnerReferenceNo, got.Status)
		}
	}
	if cbs := a.callbacks(t); len(cbs) != 1 || cbs[0].Status != db.CallbackNeedsReview || cbs[0].Reason != "reference_mismatch" {
		t.Errorf("callbacks = %+v, want one needs_review/reference_mismatch", cbs)
	}
	if chk, err := a.DB.VerifyLedger(t.Context()); err != nil || chk.Transactions != 0 {
		t.Errorf("ledger: %+v %v, want nothing booked", chk, err)
	}
}

// An invoice whose creation timed out has no trxId and is still unknown:
// its callback finds it by our partnerReferenceNo and pays it; a callback
// without partnerReferenceNo finds its invoice by trxId.
func TestCallbackPaysByEitherReference(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	ctx := t.Context()
	unknown, err := a.DB.CreateInvoiceIntent(ctx, db.NewInvoice{MerchantID: a.merchant.ID, PartnerReferenceNo: "LPK-TIMEOUT",
		Method: "QRIS", AmountMinor: 2_000_000, ExpiresAt: a.clock().Add(time.Hour)}, db.AuditEntry{Action: "invoice.create"})
	if err != nil {
		t.Fatal(err)
	}
	pending := a.pendingInvoice(t, a.merchant.ID, "LPK-NOREF", "trx-noref", 2_000_000, "")
	a.sendCallback("invoice", invoiceBody("trx-late", "LPK-TIMEOUT", "M_TOKO0001", 2_000_000, 14_000, a.clock()))
	a.sendCallback("invoice", invoiceBody("trx-noref", "", "M_TOKO0001", 2_000_000, 14_000, a.clock()))
	for _, iv := range []db.Invoice{unknown, pending} {
		if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePaid || got.PaidAmountMinor.Int64 != 2_000_000 {
			t.Errorf("invoice %s = %s paid %v, want paid 2000000", iv.PartnerReferenceNo, got.Status, got.PaidAmountMinor)
		}
		if ts, err := a.DB.LedgerTransactionsOf(ctx, db.SourceInvoices, iv.ID); err != nil || len(ts) != 1 {
			t.Errorf("invoice %s: %d ledger transactions, %v; want 1", iv.PartnerReferenceNo, len(ts), err)
		}
	}
	cbs := a.callbacks(t)
	if n := countStatus(cbs, db.CallbackApplied); n != 2 {
		t.Fatalf("%d of %d callbacks applied, want 2", n, len(cbs))
	}
	for _, c := range cbs {
		if c.InvoiceID == unknown.ID && !strings.Contains(c.Effect, `"from":"unknown"`) {
			t.Errorf("effect %s, want from unknown", c.Effect)
		}
	}
	if chk, err := a.DB.VerifyLedger(ctx); err != nil || !chk.OK() || chk.Transactions != 2 {
		t.Errorf("ledger verify: %+v %v", chk, err)
	}
}

func TestCallbackForAnotherMerchantsInvoiceTouchesNothing(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	other, err := a.DB.CreateMerchant(t.Context(), db.NewMerchant{Name: "Toko Lain", NetzmeCustID: "M_LAIN0002"})
	if err != nil {
		t.Fatal(err)
	}
	iv := a.pendingInvoice(t, a.merchant.ID, "LPK-MINE", "trx-mine", 2_000_000, "")
	// Netzme says merchant M_LAIN0002 was paid, for our merchant's invoice.
	res := a.sendCallback("invoice", invoiceBody("trx-mine", "LPK-MINE", "M_LAIN0002", 2_000_000, 0, a.clock()))
	if res.Code != 200 {
		t.Fatalf("answer %d", res.Code)
	}
	if got := a.invoice(t, a.merchant.ID, iv.ID); got.Status != db.InvoicePending {
		t.Errorf("another merchant's callback moved our invoice to %s", got.Status)
	}
	cbs := a.callbacks(t)
	if cbs[0].Status != db.CallbackNeedsReview || cbs[0].Reason != "merchant_mismatch" || cbs[0].MerchantID != 0 {
		t.Fatalf("callback = %+v, want needs_review/merchant_mismatch for administrators only", cbs[0])
	}
	// Neither merchant's users see it; an administrator does.
	a.merchant = other
	cOther, _, _ := a.loginAs(t, db.RoleOwner)
	if res := cOther.get("/notifications/" + itoa(int(cbs[0].ID))); res.Code != 404 {
		t.Errorf("other merchant's owner: detail %d, want 404", res.Code)
	}
	if n := cOther.get("/notifications").doc.Find(`[data-testid="notif-row"]`).Length(); n != 0 {
		t.Errorf("other merchant's owner sees %d rows", n)
	}
	admin, _ := a.loginAdmin(t)
	if res := admin.get("/notifications/" + itoa(int(cbs[0].ID))); res.Code != 200 || !strings.Contains(res.Body, "LPK-MINE") {
		t.Errorf("administrator: detail %d", res.Code)
	}
}

func TestStaticQRISPaymentIsRecordedOnceAndShownAsPayment(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	body := qrisBody("ABC123456789", "M_TOKO0001", 2_500_000, 17_500)
	for range 3 {
		if res := a.sendCallback("qris", body); res.Code != 200 || res.Ack.ResponseCode != "2000000" {
			t.Fatalf("answer %d %s", res.Code, res.Body)
		}
	}
	ps, tot, err := a.DB.MerchantPayments(t.Context(), a.merchant.ID, db.PaymentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || tot.Count != 1 || ps[0].AmountMinor != 2_500_000 || ps[0].NetMinor != 2_482_500 || tot.NetMinor != 2_482_500 {
		t.Fatalf("payments = %+v totals %+v; want one of 2500000 net 2482500", ps, tot)
	}
	cbs := a.callbacks(t)
	if countStatus(cbs, db.CallbackNeedsReview) != 1 || countStatus(cbs, db.CallbackDuplicate) != 2 {
		t.Errorf("statuses: %d needs_review, %d duplicate; want 1 and 2", countStatus(cbs, db.CallbackNeedsReview), countStatus(cbs, db.CallbackDuplicate))
	}
	// Another merchant's history does not contain it.
	other := a.newMerchant(t, "Toko Lain")
	if ps, _, _ := a.DB.MerchantPayments(t.Context(), other.ID, db.PaymentFilter{}); len(ps) != 0 {
		t.Errorf("other merchant sees %d payments", len(ps))
	}
}

func TestQRISFromUnknownMerchantNeedsReviewWithoutPayment(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	a.sendCallback("qris", qrisBody("ABC000000001", "M_UNKNOWN1", 10_000, 70))
	cbs := a.callbacks(t)
	if cbs[0].Status != db.CallbackNeedsReview || cbs[0].Reason != "unknown_merchant" || cbs[0].PaymentID != 0 {
		t.Errorf("callback = %s/%s payment %d", cbs[0].Status, cbs[0].Reason, cbs[0].PaymentID)
	}
}

func TestCallbackRequestChecks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		body   string
		hdr    []string
		code   int
		reason string
	}{
		{"form content type", `{}`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "content_type"},
		{"json with charset", invoiceBody("trx-C", "LPK-C", "M_TOKO0001", 100_000, 0, clocktest.Base(t)),
			[]string{"Content-Type", "application/json; charset=utf-8"}, 200, ""},
		{"not json", `<xml/>`, nil, 400, "malformed"},
		{"no reference", `{"amount":{"value":"1.00","currency":"IDR"}}`, nil, 400, "malformed"},
		{"float-ish amount", `{"originalReferenceNo":"x","amount":{"value":"1.005","currency":"IDR"}}`, nil, 400, "malformed"},
		{"too large", `{"originalReferenceNo":"x","pad":"` + strings.Repeat("a", callbackBodyLimit) + `"}`, nil, 413, "too_large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := callbackApp(t)
			a.pendingInvoice(t, a.merchant.ID, "LPK-C", "trx-C", 100_000, "")
			res := a.sendCallback("invoice", tt.body, tt.hdr...)
			if res.Code != tt.code {
				t.Fatalf("answer %d %s, want %d", res.Code, res.Body, tt.code)
			}
			if res.Ack.ResponseCode == "" {
				t.Errorf("answer is not SNAP-shaped: %s", res.Body)
			}
			cbs := a.callbacks(t)
			if len(cbs) != 1 {
				t.Fatalf("%d rows stored, want 1 (every authenticated callback is kept)", len(cbs))
			}
			if tt.reason != "" && (cbs[0].Status != db.CallbackRejected || cbs[0].Reason != tt.reason) {
				t.Errorf("stored as %s/%s, want rejected/%s", cbs[0].Status, cbs[0].Reason, tt.reason)
			}
		})
	}
}

func TestSNAPQRISCallbackNeedsAValidSignature(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	a := callbackApp(t)
	body := qrisBody("SNP000000001", "M_TOKO0001", 10_000, 70)
	ts := snap.Timestamp(a.clock())
	sig, err := snap.SignAsymmetricService(key, "POST", "/callbacks/netzme/snap-qris", []byte(body), ts)
	if err != nil {
		t.Fatal(err)
	}
	// Without a configured key nothing can be verified: refused.
	if res := a.sendCallback("snap-qris", body, "x-callback-token", "", "X-TIMESTAMP", ts, "X-SIGNATURE", sig); res.Code != 401 {
		t.Errorf("no public key: %d, want 401", res.Code)
	}
	a.handler.netzmePublicKey = &key.PublicKey
	if res := a.sendCallback("snap-qris", strings.Replace(body, `"value":"100.00"`, `"value":"999.00"`, 1), "x-callback-token", "",
		"X-TIMESTAMP", ts, "X-SIGNATURE", sig); res.Code != 401 {
		t.Errorf("tampered body: %d, want 401", res.Code)
	}
	if res := a.sendCallback("snap-qris", body, "x-callback-token", "", "X-TIMESTAMP", ts, "X-SIGNATURE", sig); res.Code != 200 {
		t.Fatalf("valid signature: %d %s", res.Code, res.Body)
	}
	// The same payment through the token-authenticated QRIS endpoint counts once.
	a.sendCallback("qris", body)
	if ps, _, _ := a.DB.MerchantPayments(t.Context(), a.merchant.ID, db.PaymentFilter{}); len(ps) != 1 {
		t.Errorf("%d payments, want 1", len(ps))
	}
}

func TestWithdrawNotificationIsStoredOnce(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	body := `{"originalReferenceNo":"WD-1","originalPartnerReferenceNo":"LPK-WD-1","latestTransactionStatus":"00",
"amount":{"value":"50000.00","currency":"IDR"},"additionalInfo":{"custIdMerchant":"M_TOKO0001","status":"SUCCESS"}}`
	for range 2 {
		if res := a.sendCallback("withdraw", body); res.Code != 200 || res.Ack.AdditionalInfo.OriginalPartnerReferenceNo != "LPK-WD-1" {
			t.Fatalf("answer %d %s", res.Code, res.Body)
		}
	}
	cbs := a.callbacks(t)
	if countStatus(cbs, db.CallbackStored) != 1 || countStatus(cbs, db.CallbackDuplicate) != 1 || cbs[0].AmountMinor != (sql.NullInt64{Int64: 5_000_000, Valid: true}) {
		t.Errorf("withdraw callbacks = %+v", cbs)
	}
}

func TestDelayedCallbackAfterInvoiceAlreadyPaidIsDuplicate(t *testing.T) {
	t.Parallel()
	a := callbackApp(t)
	iv := a.pendingInvoice(t, a.merchant.ID, "LPK-R", "trx-R", 300_000, "")
	// A manual status refresh paid it first.
	if ok, err := a.DB.ChangeInvoice(t.Context(), iv.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoicePending}, To: db.InvoicePaid,
		Source: "refresh", Paid: &db.InvoicePayment{PaidAmountMinor: 300_000, PaidAt: a.clock()}}, db.AuditEntry{}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	res := a.sendCallback("invoice", invoiceBody("trx-R", "LPK-R", "M_TOKO0001", 300_000, 0, a.clock()))
	if res.Code != 200 {
		t.Fatalf("answer %d", res.Code)
	}
	cbs := a.callbacks(t)
	if cbs[0].Status != db.CallbackDuplicate || cbs[0].Reason != "already_paid" {
		t.Errorf("callback = %s/%s, want duplicate/already_paid", cbs[0].Status, cbs[0].Reason)
	}
}
