package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/sandbox"
)

const testPIN = "246810"

// withdrawApp is a moneyApp whose demo merchant has a PIN and Rp 150.000 of
// settled sales balance at the sandbox, and whose withdrawals never settle by
// themselves (the test decides).
func withdrawApp(t *testing.T, opts ...testOption) *moneyApp {
	t.Helper()
	m := newMoneyApp(t, opts...)
	if _, err := m.handler.netzme.CreatePIN(t.Context(), netzme.CreatePINRequest{PartnerReferenceNo: "PIN-" + m.demo.CustID,
		CustIDMerchant: m.demo.CustID, PIN: testPIN}); err != nil {
		t.Fatal(err)
	}
	if err := m.sb.Sandbox.Credit(t.Context(), m.demo.CustID, sandbox.WalletBalance, 15_000_000, "test"); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *moneyApp) settled(t *testing.T) int64 {
	t.Helper()
	b, err := m.sb.Sandbox.Balances(t.Context(), m.demo.CustID)
	if err != nil {
		t.Fatal(err)
	}
	return b.SettledMinor
}

func (m *moneyApp) sandboxWithdrawals(t *testing.T) []sandbox.Withdrawal {
	t.Helper()
	ws, err := m.sb.Sandbox.Withdrawals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// inquire runs "Cek saldo" and returns the confirmation path.
func inquire(t *testing.T, c *client, path string) string {
	t.Helper()
	res := c.post(path, nil).wantStatus(t, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/withdrawals/confirm/") {
		t.Fatalf("inquiry redirected to %q", loc)
	}
	return loc
}

// withdrawalAt follows a redirect to /withdrawals/{id} and loads the row.
func (m *moneyApp) withdrawalAt(t *testing.T, res *response) db.Withdrawal {
	t.Helper()
	loc := res.Header.Get("Location")
	id, ok := parseID(strings.TrimPrefix(loc, "/withdrawals/"))
	if !ok {
		t.Fatalf("redirect to %q, want /withdrawals/{id}", loc)
	}
	w, err := m.DB.MerchantWithdrawal(t.Context(), m.merchant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// settleIfPending pays out a sandbox withdrawal unless the sandbox already
// settled it by itself (it does after 300 ms).
func (m *moneyApp) settleIfPending(t *testing.T, ref string) {
	t.Helper()
	for _, w := range m.sandboxWithdrawals(t) {
		if (w.ReferenceNo == ref || w.PartnerReferenceNo == ref) && w.Status == "PENDING" {
			if err := m.sb.Sandbox.SettleWithdrawal(ref, true); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func pinForm(pin string) url.Values { return url.Values{"pin": {pin}} }

func TestWithdrawalHappyPathPaysOnceAndBalanceDropsByAmount(t *testing.T) {
	t.Parallel()
	m := withdrawApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	confirm := inquire(t, c, "/withdrawals/inquiry")
	page := c.get(confirm).wantStatus(t, http.StatusOK)
	if got := page.text("withdraw-amount"); got != "Rp 150.000" {
		t.Errorf("amount shown %q", got)
	}
	if acc := page.text("withdraw-account"); strings.Contains(acc, m.demo.BankAccountNumber) || !strings.Contains(acc, "7890") {
		t.Errorf("account not masked: %q", acc)
	}
	before := m.settled(t)
	res := c.post(confirm, pinForm(testPIN)).wantStatus(t, http.StatusSeeOther)
	w := m.withdrawalAt(t, res)
	if w.Status != db.WithdrawalPending || w.AmountMinor != 15_000_000 || w.NetzmeReferenceNo == "" {
		t.Fatalf("after submit: %+v", w)
	}
	if after := m.settled(t); before-after != 15_000_000 {
		t.Errorf("balance dropped by %d, want 15000000", before-after)
	}
	m.settleIfPending(t, w.NetzmeReferenceNo)
	c.post("/withdrawals/"+strconv.FormatInt(w.ID, 10)+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
	w, _ = m.DB.MerchantWithdrawal(t.Context(), m.merchant.ID, w.ID)
	if w.Status != db.WithdrawalSuccess {
		t.Fatalf("after refresh: %s", w.Status)
	}
	if n := len(m.sandboxWithdrawals(t)); n != 1 {
		t.Errorf("sandbox saw %d withdrawals, want 1", n)
	}
	if strings.Contains(m.logs.String(), testPIN) {
		t.Error("the PIN reached the log")
	}
	calls, err := m.DB.APICalls(t.Context(), m.merchant.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ac := range calls {
		if strings.Contains(ac.RequestBody, netzme.PINHash(m.sb.Sandbox.Identity().ClientID, m.demo.CustID, testPIN)) {
			t.Error("the PIN hash was stored in api_calls")
		}
	}
}

func TestDoubleSubmitMakesOneWithdrawal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, doubleSubmitMakesOneWithdrawal)
}

func doubleSubmitMakesOneWithdrawal(t *testing.T, e dbtest.Engine) {
	m := withdrawApp(t, onEngine(e))
	c, _, _ := m.loginAs(t, db.RoleOwner)
	confirm := inquire(t, c, "/withdrawals/inquiry")
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = c.post(confirm, pinForm(testPIN)).Code
		}()
	}
	wg.Wait()
	// Back-and-resubmit, and a second tab with a fresh inquiry.
	c.post(confirm, pinForm(testPIN)).wantStatus(t, http.StatusSeeOther)
	res := c.post("/withdrawals/inquiry", nil).wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); strings.HasPrefix(loc, "/withdrawals/confirm/") {
		t.Errorf("a new inquiry was offered while a withdrawal is open: %s", loc)
	}
	if n := len(m.sandboxWithdrawals(t)); n != 1 {
		t.Fatalf("sandbox saw %d withdrawals, want 1 (codes %v)", n, codes)
	}
	ws, _ := m.DB.Withdrawals(t.Context(), m.merchant.ID, "", 0)
	if len(ws) != 1 {
		t.Errorf("Lapak recorded %d withdrawals, want 1", len(ws))
	}
}

func TestPINErrorsAreClearAndMoveNoMoney(t *testing.T) {
	t.Parallel()
	m := withdrawApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	confirm := inquire(t, c, "/withdrawals/inquiry")
	c.post(confirm, pinForm("12ab")).wantStatus(t, http.StatusUnprocessableEntity)
	res := c.post(confirm, pinForm("111111")).wantStatus(t, http.StatusSeeOther)
	// A wrong PIN keeps the form: back to it, told how many tries are left
	// (issue 13 §9); Netzme's refusal is on record as a failed withdrawal.
	if loc := res.Header.Get("Location"); loc != confirm {
		t.Fatalf("wrong PIN redirects to %q, want the same form %q", loc, confirm)
	}
	ws, err := m.DB.Withdrawals(t.Context(), m.merchant.ID, db.WalletSales, 10)
	if err != nil || len(ws) != 1 || ws[0].Status != db.WithdrawalFailed || ws[0].FailureCode != "pin_wrong" {
		t.Fatalf("wrong PIN recorded as %+v, %v", ws, err)
	}
	page := c.get(confirm).wantStatus(t, http.StatusOK)
	if f := page.text("flash"); !strings.Contains(f, "PIN salah") || !strings.Contains(f, "Sisa 2 kali") {
		t.Errorf("flash after a wrong PIN = %q, want the tries left (2)", f)
	}
	if page.count("withdraw-confirm-form") != 1 {
		t.Error("the confirmation form is gone after a wrong PIN")
	}
	// The wrong withdrawal's own page offers the same form again too.
	w := ws[0]
	if p := c.get("/withdrawals/" + strconv.FormatInt(w.ID, 10)); p.count("withdraw-retry") != 1 {
		t.Errorf("wrong-PIN page offers no retry: %q", p.text("withdrawal-failure"))
	}
	// The same form may be retried with the right PIN.
	res = c.post(confirm, pinForm(testPIN)).wantStatus(t, http.StatusSeeOther)
	if w2 := m.withdrawalAt(t, res); w2.Status != db.WithdrawalPending {
		t.Fatalf("retry: %+v", w2)
	}
	if m.settled(t) != 0 {
		t.Errorf("settled = %d after one successful withdrawal", m.settled(t))
	}
}

func TestBlockedPINAndChangedBalance(t *testing.T) {
	t.Parallel()
	m := withdrawApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	// Balance changes between inquiry and confirmation.
	confirm := inquire(t, c, "/withdrawals/inquiry")
	if err := m.sb.Sandbox.Credit(t.Context(), m.demo.CustID, sandbox.WalletBalance, 500_000, "new sale"); err != nil {
		t.Fatal(err)
	}
	w := m.withdrawalAt(t, c.post(confirm, pinForm(testPIN)))
	if w.Status != db.WithdrawalFailed || w.FailureCode != "balance_changed" {
		t.Fatalf("changed balance: %+v", w)
	}
	// Wrong PIN until blocked: the form comes back with the tries left, the
	// last one says so, then Netzme blocks the PIN.
	var last db.Withdrawal
	var flashes []string
	confirm = inquire(t, c, "/withdrawals/inquiry")
	for range 5 {
		res := c.post(confirm, pinForm("000000")).wantStatus(t, http.StatusSeeOther)
		if res.Header.Get("Location") == confirm {
			flashes = append(flashes, c.get(confirm).text("flash"))
			continue
		}
		last = m.withdrawalAt(t, res)
		break
	}
	if len(flashes) != 2 || !strings.Contains(flashes[0], "Sisa 2") || !strings.Contains(flashes[1], "terakhir") {
		t.Errorf("messages before the block = %q, want 2 tries left, then the last one", flashes)
	}
	if last.FailureCode != "pin_blocked" {
		t.Fatalf("PIN never blocked: %+v", last)
	}
	if !strings.Contains(c.get("/withdrawals/"+strconv.FormatInt(last.ID, 10)).text("withdrawal-failure"), "diblokir") {
		t.Error("blocked PIN message missing")
	}
	if got := m.settled(t); got != 15_500_000 {
		t.Errorf("balance %d, want untouched 15500000", got)
	}
}

func TestBelowMinimumIsNotOffered(t *testing.T) {
	t.Parallel()
	m := newMoneyApp(t)
	if err := m.sb.Sandbox.Credit(t.Context(), m.demo.CustID, sandbox.WalletBalance, 500_000, "small"); err != nil {
		t.Fatal(err)
	}
	c, _, _ := m.loginAs(t, db.RoleOwner)
	page := c.get(inquire(t, c, "/withdrawals/inquiry")).wantStatus(t, http.StatusOK)
	if !strings.Contains(page.text("withdraw-notallowed"), "minimal") || page.doc.Find(`[data-testid="withdraw-pin"]`).Length() != 0 {
		t.Errorf("below minimum page: %q", page.text("withdraw-notallowed"))
	}
}

func TestWithdrawTimeoutButPaidResolvesSuccessWithoutResend(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		apply   bool
		kind    sandbox.FaultKind
		want    db.WithdrawalStatus
		balance int64
	}{
		{"timeout, Netzme paid", true, sandbox.FaultTimeout, db.WithdrawalPending, 0},
		{"500, Netzme paid", true, sandbox.Fault500, db.WithdrawalPending, 0},
		{"timeout, Netzme did not pay", false, sandbox.FaultTimeout, db.WithdrawalFailed, 15_000_000},
		{"garbage, Netzme did not pay", false, sandbox.FaultGarbage, db.WithdrawalFailed, 15_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := withdrawApp(t)
			c, _, _ := m.loginAs(t, db.RoleOwner)
			confirm := inquire(t, c, "/withdrawals/inquiry")
			m.sb.Sandbox.InjectFault(string(netzme.EndpointWithdrawProcess), sandbox.Fault{Kind: tc.kind, Apply: tc.apply})
			w := m.withdrawalAt(t, c.post(confirm, pinForm(testPIN)))
			if w.Status != db.WithdrawalUnknown {
				t.Fatalf("after fault: %s, want unknown", w.Status)
			}
			page := c.get("/withdrawals/" + strconv.FormatInt(w.ID, 10))
			if !strings.Contains(page.text("withdrawal-status"), "Sedang dikonfirmasi") {
				t.Errorf("status shown %q", page.text("withdrawal-status"))
			}
			if got := c.get("/withdrawals").text("withdraw-blocked"); !strings.Contains(got, "dikonfirmasi") {
				t.Errorf("new withdrawal not blocked: %q", got)
			}
			// Even resubmitting the form sends nothing.
			c.post(confirm, pinForm(testPIN))
			m.advance(3 * time.Minute) // past the not-received grace
			c.post("/withdrawals/"+strconv.FormatInt(w.ID, 10)+"/refresh", nil).wantStatus(t, http.StatusSeeOther)
			w, _ = m.DB.MerchantWithdrawal(t.Context(), m.merchant.ID, w.ID)
			// Netzme may already have paid by now (the sandbox settles on its own).
			if w.Status != tc.want && !(tc.apply && w.Status == db.WithdrawalSuccess) {
				t.Fatalf("resolved to %s, want %s", w.Status, tc.want)
			}
			sw := m.sandboxWithdrawals(t)
			if tc.apply {
				if len(sw) != 1 {
					t.Fatalf("sandbox saw %d withdrawals, want exactly 1", len(sw))
				}
				if sw[0].Status == "PENDING" {
					if err := m.sb.Sandbox.SettleWithdrawal(sw[0].ReferenceNo, true); err != nil {
						t.Fatal(err)
					}
				}
				if open := m.handler.money.ResolveOpen(t.Context()); open != 0 {
					t.Errorf("%d still open", open)
				}
				w, _ = m.DB.MerchantWithdrawal(t.Context(), m.merchant.ID, w.ID)
				if w.Status != db.WithdrawalSuccess {
					t.Errorf("final %s, want success", w.Status)
				}
			} else if len(sw) != 0 {
				t.Fatalf("sandbox saw %d withdrawals, want 0", len(sw))
			}
			if got := m.settled(t); got != tc.balance {
				t.Errorf("balance %d, want %d", got, tc.balance)
			}
		})
	}
}

func TestRestartBetweenIntentAndAnswerResolvesWithoutSecondPayout(t *testing.T) {
	t.Parallel()
	m := withdrawApp(t)
	c, u, _ := m.loginAs(t, db.RoleOwner)
	confirm := inquire(t, c, "/withdrawals/inquiry")
	token := strings.TrimPrefix(confirm, "/withdrawals/confirm/")
	// The process dies right after committing the intent...
	w, err := m.DB.StartWithdrawal(t.Context(), m.merchant.ID, token, "LPK-CRASH-1", u.ID, false, m.clock(), db.AuditEntry{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// ...after Netzme received the request (sent by the dead process).
	q, _ := m.DB.MerchantWithdrawQuote(t.Context(), m.merchant.ID, token)
	if _, err := m.handler.netzme.WithdrawProcess(t.Context(), netzme.WithdrawRequest{PartnerReferenceNo: w.PartnerReferenceNo,
		CustIDMerchant: m.demo.CustID, AmountMinor: q.AmountMinor, BeneficiaryAccountName: q.AccountName,
		BeneficiaryAccountNumber: q.AccountNumber, BeneficiaryBankName: q.BankName, BeneficiaryBankCode: q.BankCode, PIN: testPIN}); err != nil {
		t.Fatal(err)
	}
	// The restarted app: a fresh resolver on the same database.
	restarted := money.New(money.Deps{DB: m.DB, Netzme: m.handler.netzme, Now: m.clock})
	if open := restarted.ResolveOpen(t.Context()); open != 1 {
		t.Errorf("open after start-up pass = %d, want 1 (pending)", open)
	}
	m.settleIfPending(t, w.PartnerReferenceNo)
	restarted.ResolveOpen(t.Context())
	w, _ = m.DB.MerchantWithdrawal(t.Context(), m.merchant.ID, w.ID)
	if w.Status != db.WithdrawalSuccess || len(m.sandboxWithdrawals(t)) != 1 {
		t.Fatalf("after restart: %s, sandbox withdrawals %d", w.Status, len(m.sandboxWithdrawals(t)))
	}
}

func TestWithdrawNotificationFinishesWithdrawal(t *testing.T) {
	t.Parallel()
	m := withdrawApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	w := m.withdrawalAt(t, c.post(inquire(t, c, "/withdrawals/inquiry"), pinForm(testPIN)))
	body := `{"originalReferenceNo":"` + w.NetzmeReferenceNo + `","originalPartnerReferenceNo":"` + w.PartnerReferenceNo +
		`","latestTransactionStatus":"06","amount":{"value":"150000.00","currency":"IDR"},"additionalInfo":{"custIdMerchant":"` +
		m.demo.CustID + `","status":"FAILED"}}`
	m.handler.callbackToken = testCallbackToken
	for range 2 {
		if res := m.sendCallback("withdraw", body); res.Code != 200 {
			t.Fatalf("callback answer %d", res.Code)
		}
	}
	w, _ = m.DB.MerchantWithdrawal(t.Context(), m.merchant.ID, w.ID)
	if w.Status != db.WithdrawalFailed || w.FailureCode != "bank_failed" {
		t.Errorf("after notification: %+v", w)
	}
	cbs := m.callbacks(t)
	if countStatus(cbs, db.CallbackApplied) != 1 || countStatus(cbs, db.CallbackDuplicate) != 1 {
		t.Errorf("callbacks: %+v", cbs)
	}
}

func TestSecondApproverPath(t *testing.T) {
	t.Parallel()
	m := withdrawApp(t)
	a, ua, _ := m.loginAs(t, db.RoleOwner)
	b, ub, _ := m.loginAs(t, db.RoleOwner)
	a.post("/withdrawals/settings", url.Values{"second_approver": {"on"}}).wantStatus(t, http.StatusSeeOther)
	w := m.withdrawalAt(t, a.post(inquire(t, a, "/withdrawals/inquiry"), nil))
	if w.Status != db.WithdrawalAwaitingApproval || len(m.sandboxWithdrawals(t)) != 0 {
		t.Fatalf("request: %+v", w)
	}
	// The requester cannot approve, even with the right PIN.
	a.post("/withdrawals/"+strconv.FormatInt(w.ID, 10)+"/approve", pinForm(testPIN)).wantStatus(t, http.StatusForbidden)
	b.post("/withdrawals/"+strconv.FormatInt(w.ID, 10)+"/approve", pinForm(testPIN)).wantStatus(t, http.StatusSeeOther)
	w, _ = m.DB.MerchantWithdrawal(t.Context(), m.merchant.ID, w.ID)
	if w.Status != db.WithdrawalPending || w.RequestedBy != ua.ID || w.ApprovedBy != ub.ID || len(m.sandboxWithdrawals(t)) != 1 {
		t.Fatalf("after approval: %+v", w)
	}
	// A second approval click sends nothing more.
	b.post("/withdrawals/"+strconv.FormatInt(w.ID, 10)+"/approve", pinForm(testPIN)).wantStatus(t, http.StatusSeeOther)
	if len(m.sandboxWithdrawals(t)) != 1 {
		t.Error("second approval sent again")
	}
}

func TestWithdrawalRolesAndIsolation(t *testing.T) {
	t.Parallel()
	m := withdrawApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	w := m.withdrawalAt(t, owner.post(inquire(t, owner, "/withdrawals/inquiry"), pinForm(testPIN)))
	for _, role := range []db.Role{db.RoleCashier, db.RoleAuditor} {
		c, _, _ := m.loginAs(t, role)
		for _, p := range []string{"/withdrawals", "/withdrawals/" + strconv.FormatInt(w.ID, 10)} {
			// Auditors read withdrawals (issue 13 §9); cashiers do not.
			want := http.StatusForbidden
			if role == db.RoleAuditor {
				want = http.StatusOK
			}
			c.get(p).wantStatus(t, want)
		}
		c.post("/withdrawals/inquiry", nil).wantStatus(t, http.StatusForbidden)
		c.post("/deposits/withdraw", nil).wantStatus(t, http.StatusForbidden)
		c.post("/withdrawals/settings", nil).wantStatus(t, http.StatusForbidden)
		c.post("/withdrawals/"+strconv.FormatInt(w.ID, 10)+"/refresh", nil).wantStatus(t, http.StatusForbidden)
	}
	aud, _, _ := m.loginAs(t, db.RoleAuditor)
	aud.get("/deposits").wantStatus(t, http.StatusOK)
	if dash := aud.get("/"); dash.count("nav-withdrawals") != 1 || dash.count("nav-cvs") != 1 {
		t.Error("the auditor's menu lacks withdrawals or CVS bills")
	}
	list := aud.get("/withdrawals")
	if list.count("withdraw-inquiry-form") != 0 || list.count("withdraw-settings") != 0 || list.count("withdrawals-readonly") != 1 {
		t.Error("the auditor's withdrawals page offers forms")
	}
	if !strings.Contains(list.Body, w.PartnerReferenceNo) && list.count("withdrawal-row") == 0 {
		t.Error("the auditor's withdrawals page does not list the withdrawal")
	}
	if one := aud.get("/withdrawals/" + strconv.FormatInt(w.ID, 10)); one.text("withdrawal-amount") == "" ||
		one.count("withdrawal-refresh") != 0 || one.count("withdraw-approve-form") != 0 {
		t.Error("the auditor's withdrawal page lacks the amount or offers actions")
	}
	other, _ := m.otherMerchant(t)
	other.get("/withdrawals/"+strconv.FormatInt(w.ID, 10)).wantStatus(t, http.StatusNotFound)
	other.post("/withdrawals/"+strconv.FormatInt(w.ID, 10)+"/refresh", nil).wantStatus(t, http.StatusNotFound)
	if len(m.sandboxWithdrawals(t)) != 1 {
		t.Error("extra withdrawals")
	}
}
