package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
	"lapak/snap"
)

// instanceChildEnv makes the test binary, re-executed by
// TestTwoInstancesOneDatabase, run Lapak as main does.
const instanceChildEnv = "LAPAK_TEST_INSTANCE_CHILD"

// Issue 14 §6: two Lapak processes on one PostgreSQL database, behind a load
// balancer, sharing one Netzme (a sandbox served by the test, which delivers
// its callbacks to the balancer):
//
//   - a session made on one instance is valid on the other, and a logout on
//     one ends it on both;
//   - 500 copies of one payment callback, half to each instance at once,
//     credit the invoice once and write one ledger transaction;
//   - the instance holding every background job is killed (SIGKILL) while a
//     statement sync runs, a withdrawal waits on Netzme and callbacks are in
//     flight to it: the other takes the jobs over when their leases run out,
//     finishes the sync run where it stopped and resolves the withdrawal
//     once; every payment callback, Netzme's retries of those cut off
//     included, is applied once; the books verify.
func TestTwoInstancesOneDatabase(t *testing.T) {
	if os.Getenv(instanceChildEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		err := run(ctx, []string{"lapak"}, os.Getenv)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "lapak child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	dbtest.RequirePostgres(t)
	ctx := t.Context()
	dbURL := dbtest.PostgresURL(t)
	lb := newBalancer(t)
	netzme := sandboxtest.NewServer(t, func(o *sandbox.Options) {
		o.CallbackBaseURL = lb.URL
		o.WithdrawSettleDelay = -1 // a withdrawal stays PENDING until the test settles it
	})
	id := netzme.Sandbox.Identity()
	demo := netzme.Sandbox.DemoMerchant()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "netzme.pem")
	if err := os.WriteFile(keyFile, id.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	const leaseTTL = 2 * time.Second
	env := []string{
		"LAPAK_DATABASE_URL=" + dbURL, "LAPAK_DB=" + filepath.Join(dir, "unused.db"),
		"LAPAK_ADDR=127.0.0.1:0", "LAPAK_PUBLIC_URL=", "LAPAK_DEBUG_ADDR=",
		"LAPAK_ADMIN_EMAIL=" + testAdminEmail, "LAPAK_ADMIN_PASSWORD=" + testAdminPassword,
		"NETZME_BASE_URL=" + netzme.URL, "NETZME_CLIENT_ID=" + id.ClientID, "NETZME_CLIENT_SECRET=" + id.ClientSecret,
		"NETZME_PRIVATE_KEY_FILE=" + keyFile, "NETZME_CALLBACK_TOKEN=" + id.CallbackToken, "NETZME_CHANNEL_ID=" + sandbox.ChannelID,
		"NETZME_MERCHANT_ID=" + demo.CustID, "LAPAK_MERCHANT_NAME=Toko Dua Mesin",
		"LAPAK_LEASE_TTL=" + leaseTTL.String(), "LAPAK_LOG_FORMAT=json", "LAPAK_LOG_LEVEL=warn",
	}
	d, err := db.Open(ctx, dbURL, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	jobs := []string{jobCallbackSweep, jobHousekeeping, jobResolver, jobStatementSync}
	holding := func(p *lapakProcess) int {
		ls, err := d.Leases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range ls {
			if strings.Contains(l.Holder, fmt.Sprintf(":%d:", p.cmd.Process.Pid)) && time.Now().Before(l.ExpiresAt) {
				n++
			}
		}
		return n
	}

	// web-1 starts first (it migrates nothing: the database is migrated;
	// it provisions the merchant and the administrator) and takes every job;
	// web-2 joins and takes none while web-1 renews.
	web1 := startInstance(t, "web-1", env)
	waitUntil(t, "web-1 to hold every job", 30*time.Second, func() bool { return holding(web1) == len(jobs) })
	web2 := startInstance(t, "web-2", env)
	lb.set(web1.url, web2.url)
	m, err := d.MerchantByNetzmeCustID(ctx, demo.CustID)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.CountMerchants(ctx); err != nil || n != 1 {
		t.Fatalf("%d merchants after two starts (%v), want 1", n, err)
	}
	if n, err := d.CountUsers(ctx); err != nil || n != 1 {
		t.Fatalf("%d users after two starts (%v), want 1", n, err)
	}

	// A session made on web-1 is valid on web-2; a logout on web-2 ends it
	// on web-1 too.
	c1 := loginOn(t, web1.url)
	if path := getPath(t, c1, web2.url+"/"); path != "/" {
		t.Fatalf("web-1's session on web-2 ended on %s, want the dashboard", path)
	}
	if path := getPath(t, &http.Client{}, web2.url+"/"); path != "/login" {
		t.Fatalf("web-2 without a session ended on %s, want /login", path)
	}
	postForm(t, c1, web2.url+"/logout", nil)
	if path := getPath(t, c1, web1.url+"/"); path != "/login" {
		t.Fatalf("after logging out on web-2, web-1 still shows %s", path)
	}
	c := loginOn(t, web2.url)

	// 500 copies of one invoice's payment callback, half to each instance,
	// all at once: one credit, one ledger transaction.
	res := postForm(t, c, web1.url+"/invoices", url.Values{"amount": {"Rp 50.000"}, "description": {"Beras 5 kg"}, "method": {"QRIS"}})
	ivID, err := strconv.ParseInt(strings.TrimPrefix(res.Request.URL.Path, "/invoices/"), 10, 64)
	if err != nil {
		t.Fatalf("invoice form ended on %s", res.Request.URL)
	}
	iv, err := d.MerchantInvoice(ctx, m.ID, ivID)
	if err != nil {
		t.Fatal(err)
	}
	netzme.Sandbox.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDrop})
	if _, err := netzme.Sandbox.PayInvoice(ctx, iv.NetzmeTrxID, 0); err != nil {
		t.Fatal(err)
	}
	paid := dropped(t, netzme.Sandbox, "invoice", iv.NetzmeTrxID)
	const copies = 500
	answers := fanOut(copies, func(i int) (int, string) {
		return sendCallback(id.CallbackToken, []string{web1.url, web2.url}[i%2]+"/callbacks/netzme/invoice", paid)
	})
	for a, n := range answers {
		if a.status != http.StatusOK {
			t.Errorf("%d of %d copies answered %d %s", n, copies, a.status, a.code)
		}
	}
	if got, _ := d.MerchantInvoice(ctx, m.ID, ivID); got.Status != db.InvoicePaid {
		t.Fatalf("invoice %s after %d callbacks", got.Status, copies)
	}
	if n := ledgerCount(t, d, db.SourceInvoices, ivID, ""); n != 1 {
		t.Errorf("%d ledger transactions for the invoice after %d callbacks, want 1", n, copies)
	}
	if st := callbackStatuses(t, d, "invoice"); st[db.CallbackApplied] != 1 || st[db.CallbackDuplicate] != copies-1 || len(st) != 2 {
		t.Errorf("invoice callbacks by status %v, want 1 applied and %d duplicates", st, copies-1)
	}

	// web-1 gets work of every kind: a withdrawal Netzme keeps pending, a
	// year of statements to sync, and callbacks pouring in.
	postForm(t, c, web1.url+"/pin", url.Values{"action": {"create"}, "pin": {"135790"}, "pin2": {"135790"}})
	res = postForm(t, c, web1.url+"/withdrawals/inquiry", nil)
	token := strings.TrimPrefix(res.Request.URL.Path, "/withdrawals/confirm/")
	res = postForm(t, c, web1.url+"/withdrawals/confirm/"+token, url.Values{"pin": {"135790"}})
	wdID, err := strconv.ParseInt(strings.TrimPrefix(res.Request.URL.Path, "/withdrawals/"), 10, 64)
	if err != nil {
		t.Fatalf("withdrawal ended on %s", res.Request.URL)
	}
	wd, err := d.MerchantWithdrawal(ctx, m.ID, wdID)
	if err != nil || wd.Status != db.WithdrawalPending {
		t.Fatalf("withdrawal %+v, %v; want pending at Netzme", wd, err)
	}
	today := time.Now().In(snap.Jakarta)
	const days, perDay = 120, 12
	var history []sandbox.Movement
	for i := days; i >= 1; i-- {
		day := time.Date(today.Year(), today.Month(), today.Day()-i, 8, 0, 0, 0, snap.Jakarta)
		for j := range perDay {
			history = append(history, sandbox.Movement{Kind: sandbox.MoveStaticQRIS, At: day.Add(time.Duration(j) * 41 * time.Minute),
				AmountMinor: int64(1_000_000 + 100*j)})
		}
	}
	if err := netzme.Sandbox.SeedHistory(ctx, demo.CustID, history); err != nil {
		t.Fatal(err)
	}
	from, to := today.AddDate(0, 0, -days).Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly)
	postForm(t, c, web1.url+"/sync", url.Values{"from": {from}, "to": {to}})
	var runID int64
	if err := d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT max(id) FROM sync_runs WHERE from_day = ? AND to_day = ?`), from, to).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	runState := func() (status db.SyncRunStatus, done, total int) {
		if err := d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT status, days_done, days_total FROM sync_runs WHERE id = ?`), runID).
			Scan(&status, &done, &total); err != nil {
			t.Fatal(err)
		}
		return
	}
	stream := newCallbackStream(id.CallbackToken, web1.url, demo.CustID)
	stream.start(16)
	waitUntil(t, "web-1 to be mid-way through the sync and the callbacks", 60*time.Second, func() bool {
		status, done, _ := runState()
		if status == db.SyncFailed || status == db.SyncDone {
			t.Fatalf("sync run %s before the kill: make it longer", status)
		}
		return done >= 3 && stream.acked.Load() >= 50
	})

	// kill -9 web-1.
	if err := web1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	web1.cmd.Wait()
	killedAt := time.Now()
	stream.wait()
	_, doneAtKill, total := runState()
	if stream.cutOff.Load() == 0 {
		t.Fatal("no callback was in flight when web-1 died: the kill did not land mid-flight")
	}
	// Netzme settles the withdrawal; its callback is lost, so only a
	// resolver can learn the outcome.
	netzme.Sandbox.InjectCallbackFault(sandbox.CallbackFault{Kind: sandbox.CallbackDrop})
	if err := netzme.Sandbox.SettleWithdrawal(wd.PartnerReferenceNo, true); err != nil {
		t.Fatal(err)
	}

	// web-2 takes every job over once web-1's leases run out …
	waitUntil(t, "web-2 to take every job over", 2*leaseTTL+10*time.Second, func() bool { return holding(web2) == len(jobs) })
	took := time.Since(killedAt)
	// … resolves the withdrawal, and finishes the sync run web-1 began.
	waitUntil(t, "web-2 to resolve the withdrawal", 30*time.Second, func() bool {
		w, err := d.MerchantWithdrawal(ctx, m.ID, wdID)
		return err == nil && w.Status == db.WithdrawalSuccess
	})
	waitUntil(t, "web-2 to finish the sync run", 120*time.Second, func() bool {
		status, _, _ := runState()
		if status == db.SyncFailed {
			t.Fatalf("sync run %d failed after the takeover", runID)
		}
		return status == db.SyncDone
	})
	if status, done, total := runState(); done != total {
		t.Errorf("sync run %d %s with %d of %d days", runID, status, done, total)
	}
	var lines int
	if err := d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT count(DISTINCT netzme_id) FROM statement_lines
		WHERE merchant_id = ? AND source = 'sales' AND day BETWEEN ? AND ?`), m.ID, from, to).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	if lines != len(history) {
		t.Errorf("%d of Netzme's %d lines stored after the takeover", lines, len(history))
	}

	// Netzme retries what was not acknowledged (and, for good measure,
	// everything again), and its lost withdrawal callback arrives late.
	stream.resend(t, lb.URL)
	settled := dropped(t, netzme.Sandbox, "withdraw", "")
	if status, code := sendCallback(id.CallbackToken, lb.URL+"/callbacks/netzme/withdraw", settled); status != http.StatusOK {
		t.Errorf("late withdrawal callback answered %d %s", status, code)
	}

	if w, _ := d.MerchantWithdrawal(ctx, m.ID, wdID); w.Status != db.WithdrawalSuccess {
		t.Errorf("withdrawal %s, want success", w.Status)
	}
	for kind, want := range map[string]int{string(db.KindWithdrawalSent): 1, string(db.KindWithdrawalSucceeded): 1, string(db.KindWithdrawalFailed): 0} {
		if n := ledgerCount(t, d, db.SourceWithdrawals, wdID, kind); n != want {
			t.Errorf("%d %s ledger transactions for the withdrawal, want %d", n, kind, want)
		}
	}
	sent := stream.rrns()
	var payments, sales int
	if err := d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT count(*), count(DISTINCT rrn) FROM payments WHERE merchant_id = ? AND rrn LIKE 'T%'`), m.ID).
		Scan(&payments, &sales); err != nil {
		t.Fatal(err)
	}
	if payments != len(sent) || sales != len(sent) {
		t.Errorf("%d payments (%d distinct) for %d events sent, want one each", payments, sales, len(sent))
	}
	if err := d.SQL().QueryRowContext(ctx, d.Rebind(`SELECT count(*) FROM ledger_transactions
		WHERE merchant_id = ? AND source_table = ? AND reference LIKE 'T%'`), m.ID, db.SourcePayments).Scan(&sales); err != nil {
		t.Fatal(err)
	}
	if sales != len(sent) {
		t.Errorf("%d ledger sales for %d payments, want one each", sales, len(sent))
	}
	chk, err := d.VerifyLedger(ctx)
	if err != nil || !chk.OK() {
		t.Errorf("ledger verify after the takeover: %v, %+v", err, chk.Problems)
	}
	t.Logf("web-1 killed at day %d of %d with %d callbacks acknowledged and %d cut off; web-2 held every job %v later",
		doneAtKill, total, stream.acked.Load(), stream.cutOff.Load(), took.Round(10*time.Millisecond))
}

// lapakProcess is a Lapak started as a process of its own.
type lapakProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
}

// startInstance re-executes the test binary as a Lapak process with env and
// waits until it listens.
func startInstance(t *testing.T, name string, env []string) *lapakProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTwoInstancesOneDatabase$")
	cmd.Env = append(append(os.Environ(), instanceChildEnv+"=1"), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &lapakProcess{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, p.stderr.String())
		}
	})
	urlc := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u := re.FindString(sc.Text()); u != "" {
				urlc <- u
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case p.url = <-urlc:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start:\n%s", name, p.stderr.String())
	}
	return p
}

// balancer is the load balancer in front of the instances: each request
// goes to the next instance in turn; an instance that does not answer is
// taken out and the request goes to the next one.
type balancer struct {
	URL    string
	client *http.Client
	mu     sync.Mutex
	up     []string
	next   atomic.Uint64
}

func newBalancer(t *testing.T) *balancer {
	b := &balancer{client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

func (b *balancer) set(backends ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.up = backends
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for {
		b.mu.Lock()
		up := slices.Clone(b.up)
		b.mu.Unlock()
		if len(up) == 0 {
			http.Error(w, "no instance up", http.StatusBadGateway)
			return
		}
		backend := up[int(b.next.Add(1))%len(up)]
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, backend+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		res, err := b.client.Do(req)
		if err != nil {
			b.mu.Lock()
			b.up = slices.DeleteFunc(b.up, func(u string) bool { return u == backend })
			b.mu.Unlock()
			continue
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
		res.Body.Close()
		return
	}
}

// loginOn signs the test administrator in on base and returns the client
// holding the session cookie.
func loginOn(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	res := postForm(t, c, base+"/login", url.Values{"email": {testAdminEmail}, "password": {testAdminPassword}})
	if res.Request.URL.Path != "/" {
		t.Fatalf("login on %s ended on %s, want the dashboard", base, res.Request.URL)
	}
	return c
}

// postForm submits a form (redirects followed) and fails the test unless
// the page it ends on answers 200.
func postForm(t *testing.T, c *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	res, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", u, res.StatusCode, body)
	}
	return res
}

// getPath is the path a GET of u ends on, redirects followed.
func getPath(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.Request.URL.Path
}

// dropped is the body of the callback of kind (for ref, any if "") the
// sandbox dropped last.
func dropped(t *testing.T, s *sandbox.Sandbox, kind, ref string) []byte {
	t.Helper()
	ds := s.Deliveries()
	for _, d := range slices.Backward(ds) {
		if d.Kind == kind && d.Status == "dropped" && (ref == "" || d.Ref == ref) {
			return d.Body
		}
	}
	t.Fatalf("no dropped %s callback %s in %+v", kind, ref, ds)
	return nil
}

// answer is an instance's answer to a callback.
type answer struct {
	status int
	code   string // responseCode
}

// sendCallback posts a Netzme callback body to u with the callback token.
func sendCallback(token, u string, body []byte) (status int, code string) {
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-callback-token", token)
	res, err := callbackClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	var ack struct {
		ResponseCode string `json:"responseCode"`
	}
	json.NewDecoder(res.Body).Decode(&ack)
	return res.StatusCode, ack.ResponseCode
}

var callbackClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

// fanOut runs n calls of send at once (they start together) and counts
// their answers.
func fanOut(n int, send func(i int) (int, string)) map[answer]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	out := map[answer]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			status, code := send(i)
			mu.Lock()
			out[answer{status, code}]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return out
}

// callbackStatuses counts the stored callbacks of kind by status.
func callbackStatuses(t *testing.T, d *db.DB, kind string) map[db.CallbackStatus]int {
	t.Helper()
	rows, err := d.SQL().QueryContext(t.Context(), d.Rebind(`SELECT status, count(*) FROM callbacks WHERE kind = ? GROUP BY status`), kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[db.CallbackStatus]int{}
	for rows.Next() {
		var s db.CallbackStatus
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// ledgerCount counts the ledger transactions booked for a record (of one
// kind, or any if "").
func ledgerCount(t *testing.T, d *db.DB, table string, id int64, kind string) int {
	t.Helper()
	var n int
	if err := d.SQL().QueryRowContext(t.Context(), d.Rebind(`SELECT count(*) FROM ledger_transactions
		WHERE source_table = ? AND source_id = ? AND (? = '' OR kind = ?)`), table, id, kind, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// callbackStream sends distinct static-QRIS payment callbacks (§3.16) to
// one instance from several senders until the instance stops answering.
type callbackStream struct {
	token, url, custID string
	wg                 sync.WaitGroup
	mu                 sync.Mutex
	sent               []string
	acked, cutOff      atomic.Int64
	refused            atomic.Int64
}

func newCallbackStream(token, base, custID string) *callbackStream {
	return &callbackStream{token: token, url: base, custID: custID}
}

func (s *callbackStream) body(rrn string) []byte {
	return fmt.Appendf(nil, `{"originalReferenceNo":%q,"amount":{"value":"10000.00","currency":"IDR"},"netAmount":{"value":"9930.00","currency":"IDR"},
"feeAmount":{"value":"70.00","currency":"IDR"},"latestTransactionStatus":"00","transactionStatusDesc":"Success",
"additionalInfo":{"invoiceNumber":"1","custIdMerchant":%q,"buyerFullname":"Pembeli","issuerName":"Netzme",
"type":"pay_qris","rrn":%q,"localTrasactionDate":"20261121","issuerId":"93600814"}}`, rrn, s.custID, rrn)
}

func (s *callbackStream) start(senders int) {
	for g := range senders {
		s.wg.Go(func() {
			for i := 0; ; i++ {
				rrn := fmt.Sprintf("T%02d%09d", g, i)
				s.mu.Lock()
				s.sent = append(s.sent, rrn)
				s.mu.Unlock()
				status, code := sendCallback(s.token, s.url+"/callbacks/netzme/qris", s.body(rrn))
				switch {
				case status == 0:
					s.cutOff.Add(1)
					return
				case status != http.StatusOK || code != "2000000":
					s.refused.Add(1)
				default:
					s.acked.Add(1)
				}
			}
		})
	}
}

func (s *callbackStream) wait() { s.wg.Wait() }

func (s *callbackStream) rrns() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// resend delivers every event sent once more, through base: Netzme's retry
// of those never acknowledged, a duplicate of the others. Each must be
// acknowledged now.
func (s *callbackStream) resend(t *testing.T, base string) {
	t.Helper()
	if n := s.refused.Load(); n != 0 {
		t.Errorf("%d callbacks refused before the kill", n)
	}
	rrns := s.rrns()
	answers := fanOut(len(rrns), func(i int) (int, string) {
		return sendCallback(s.token, base+"/callbacks/netzme/qris", s.body(rrns[i]))
	})
	for a, n := range answers {
		if a.status != http.StatusOK || a.code != "2000000" {
			t.Errorf("%d of %d callbacks sent again answered %d %s", n, len(rrns), a.status, a.code)
		}
	}
}
