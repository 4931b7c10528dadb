package handlers

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/money"
	"lapak/snap"
	"lapak/snap/nicepay"
	"lapak/snap/speedcash"
	"lapak/views"
)

var (
	npKeyOnce sync.Once
	npKey     *rsa.PrivateKey
	npKeyErr  error
)

// nicepayKey is "NICEPAY's" key pair, generated once per test binary.
func nicepayKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	npKeyOnce.Do(func() { npKey, npKeyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if npKeyErr != nil {
		t.Fatal(npKeyErr)
	}
	return npKey
}

const (
	npClientID = "IONPAYTEST"
	npSecret   = "rahasia-klien-nicepay"
	npPrefix   = "7015"
)

// otherSNAPApp is a testApp whose handler has issue 7 configured, served over
// real HTTP so the NICEPAY store simulator can call it.
type otherSNAPApp struct {
	*testApp
	srv   *httptest.Server
	store *nicepay.Store
	sc    *speedcash.Simulator
}

func newOtherSNAPApp(t *testing.T, variant nicepay.Variant) *otherSNAPApp {
	t.Helper()
	o := &otherSNAPApp{}
	o.testApp = newTestApp(t, withOtherSNAP(o, variant))
	return o
}

// withOtherSNAP configures NICEPAY (with variant) and SpeedCash against their
// simulators and serves the app over real HTTP, so the NICEPAY store
// simulator can call it; o receives them.
func withOtherSNAP(o *otherSNAPApp, variant nicepay.Variant) testOption {
	return func(t testing.TB, a *testApp, d *Deps) func() {
		return o.configure(t, a, d, variant)
	}
}

func (o *otherSNAPApp) configure(t testing.TB, a *testApp, d *Deps, variant nicepay.Variant) func() {
	key := nicepayKey(t)
	o.srv = httptest.NewUnstartedServer(nil)
	o.store = &nicepay.Store{BaseURL: "http://" + o.srv.Listener.Addr().String(), Now: a.clock,
		Signer: nicepay.Signer{ClientID: npClientID, ClientSecret: npSecret, PrivateKey: key, Variant: variant}}
	sim, err := speedcash.NewSimulator(a.clock)
	if err != nil {
		t.Fatal(err)
	}
	o.sc = sim
	scSrv := httptest.NewServer(sim)
	t.Cleanup(scSrv.Close)
	scCfg := sim.Config(scSrv.URL)
	scCfg.Observer = money.Recorder{DB: a.DB, Now: a.clock}.SpeedCash()
	scClient, err := speedcash.New(scCfg)
	if err != nil {
		t.Fatal(err)
	}
	d.OtherSNAP = OtherSNAP{
		NICEPAY:          nicepay.Verifier{ClientID: npClientID, ClientSecret: npSecret, PublicKey: &key.PublicKey, Variant: variant},
		PartnerServiceID: npPrefix, NICEPAYStore: o.store, SpeedCash: scClient, SpeedCashSimulated: true,
	}
	return func() {
		o.srv.Config.Handler = a.routes
		o.srv.Start()
		t.Cleanup(o.srv.Close)
	}
}

// bill creates a bill directly with fixed numbers, expiring in d.
func (o *otherSNAPApp) bill(t *testing.T, merchantID int64, customerNo string, d time.Duration) db.CVSBill {
	t.Helper()
	b, err := o.DB.CreateCVSBill(t.Context(), db.NewCVSBill{MerchantID: merchantID, PartnerServiceID: npPrefix,
		CustomerNo: customerNo, PartnerReferenceNo: "ref-" + customerNo, CustomerName: "John Test",
		CustomerPhone: "087771122333", CustomerEmail: "jhon@test.com", GoodsName: "Pembelian John Test",
		AmountMinor: 1_000_000, ExpiresAt: o.clock().Add(d)}, db.AuditEntry{Action: "cvs.create"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNicepayTokenContract(t *testing.T) {
	t.Parallel()
	o := newOtherSNAPApp(t, nicepay.VariantDocumented)
	res, tr, err := o.store.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.HTTPStatus != 200 || tr.ResponseCode != "2007300" || tr.ResponseMessage != "Successful" ||
		tr.TokenType != "Bearer" || tr.ExpiresIn != "900" || len(tr.AccessToken) < 40 {
		t.Fatalf("token answer %d %s", res.HTTPStatus, res.Body)
	}

	// A store whose key NICEPAY never gave us, and an unknown client.
	other, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, tc := range []struct {
		name   string
		signer nicepay.Signer
		want   string
	}{
		{"bad signature", nicepay.Signer{ClientID: npClientID, PrivateKey: other}, `{"responseCode":"4017300","responseMessage":"Unauthorized. [Signature]"}`},
		{"unknown client", nicepay.Signer{ClientID: "SOMEONE", PrivateKey: nicepayKey(t)}, `{"responseCode":"4017300","responseMessage":"Unauthorized. [Unknown client]"}`},
	} {
		s := &nicepay.Store{BaseURL: o.store.BaseURL, Now: o.clock, Signer: tc.signer}
		res, _, err := s.Token(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if res.HTTPStatus != 401 || string(res.Body) != tc.want {
			t.Errorf("%s: %d %s, want 401 %s", tc.name, res.HTTPStatus, res.Body, tc.want)
		}
	}
	// A token request an hour off our clock is refused.
	late := &nicepay.Store{BaseURL: o.store.BaseURL, Now: func() time.Time { return o.clock().Add(time.Hour) }, Signer: o.store.Signer}
	if res, _, _ := late.Token(t.Context()); res.HTTPStatus != 401 || res.Message != "Unauthorized. [Timestamp]" {
		t.Errorf("stale timestamp: %d %s", res.HTTPStatus, res.Body)
	}
}

func TestNicepayInquiryContract(t *testing.T) {
	t.Parallel()
	o := newOtherSNAPApp(t, nicepay.VariantDocumented)
	m := o.newMerchant(t, "Toko Kontrak")
	open := o.bill(t, m.ID, "89101110", 72*time.Hour)
	o.bill(t, m.ID, "00000002", -time.Minute) // expired
	paid := o.bill(t, m.ID, "00000003", time.Hour)
	if err := o.DB.InTx(t.Context(), func(tx *db.Tx) error {
		_, err := tx.MarkCVSBillPaid(t.Context(), paid.ID, paid.AmountMinor, o.clock(), "P-0", "ALMA")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	// nicepay §3: payNoExpiredDatetime in WIB, seconds, with its offset.
	expires := open.ExpiresAt.In(snap.Jakarta).Format("2006-01-02T15:04:05+07:00")
	valid, err := o.store.Inquire(ctx, "701589101110", nicepay.WithRequestID("41807553358950093184"))
	if err != nil {
		t.Fatal(err)
	}
	wantValid := `{"responseCode":"2000000","responseMessage":"Successful","payNoData":{"partnerServiceId":"7015",` +
		`"customerNo":"89101110","payNo":"701589101110","payNoName":"John Test","goodsName":"Pembelian John Test",` +
		`"payNoPhone":"087771122333","payNoEmail":"jhon@test.com","inquiryRequestId":"41807553358950093184",` +
		`"totalAmount":{"value":"10000.00","currency":"IDR"},"partnerReferenceNo":"ref-89101110","mitraCd":"ALMA",` +
		`"payNoExpiredDatetime":"` + expires + `"}}`
	if valid.HTTPStatus != 200 || string(valid.Body) != wantValid {
		t.Errorf("valid inquiry:\n got %d %s\nwant 200 %s", valid.HTTPStatus, valid.Body, wantValid)
	}

	cases := []struct {
		name   string
		payNo  string
		opts   []nicepay.CallOption
		status int
		want   string
	}{
		{"unknown", "701599999999", nil, 404, `{"responseCode":"4040012","responseMessage":"Invalid Bill/Virtual Account [Not Found]"}`},
		{"other prefix", "801589101110", nil, 404, `{"responseCode":"4040012","responseMessage":"Invalid Bill/Virtual Account [Not Found]"}`},
		{"expired", "701500000002", nil, 404, `{"responseCode":"4040019","responseMessage":"Invalid Bill/Virtual Account"}`},
		{"paid", "701500000003", nil, 404, `{"responseCode":"4040014","responseMessage":"Paid Bill"}`},
		{"bad signature", "701589101110", []nicepay.CallOption{nicepay.WithBadSignature()}, 401, `{"responseCode":"4010000","responseMessage":"Unauthorized. [Signature]"}`},
		{"reused external id", "701589101110", []nicepay.CallOption{nicepay.WithExternalID(valid.ExternalID)}, 409, `{"responseCode":"4090000","responseMessage":"Conflict"}`},
		{"no token", "701589101110", []nicepay.CallOption{nicepay.WithToken("")}, 401, `{"responseCode":"4010003","responseMessage":"Token Not Found (B2B)"}`},
		{"invalid token", "701589101110", []nicepay.CallOption{nicepay.WithToken("not-a-token-we-issued")}, 401, `{"responseCode":"4010001","responseMessage":"Invalid Token (B2B)"}`},
		{"too long", "7015891011101", nil, 400, `{"responseCode":"4000001","responseMessage":"Invalid Field Format customerNo"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := o.store.Inquire(ctx, tc.payNo, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if res.HTTPStatus != tc.status || string(res.Body) != tc.want {
				t.Errorf("got %d %s, want %d %s", res.HTTPStatus, res.Body, tc.status, tc.want)
			}
		})
	}

	// Every inquiry is recorded; those about the merchant's bills are on its log.
	var n int
	o.DB.SQL().QueryRow(`SELECT count(*) FROM cvs_requests WHERE kind = 'inquiry'`).Scan(&n)
	if n != len(cases)+1 {
		t.Errorf("recorded %d inquiries, want %d", n, len(cases)+1)
	}
	logged, _ := o.DB.CVSRequests(ctx, m.ID, 0, 100)
	var recipe string
	for _, q := range logged {
		if q.ResponseCode == "2000000" {
			recipe = q.SignatureRecipe
		}
	}
	if recipe != "rsa-clientid/x-partner-id" {
		t.Errorf("matched recipe recorded as %q", recipe)
	}
}

func TestNicepayInquiryMissingHeaderAndField(t *testing.T) {
	t.Parallel()
	o := newOtherSNAPApp(t, nicepay.VariantDocumented)
	res, tr, _ := o.store.Token(t.Context())
	if res.HTTPStatus != 200 {
		t.Fatal(string(res.Body))
	}
	req, _ := http.NewRequest(http.MethodPost, o.srv.URL+nicepay.PathInquiry, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != 400 || buf.String() != `{"responseCode":"4000002","responseMessage":"Invalid Mandatory Field X-TIMESTAMP"}` {
		t.Errorf("missing headers: %d %s", resp.StatusCode, buf.String())
	}
	if want := o.clock().In(snap.Jakarta).Format("2006-01-02T15:04:05+07:00"); resp.Header.Get("X-TIMESTAMP") != want {
		t.Errorf("X-TIMESTAMP = %q", resp.Header.Get("X-TIMESTAMP"))
	}
}

func TestNicepaySignatureVariants(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		server, client nicepay.Variant
		ok             bool
		recipe         string
	}{
		{nicepay.VariantHMAC, nicepay.VariantHMAC, true, "hmac-sha512/base64"},
		{nicepay.VariantService, nicepay.VariantService, true, "rsa-service"},
		{nicepay.VariantAny, nicepay.VariantService, true, "rsa-service"},
		{nicepay.VariantAny, nicepay.VariantHMAC, true, "hmac-sha512/base64"},
		{nicepay.VariantDocumented, nicepay.VariantHMAC, false, ""},
		{nicepay.VariantHMAC, nicepay.VariantDocumented, false, ""},
	} {
		t.Run(string(tc.server)+"<-"+string(tc.client), func(t *testing.T) {
			o := newOtherSNAPApp(t, tc.server)
			o.store.Signer.Variant = tc.client
			m := o.newMerchant(t, "Toko Varian")
			o.bill(t, m.ID, "12345678", time.Hour)
			res, err := o.store.Inquire(t.Context(), "701512345678")
			if err != nil {
				t.Fatal(err)
			}
			if got := res.HTTPStatus == 200; got != tc.ok {
				t.Fatalf("accepted = %v (%s), want %v", got, res.Body, tc.ok)
			}
			if tc.ok {
				logged, _ := o.DB.CVSRequests(t.Context(), m.ID, 0, 10)
				if len(logged) != 1 || logged[0].SignatureRecipe != tc.recipe {
					t.Errorf("log = %+v, want recipe %s", logged, tc.recipe)
				}
			}
		})
	}
}

func TestNicepayPaymentIsIdempotent(t *testing.T) {
	t.Parallel()
	o := newOtherSNAPApp(t, nicepay.VariantDocumented)
	m := o.newMerchant(t, "Toko Bayar")
	b := o.bill(t, m.ID, "55555555", time.Hour)
	ctx := t.Context()
	inq, _ := o.store.Inquire(ctx, b.PayNo)
	if inq.HTTPStatus != 200 {
		t.Fatal(string(inq.Body))
	}
	wrong, _ := o.store.Pay(ctx, b.PayNo, 999_900, inq.Request.InquiryRequestID)
	if wrong.HTTPStatus != 404 || wrong.Code != "4040013" {
		t.Errorf("wrong amount: %d %s", wrong.HTTPStatus, wrong.Body)
	}
	first, _ := o.store.Pay(ctx, b.PayNo, b.AmountMinor, inq.Request.InquiryRequestID, nicepay.WithRequestID("PAY-1"))
	if first.HTTPStatus != 200 || first.Code != "2000000" || first.Response.PayNoData == nil ||
		first.Response.PayNoData.PaidAmount.Value != "10000.00" {
		t.Fatalf("payment: %d %s", first.HTTPStatus, first.Body)
	}
	again, _ := o.store.Pay(ctx, b.PayNo, b.AmountMinor, inq.Request.InquiryRequestID, nicepay.WithRequestID("PAY-1"))
	if again.HTTPStatus != 200 || string(again.Body) != string(first.Body) {
		t.Errorf("repeat: %d %s, want the first answer %s", again.HTTPStatus, again.Body, first.Body)
	}
	second, _ := o.store.Pay(ctx, b.PayNo, b.AmountMinor, inq.Request.InquiryRequestID, nicepay.WithRequestID("PAY-2"))
	if second.HTTPStatus != 404 || second.Code != "4040014" {
		t.Errorf("second payment: %d %s", second.HTTPStatus, second.Body)
	}
	got, _ := o.DB.CVSBillByPayNo(ctx, b.PayNo)
	if got.State(o.clock()) != db.CVSPaid || got.PaymentRequestID != "PAY-1" || got.PaidAmountMinor.Int64 != 1_000_000 {
		t.Errorf("bill after payments: %+v", got)
	}
	after, _ := o.store.Inquire(ctx, b.PayNo)
	if after.HTTPStatus != 404 || after.Code != "4040014" {
		t.Errorf("inquiry after payment: %d %s", after.HTTPStatus, after.Body)
	}
	entries, _ := o.DB.AuditLog(ctx, m.ID, 10, 0)
	paidEntries := 0
	for _, e := range entries {
		if e.Action == "cvs.paid" {
			paidEntries++
		}
	}
	if paidEntries != 1 {
		t.Errorf("cvs.paid audit entries = %d, want 1", paidEntries)
	}
}

func TestCVSPagesRolesAndIsolation(t *testing.T) {
	t.Parallel()
	o := newOtherSNAPApp(t, nicepay.VariantDocumented)
	cashier, _, m := o.loginAs(t, db.RoleCashier)
	auditor, _, _ := o.loginAs(t, db.RoleAuditor)
	owner, _, _ := o.loginAs(t, db.RoleOwner)

	// Auditors read bills but issue none (issue 13 §9).
	if res := auditor.get("/cvs"); res.Code != http.StatusOK || res.count("cvs-form") != 0 || res.count("cvs-readonly") != 1 {
		t.Errorf("auditor /cvs = %d with %d forms, want 200 read-only", res.Code, res.count("cvs-form"))
	}
	if res := auditor.post("/cvs", url.Values{"name": {"Budi"}}); res.Code != http.StatusForbidden {
		t.Errorf("auditor POST /cvs = %d, want 403", res.Code)
	}
	if res := cashier.get("/merchant-status"); res.Code != http.StatusForbidden {
		t.Errorf("cashier /merchant-status = %d, want 403", res.Code)
	}

	bad := cashier.post("/cvs", url.Values{"name": {""}, "phone": {"12ab"}, "email": {"x"}, "goods": {"Kopi"}, "amount": {"10,5"}, "expiry": {"5"}})
	if bad.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form = %d", bad.Code)
	}
	for _, f := range []string{"name", "phone", "email", "amount", "expiry"} {
		if bad.doc.Find(`[data-testid="error-`+f+`"]`).Length() != 1 {
			t.Errorf("no error shown for %s", f)
		}
	}

	res := cashier.post("/cvs", url.Values{"name": {"Budi"}, "phone": {"0812-1111-2222"}, "email": {"budi@contoh.id"},
		"goods": {"Beras 5 kg"}, "amount": {"Rp 75.000"}, "expiry": {"24"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("create = %d %s", res.Code, res.Body)
	}
	loc := res.Header.Get("Location")
	page := cashier.get(loc)
	payNo := page.doc.Find(`[data-testid="cvs-detail-payno"]`).Text()
	if len(payNo) != 12 || !strings.HasPrefix(payNo, npPrefix) {
		t.Fatalf("payNo = %q", payNo)
	}
	if got := page.doc.Find(`[data-testid="cvs-detail-amount"]`).Text(); !strings.Contains(got, "75.000") {
		t.Errorf("amount shown %q", got)
	}
	stored, _ := o.DB.CVSBillByPayNo(t.Context(), payNo)
	if stored.AmountMinor != 7_500_000 || stored.CustomerPhone != "081211112222" || stored.MerchantID != m.ID {
		t.Errorf("stored bill %+v", stored)
	}
	if slip := owner.get(loc + "/slip"); slip.Code != 200 || slip.doc.Find(`[data-testid="slip-payno"]`).Text() != payNo {
		t.Errorf("slip = %d", slip.Code)
	}

	// Another merchant's owner sees 404 for this bill, its slip and simulation.
	other := o.newMerchant(t, "Toko Lain")
	u := o.newUser(t, "lain@uji.test", false, other.ID, db.RoleOwner)
	stranger := o.client()
	stranger.mustLogin(t, u.Email)
	for _, p := range []string{loc, loc + "/slip"} {
		if r := stranger.get(p); r.Code != http.StatusNotFound {
			t.Errorf("stranger GET %s = %d, want 404", p, r.Code)
		}
	}
	if r := stranger.post(loc+"/simulate", url.Values{"step": {"pay"}}); r.Code != http.StatusNotFound {
		t.Errorf("stranger simulate = %d", r.Code)
	}
	if list := stranger.get("/cvs"); list.doc.Find(`[data-testid="cvs-row"]`).Length() != 0 {
		t.Error("stranger sees another merchant's bills")
	}

	// The simulator plays the store: inquiry then payment, both on the log.
	if r := cashier.post(loc+"/simulate", url.Values{"step": {"inquiry"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("simulate inquiry = %d", r.Code)
	}
	if r := cashier.post(loc+"/simulate", url.Values{"step": {"pay"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("simulate pay = %d", r.Code)
	}
	page = cashier.get(loc)
	if s := page.doc.Find(`[data-testid="cvs-state"]`).First().Text(); s != "Lunas" {
		t.Errorf("state after simulated payment = %q", s)
	}
	kinds := page.doc.Find(`[data-testid="cvs-log-kind"]`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if strings.Join(kinds, ",") != "Pembayaran,Cek tagihan,Cek tagihan" {
		t.Errorf("log kinds = %v", kinds)
	}
}

// TestCVSCodesHaveWords: every response code Lapak answers NICEPAY with is
// explained in words on the CVS log page (views' cvsCodeKey finds its
// catalogue entry), in both languages.
func TestCVSCodesHaveWords(t *testing.T) {
	t.Parallel()
	codes := []string{snap.MakeCode(200, "00", "00")}
	for _, e := range []*nicepay.Error{nicepay.ErrBillNotFound, nicepay.ErrBillPaid, nicepay.ErrBillExpired,
		nicepay.ErrBadAmount, nicepay.ErrGeneral, nicepay.ErrInvalidToken} {
		codes = append(codes, e.Code)
	}
	for _, c := range []struct {
		status int
		cse    string
	}{{400, "01"}, {400, "02"}, {401, "00"}, {401, "03"}, {409, "00"}} {
		codes = append(codes, snap.MakeCode(c.status, "00", c.cse))
	}
	for _, code := range codes {
		if !views.HasMessage("cvs.code." + code) {
			t.Errorf("no words for response code %s (cvs.code.%s)", code, code)
		}
	}
}
