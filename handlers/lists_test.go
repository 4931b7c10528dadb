package handlers

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lapak/db"
	"lapak/views"
)

// TestListsRefuseTamperedCursors: every paged list answers a cursor that was
// edited, cut short, made up or taken from another list with 400, the
// message saying so in Indonesian, and a link to the list's first page with
// its filters — never a 500, never another page. A stale page=N link shows
// the first page.
func TestListsRefuseTamperedCursors(t *testing.T) {
	m := newMoneyApp(t)
	owner, _, _ := m.loginAs(t, db.RoleOwner)
	admin, u := m.loginAdmin(t)
	// Enough audit lines for a real "next" token to edit.
	for range auditPageSize + 1 {
		if err := m.DB.Audit(t.Context(), db.AuditEntry{UserID: u.ID, UserEmail: u.Email, MerchantID: m.merchant.ID, Action: "test.entry"}); err != nil {
			t.Fatal(err)
		}
	}
	next := owner.get("/audit").doc.Find(`[data-testid=pager-next]`).AttrOr("href", "")
	nu, err := url.Parse(next)
	if err != nil || nu.Query().Get("cursor") == "" {
		t.Fatalf("audit next link %q", next)
	}
	real := nu.Query().Get("cursor")
	edited := real[:4] + string(rune(real[4]^1)) + real[5:]
	foreign := db.Cursor{Key: "2026-01-01T00:00:00.000000Z", ID: 7}.Encode("api_calls") // no page lists these
	bad := []string{edited, real[:len(real)-3], "bm90LWEtY3Vyc29y", "2", foreign}

	lists := []struct {
		c     *client
		path  string // with its filters
		first string // the first page, filters kept
	}{
		{owner, "/invoices?status=paid&q=kopi", "/invoices?q=kopi&status=paid"},
		{owner, "/history?from=" + m.clock().In(views.Jakarta).Format("2006-01-02"), "/history?from="},
		{owner, "/notifications?kind=invoice", "/notifications?kind=invoice"},
		{owner, "/audit", "/audit"},
		{owner, "/withdrawals", "/withdrawals"},
		{owner, "/cvs", "/cvs"},
		{owner, "/members", "/members"},
		{admin, "/admin/merchants", "/admin/merchants"},
		{admin, "/admin/users", "/admin/users"},
		{admin, "/admin/audit", "/admin/audit"},
		{admin, "/notifications", "/notifications"},
	}
	for _, l := range lists {
		sep := "?"
		if strings.Contains(l.path, "?") {
			sep = "&"
		}
		for _, tok := range bad {
			if l.path == "/audit" && tok == real[:len(real)-3] {
				continue
			}
			res := l.c.get(l.path + sep + "cursor=" + url.QueryEscape(tok))
			if res.Code != http.StatusBadRequest {
				t.Errorf("%s with cursor %q: status %d, want 400", l.path, tok, res.Code)
				continue
			}
			if got, want := res.text("error-message"), views.T(t.Context(), "pager.bad"); got != want || !strings.Contains(got, "halaman") {
				t.Errorf("%s: message %q, want %q", l.path, got, want)
			}
			if back := res.doc.Find(`[data-testid=error-back]`).AttrOr("href", ""); !strings.HasPrefix(back, l.first) || strings.Contains(back, "cursor") {
				t.Errorf("%s: way out %q, want the first page %s…", l.path, back, l.first)
			}
		}
		// A stale page=N link is the first page.
		if res := l.c.get(l.path + sep + "page=3"); res.Code != http.StatusOK || res.count("pager-prev") != 0 {
			t.Errorf("%s page=3: status %d, prev links %d; want the first page", l.path, res.Code, res.count("pager-prev"))
		}
	}
	// The real token still works, and nothing above was a server error.
	owner.get("/audit?cursor="+url.QueryEscape(real)).wantStatus(t, http.StatusOK)
	if strings.Contains(m.logs.String(), `"request failed"`) {
		t.Errorf("a bad cursor was logged as a server error:\n%s", m.logs.String())
	}
}

// TestInvoiceSearchAmountsAndShortQueries: an amount typed as 25000, 25.000
// or Rp 25.000 finds the invoices of exactly Rp 25.000; a query too short to
// search says so and leaves the list unfiltered.
func TestInvoiceSearchAmountsAndShortQueries(t *testing.T) {
	m := newMoneyApp(t)
	c, u, _ := m.loginAs(t, db.RoleOwner)
	for i, amount := range []int64{2_500_000, 250_000, 2_500_050, 2_500_000, 12_500_000} {
		if _, err := m.DB.CreateInvoiceIntent(t.Context(), db.NewInvoice{MerchantID: m.merchant.ID,
			PartnerReferenceNo: "AMT-" + itoa(i), Method: "QRIS", AmountMinor: amount, Description: "Pesanan",
			ExpiresAt: m.clock().Add(time.Hour), CreatedBy: u.ID}, db.AuditEntry{Action: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"25000", "25.000", "Rp 25.000", "rp25.000"} {
		res := c.get("/invoices?q="+url.QueryEscape(q)).wantStatus(t, http.StatusOK)
		var refs []string
		res.doc.Find(`[data-testid=invoice-link]`).Each(func(_ int, s *goquery.Selection) { refs = append(refs, s.Text()) })
		if !slices.Equal(refs, []string{"AMT-3", "AMT-0"}) {
			t.Errorf("q=%q lists %v, want the two invoices of Rp 25.000", q, refs)
		}
		if res.text("invoices-total") != "2 tagihan" || res.count("search-short") != 0 {
			t.Errorf("q=%q: total %q, short notice %d", q, res.text("invoices-total"), res.count("search-short"))
		}
	}
	res := c.get("/invoices?q=Pe").wantStatus(t, http.StatusOK)
	if res.count("search-short") != 1 || res.count("invoice-row") != 5 {
		t.Errorf("q=Pe: short notice %d, %d rows; want the notice and the whole list", res.count("search-short"), res.count("invoice-row"))
	}
	if res := c.get("/invoices?q=pesan"); res.count("invoice-row") != 5 || res.count("search-short") != 0 {
		t.Errorf("q=pesan: %d rows", res.count("invoice-row"))
	}
}

// TestListCountsAreCapped: a list shows "1.000+" rather than counting every
// row.
func TestListCountsAreCapped(t *testing.T) {
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleOwner)
	err := m.DB.InTx(t.Context(), func(tx *db.Tx) error {
		for i := range db.CountCap + 5 {
			if _, err := tx.InsertInvoice(t.Context(), db.NewInvoice{MerchantID: m.merchant.ID, PartnerReferenceNo: fmt.Sprint("N-", i),
				Method: "QRIS", AmountMinor: 1_000_000, Description: "Kopi", ExpiresAt: m.clock()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.get("/invoices").text("invoices-total"); got != "1.000+ tagihan" {
		t.Errorf("total %q, want 1.000+ tagihan", got)
	}
}

// pipeWriter is a ResponseWriter whose body goes through an io.Pipe: a
// Write returns only once the reader took it, so a handler cannot finish
// before its output is read.
type pipeWriter struct {
	header http.Header
	status int
	w      *io.PipeWriter
}

func (p *pipeWriter) Header() http.Header { return p.header }
func (p *pipeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *pipeWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return p.w.Write(b)
}
func (p *pipeWriter) Flush() {}

// TestInvoicesCSVStreams reads the first rows of an export while the
// handler is still writing it, then changes the oldest invoice: the last
// row shows the change, so rows really go from the database to the client
// as they are read, not from a list loaded before the first byte.
func TestInvoicesCSVStreams(t *testing.T) {
	app := newTestApp(t)
	c, _, merchant := app.loginAs(t, db.RoleOwner)
	const n = 4500 // several batches: the oldest is read long after the first rows left
	var oldest db.Invoice
	err := app.DB.InTx(t.Context(), func(tx *db.Tx) error {
		for i := range n {
			iv, err := tx.InsertInvoice(t.Context(), db.NewInvoice{MerchantID: merchant.ID, PartnerReferenceNo: fmt.Sprintf("S-%05d", i),
				Method: "QRIS", AmountMinor: 1_000_000, Description: "Kopi", ExpiresAt: app.clock().Add(time.Hour)})
			if err != nil {
				return err
			}
			if i == 0 {
				oldest = iv
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, w: pw}
	req := httptest.NewRequest(http.MethodGet, "/invoices.csv", nil)
	req.RemoteAddr = c.remoteAddr
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer pw.Close()
		app.routes.ServeHTTP(w, req)
	}()
	defer func() { io.Copy(io.Discard, pr); <-done }()
	br := bufio.NewReader(pr)
	if bom := make([]byte, len(utf8BOM)); !readFull(br, bom) || string(bom) != utf8BOM {
		t.Fatalf("export starts with %q, want the UTF-8 byte-order mark", bom)
	}
	r := csv.NewReader(br)
	header, err := r.Read()
	if err != nil || !slices.Equal(header, invoiceCSVHeader) {
		t.Fatalf("header %v, %v", header, err)
	}
	first, err := r.Read()
	if err != nil || first[0] != fmt.Sprintf("S-%05d", n-1) {
		t.Fatalf("first row %v, %v; want the newest invoice", first, err)
	}
	select {
	case <-done:
		t.Fatal("the handler finished before its rows were read")
	default:
	}
	if w.status != http.StatusOK || w.header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("status %d, Content-Type %q", w.status, w.header.Get("Content-Type"))
	}
	// While the export is under way, the oldest invoice fails.
	if ok, err := app.DB.ChangeInvoice(t.Context(), oldest.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown},
		To: db.InvoiceFailed, Source: "system", Failure: "test"}, db.AuditEntry{}); !ok || err != nil {
		t.Fatalf("change oldest: %v %v", ok, err)
	}
	rest, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != n-1 {
		t.Fatalf("%d more rows, want %d", len(rest), n-1)
	}
	last := rest[len(rest)-1]
	if last[0] != "S-00000" || last[8] != "failed" {
		t.Errorf("last row %v: want S-00000 as it is now (failed), read after the first rows left", last)
	}
}
