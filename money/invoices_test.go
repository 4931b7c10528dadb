package money_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
)

// env is a Service talking HTTP to a sandbox, with a merchant linked to the
// sandbox's demo merchant and a clock the test moves.
type env struct {
	db       *db.DB
	sb       *sandboxtest.Server
	svc      *money.Service
	merchant db.Merchant
	actor    money.Actor

	mu  sync.Mutex
	now time.Time
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func newEnv(t *testing.T) *env {
	t.Helper()
	// The sandbox (and the client, which shares its clock) runs on from the
	// base time; the service's clock stays at the base unless advanced.
	e := &env{sb: sandboxtest.NewServer(t, func(o *sandbox.Options) { o.Now = clocktest.Running(t) }), now: clocktest.Base(t)}
	e.db = dbtest.New(t, e.clock)
	cfg := e.sb.Config()
	cfg.HTTPClient = &http.Client{Timeout: 1500 * time.Millisecond}
	cfg.Observer = money.Recorder{DB: e.db, Now: e.clock}
	nz, err := netzme.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = money.New(money.Deps{DB: e.db, Netzme: nz, Now: e.clock})
	demo := e.sb.Sandbox.DemoMerchant()
	e.merchant, err = e.db.CreateMerchant(t.Context(), db.NewMerchant{Name: demo.Name, NetzmeCustID: demo.CustID,
		City: demo.City, NMID: demo.NMID, Phone: demo.Phone, StaticQRIS: demo.StaticQRIS})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.db.CreateUser(t.Context(), db.NewUser{Email: "kasir@uji.test", Name: "Kasir", PasswordHash: "$argon2id$test"})
	if err != nil {
		t.Fatal(err)
	}
	e.actor = money.Actor{UserID: u.ID, UserEmail: u.Email, MerchantID: e.merchant.ID, RequestID: "req-1"}
	return e
}

// TestSaleAndTopupShareOnePath: a sale (§3.12) and a deposit top-up (§3.21)
// differ only in the endpoint, the methods offered and the audit actions.
// For each answer Netzme can give, both record the intent and the answer
// the same way, and an unknown top-up is settled by the same resolver.
func TestSaleAndTopupShareOnePath(t *testing.T) {
	t.Parallel()
	type flow struct {
		purpose        money.Purpose
		endpoint       netzme.Endpoint
		apiSource      string
		create, answer string
	}
	flows := []flow{
		{money.PurposeSale, netzme.EndpointCreateInvoiceTransaction, "", "invoice.create", "invoice.answer"},
		{money.PurposeTopup, netzme.EndpointTopupDeposit, "topup_deposit", "deposit.topup", "deposit.topup.answer"},
	}
	answers := []struct {
		name    string
		prepare func(t *testing.T, e *env, ep netzme.Endpoint)
		outcome money.Outcome
		status  db.InvoiceStatus
	}{
		{"created", func(*testing.T, *env, netzme.Endpoint) {}, money.Succeeded, db.InvoicePending},
		{"no clear answer", func(_ *testing.T, e *env, ep netzme.Endpoint) {
			e.sb.Sandbox.InjectFault(string(ep), sandbox.Fault{Kind: sandbox.Fault500, Apply: true})
		}, money.Unknown, db.InvoiceUnknown},
		{"refused", func(t *testing.T, e *env, _ netzme.Endpoint) {
			if err := e.db.UpdateMerchantNetzme(t.Context(), e.merchant.ID, "M_NOSUCH1", e.merchant.Name, "", "", "", ""); err != nil {
				t.Fatal(err)
			}
		}, money.Refused, db.InvoiceFailed},
	}
	for _, f := range flows {
		for _, ans := range answers {
			t.Run(string(f.purpose)+"/"+ans.name, func(t *testing.T) {
				e := newEnv(t)
				ans.prepare(t, e, f.endpoint)
				res, err := e.svc.CreateInvoice(t.Context(), e.actor, money.InvoiceInput{Purpose: f.purpose,
					AmountMinor: 5_000_000, Method: netzme.PayQRIS, Description: "Kopi"})
				if err != nil {
					t.Fatal(err)
				}
				iv := res.Invoice
				if res.Outcome != ans.outcome || iv.Status != ans.status || iv.Purpose != string(f.purpose) ||
					iv.AmountMinor != 5_000_000 || iv.CreatedBy != e.actor.UserID {
					t.Fatalf("outcome %s, invoice %s %q %d by %d; want %s, %s %q 5000000 by %d", res.Outcome, iv.Status,
						iv.Purpose, iv.AmountMinor, iv.CreatedBy, ans.outcome, ans.status, f.purpose, e.actor.UserID)
				}
				if ans.status == db.InvoiceFailed && iv.FailureReason == "" {
					t.Error("refused invoice without Netzme's reason")
				}

				// Netzme was asked once, on the purpose's endpoint.
				var sent []sandbox.Request
				for _, r := range e.sb.Sandbox.Requests() {
					if r.PartnerReferenceNo == iv.PartnerReferenceNo {
						sent = append(sent, r)
					}
				}
				if len(sent) != 1 || sent[0].Endpoint != string(f.endpoint) {
					t.Fatalf("requests for %s: %+v, want one on %s", iv.PartnerReferenceNo, sent, f.endpoint)
				}

				// The same timeline: the intent before the call, then the answer.
				evs, err := e.db.InvoiceEvents(t.Context(), iv.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) != 2 || evs[0].Status != db.InvoiceUnknown || evs[0].Source != "lapak" ||
					evs[1].Status != ans.status || evs[1].Source != "netzme" || evs[1].UserID != e.actor.UserID {
					t.Errorf("timeline %+v, want intent (unknown, lapak) then %s from netzme by the user", evs, ans.status)
				}

				// The purpose's audit actions, as before issue 10, by the user.
				log, err := e.db.AuditLog(t.Context(), e.merchant.ID, 10)
				if err != nil {
					t.Fatal(err)
				}
				var actions []string
				for _, l := range log {
					if strings.Contains(l.Detail, iv.PartnerReferenceNo) && l.UserID == e.actor.UserID && l.RequestID == "req-1" {
						actions = append(actions, l.Action)
					}
				}
				if strings.Join(actions, " ") != f.answer+" "+f.create {
					t.Errorf("audit %v, want %s then %s", actions, f.create, f.answer)
				}

				// The call is on record for the merchant and the user.
				calls, err := e.db.APICalls(t.Context(), e.merchant.ID, 10)
				if err != nil {
					t.Fatal(err)
				}
				var recorded []string
				for _, c := range calls {
					if c.PartnerReferenceNo == iv.PartnerReferenceNo && c.UserID == e.actor.UserID {
						recorded = append(recorded, c.Endpoint)
					}
				}
				if len(recorded) != 1 || recorded[0] != string(f.endpoint) {
					t.Errorf("api_calls of the user for %s: %v, want one on %s", iv.PartnerReferenceNo, recorded, f.endpoint)
				}

				switch ans.status {
				case db.InvoicePending:
					trx, err := e.sb.Sandbox.InvoiceTransaction(t.Context(), iv.NetzmeTrxID)
					if err != nil || trx.APISource != f.apiSource || trx.AmountMinor != 5_000_000 {
						t.Fatalf("Netzme's transaction %+v, %v; want apiSource %q", trx, err, f.apiSource)
					}
					// Both keep the QR Netzme sent; only a sale's is a code to print.
					if p, err := qris.Parse(iv.QRISPayload); err != nil || p.AmountMinor != 5_000_000 {
						t.Errorf("stored QR payload %q: %v", iv.QRISPayload, err)
					}
					codes, _ := e.db.QRISCodes(t.Context(), e.merchant.ID, 10)
					wantCodes := 0
					if f.purpose == money.PurposeSale {
						wantCodes = 1
						if res.QRIS.InvoiceID != iv.ID || res.QRIS.Payload != iv.QRISPayload {
							t.Errorf("result code %+v, want the invoice's", res.QRIS)
						}
					}
					if len(codes) != wantCodes {
						t.Errorf("%d printable codes, want %d", len(codes), wantCodes)
					}
				case db.InvoiceUnknown:
					// Netzme made it: the one resolver finds it, whatever the purpose.
					r, err := e.svc.ResolveInvoice(t.Context(), e.actor, iv)
					if err != nil || r.To != db.InvoicePending {
						t.Fatalf("resolve: %+v, %v; want pending", r, err)
					}
				}
			})
		}
	}
}

// TestCreateInvoiceRules: what money refuses, all at once and before
// anything is written or sent.
func TestCreateInvoiceRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name   string
		in     money.InvoiceInput
		fields map[string]error
	}{
		{"QRIS cap is inclusive", money.InvoiceInput{AmountMinor: money.MaxQRISMinor + 100, Description: "x"},
			map[string]error{"amount": money.ErrAmountTooLarge}},
		{"other methods", money.InvoiceInput{AmountMinor: money.MaxInvoiceMinor + 100, Method: netzme.PayBankTransfer, Description: "x"},
			map[string]error{"amount": money.ErrAmountTooLarge}},
		{"a top-up follows the same caps", money.InvoiceInput{Purpose: money.PurposeTopup, AmountMinor: money.MaxQRISMinor + 100},
			map[string]error{"amount": money.ErrAmountTooLarge}},
		{"a top-up by transfer has the one upper limit too", money.InvoiceInput{Purpose: money.PurposeTopup,
			AmountMinor: money.MaxAmountMinor + 100, Method: netzme.PayBankTransfer},
			map[string]error{"amount": money.ErrAmountTooLarge}},
		{"whole rupiah only: 0,01 is no 1-sen invoice", money.InvoiceInput{AmountMinor: 1, Description: "x"},
			map[string]error{"amount": money.ErrAmountZero}},
		{"whole rupiah only: sen refused", money.InvoiceInput{AmountMinor: 2_000_050, Description: "x"},
			map[string]error{"amount": money.ErrNotWholeRupiah}},
		{"top-up methods", money.InvoiceInput{Purpose: money.PurposeTopup, AmountMinor: 100, Method: netzme.PayOVO},
			map[string]error{"method": money.ErrMethod}},
		{"everything at once", money.InvoiceInput{AmountMinor: 0, Method: "BITCOIN", FeeType: "on_netzme",
			Expiry: money.MaxInvoiceExpiry + time.Minute, Description: " ", CustomerName: "Budi 2"},
			map[string]error{"amount": money.ErrAmountZero, "method": money.ErrMethod, "fee_type": money.ErrFeeType,
				"expiry": money.ErrExpiry, "description": money.ErrRequired, "customer_name": money.ErrLettersOnly}},
		{"expiry below a minute", money.InvoiceInput{AmountMinor: 100, Description: "x", Expiry: time.Second},
			map[string]error{"expiry": money.ErrExpiry}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateInvoice(t.Context(), e.actor, tt.in)
			got := map[string]error{}
			for _, x := range err.(interface{ Unwrap() []error }).Unwrap() {
				var fe *money.FieldError
				if !errors.As(x, &fe) {
					t.Fatalf("%v is not a FieldError", x)
				}
				got[fe.Field] = fe.Err
			}
			if len(got) != len(tt.fields) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
			for f, want := range tt.fields {
				if !errors.Is(got[f], want) {
					t.Errorf("%s: %v, want %v", f, got[f], want)
				}
			}
		})
	}
	if len(e.sb.Sandbox.Requests()) != 0 {
		t.Error("Netzme was called for invalid input")
	}
	if n, _ := e.db.CountInvoices(t.Context(), e.merchant.ID, db.InvoiceFilter{}); n != 0 {
		t.Errorf("%d invoices written for invalid input", n)
	}
}
