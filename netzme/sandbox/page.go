package sandbox

import (
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"lapak/netzme/qris"
	"lapak/snap"
)

//go:embed page.html pay.html style.css
var pageFS embed.FS

var pageTmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"idr":  idr,
	"wib":  func(t time.Time) string { return t.In(snap.Jakarta).Format("02-01-2006 15:04:05") + " WIB" },
	"idiv": func(minor int64) int64 { return max(minor/100-1000, 1) }, // a plausible wrong amount, whole rupiah
}).ParseFS(pageFS, "page.html", "pay.html"))

// idr formats sen as "Rp 25.000" (or "Rp 25.000,50").
func idr(minor int64) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	r := strconv.FormatInt(minor/100, 10)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && (len(r)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	out := "Rp " + b.String()
	if sen := minor % 100; sen != 0 {
		out += "," + strconv.FormatInt(sen/10, 10) + strconv.FormatInt(sen%10, 10)
	}
	if neg {
		out = "-" + out
	}
	return out
}

// parseRupiah reads an amount typed on the page ("25000", "25.000", "Rp 25.000") into sen.
func parseRupiah(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "Rp"))
	s = strings.ReplaceAll(s, ".", "")
	if !digits(s) || len(s) > 12 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * 100, err == nil && n > 0
}

func (s *Sandbox) pageRoutes(mux *http.ServeMux) {
	// The pages post forms only; Go's cross-origin protection stands in for
	// CSRF tokens. No inline script or style, so a strict CSP holds.
	cop := http.NewCrossOriginProtection()
	post := func(pattern string, h http.HandlerFunc) { mux.Handle("POST "+pattern, cop.Handler(h)) }
	mux.HandleFunc("GET /sandbox/{$}", s.showIndex)
	mux.HandleFunc("GET /sandbox/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		b, _ := pageFS.ReadFile("style.css")
		w.Write(b)
	})
	mux.HandleFunc("GET /sandbox/pay/{id}", s.showPay)
	mux.HandleFunc("GET /sandbox/pay/{id}/qr.png", s.showQR)
	post("/sandbox/pay/{id}", s.payAction)
	post("/sandbox/qris", s.payStaticAction)
	post("/sandbox/withdrawals/{id}", s.settleAction)
	post("/sandbox/faults", s.faultAction)
	post("/sandbox/callback-faults", s.callbackFaultAction)
	post("/sandbox/faults/clear", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		http.Redirect(w, r, "/sandbox/?msg=Gangguan+dihapus", http.StatusSeeOther)
	})
}

type indexView struct {
	Message     string
	Merchant    Merchant
	Balances    Balances
	SMS         string
	Open        []InvoiceTransaction
	Withdrawals []Withdrawal
	Deliveries  []Delivery
	Requests    []Request
	Faults      map[string][]Fault
	Endpoints   []string
	ClientID    string
}

func (s *Sandbox) showIndex(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := indexView{Message: r.URL.Query().Get("msg"), Merchant: s.DemoMerchant(), Faults: s.PendingFaults(), Endpoints: Endpoints(), ClientID: s.id.ClientID}
	v.Balances, _ = s.Balances(ctx, v.Merchant.CustID)
	v.SMS = s.LastSMS(ctx, v.Merchant.CustID)
	open, err := s.openInvoiceTransactions(ctx, pageOpenLimit)
	if err != nil {
		http.Error(w, "sandbox state unavailable", http.StatusInternalServerError)
		return
	}
	v.Open = open
	v.Withdrawals, _ = s.recentWithdrawals(ctx, 10)
	ds := s.Deliveries()
	for i := len(ds) - 1; i >= 0 && len(v.Deliveries) < 15; i-- {
		v.Deliveries = append(v.Deliveries, ds[i])
	}
	rs := s.Requests()
	for i := len(rs) - 1; i >= 0 && len(v.Requests) < 15; i-- {
		v.Requests = append(v.Requests, rs[i])
	}
	render(w, "page.html", v)
}

func render(w http.ResponseWriter, name string, v any) {
	var b strings.Builder
	if err := pageTmpl.ExecuteTemplate(&b, name, v); err != nil {
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	w.Write([]byte(b.String()))
}

type payView struct {
	Trx      InvoiceTransaction
	Merchant Merchant
	Other    int64 // suggested wrong amount, whole rupiah
}

func (s *Sandbox) showPay(w http.ResponseWriter, r *http.Request) {
	t, err := s.InvoiceTransaction(r.Context(), r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	m, _ := s.Merchant(r.Context(), t.CustID)
	render(w, "pay.html", payView{Trx: t, Merchant: m, Other: max(t.TotalMinor/100-1000, 1)})
}

func (s *Sandbox) showQR(w http.ResponseWriter, r *http.Request) {
	t, err := s.InvoiceTransaction(r.Context(), r.PathValue("id"))
	if err != nil || t.QRISPayload == "" {
		http.NotFound(w, r)
		return
	}
	png, err := qris.PNG(t.QRISPayload, 8)
	if err != nil {
		http.Error(w, "qr failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}

func back(w http.ResponseWriter, r *http.Request, msg string) {
	to := r.FormValue("back")
	if !strings.HasPrefix(to, "/sandbox/") || strings.HasPrefix(to, "//") {
		to = "/sandbox/"
	}
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"msg="+template.URLQueryEscaper(msg), http.StatusSeeOther)
}

func (s *Sandbox) payAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var err error
	msg := ""
	switch r.FormValue("action") {
	case "pay":
		var p Payment
		if p, err = s.PayInvoice(r.Context(), id, 0); err == nil {
			msg = "Dibayar " + idr(p.AmountMinor)
		}
	case "other":
		amount, ok := parseRupiah(r.FormValue("amount"))
		if !ok {
			back(w, r, "Jumlah tidak valid")
			return
		}
		var p Payment
		if p, err = s.PayInvoice(r.Context(), id, amount); err == nil {
			msg = "Dibayar " + idr(p.AmountMinor) + " (jumlah lain)"
		}
	case "fail":
		if err = s.FailInvoice(r.Context(), id); err == nil {
			msg = "Pembayaran digagalkan"
		}
	default:
		err = errors.New("unknown action")
	}
	if err != nil {
		msg = "Gagal: " + err.Error()
	}
	back(w, r, msg)
}

func (s *Sandbox) payStaticAction(w http.ResponseWriter, r *http.Request) {
	amount, ok := parseRupiah(r.FormValue("amount"))
	if !ok {
		back(w, r, "Jumlah tidak valid")
		return
	}
	cust := r.FormValue("cust")
	if cust == "" {
		cust = s.demoID
	}
	q, err := s.PayStaticQRIS(r.Context(), cust, amount)
	if err != nil {
		back(w, r, "Gagal: "+err.Error())
		return
	}
	back(w, r, "QRIS statis dibayar "+idr(q.AmountMinor)+" (RRN "+q.RRN+")")
}

func (s *Sandbox) settleAction(w http.ResponseWriter, r *http.Request) {
	ok := r.FormValue("result") == "success"
	if err := s.SettleWithdrawal(r.PathValue("id"), ok); err != nil {
		back(w, r, "Gagal: "+err.Error())
		return
	}
	back(w, r, "Penarikan diselesaikan")
}

func (s *Sandbox) faultAction(w http.ResponseWriter, r *http.Request) {
	kind := ParseFaultKind(r.FormValue("kind"))
	ep := r.FormValue("endpoint")
	valid := false
	for _, e := range Endpoints() {
		valid = valid || e == ep
	}
	count, _ := strconv.Atoi(r.FormValue("count"))
	if kind == 0 || !valid || count < 1 || count > 100 {
		back(w, r, "Gangguan tidak valid")
		return
	}
	s.InjectFault(ep, Fault{Kind: kind, Count: count, Apply: r.FormValue("apply") == "1"})
	back(w, r, "Gangguan dipasang untuk "+ep)
}

func (s *Sandbox) callbackFaultAction(w http.ResponseWriter, r *http.Request) {
	kinds := map[string]CallbackFaultKind{"drop": CallbackDrop, "delay": CallbackDelay, "duplicate": CallbackDuplicate}
	kind, ok := kinds[r.FormValue("kind")]
	count, _ := strconv.Atoi(r.FormValue("count"))
	secs, _ := strconv.Atoi(r.FormValue("delay"))
	if !ok || count < 1 || count > 100 || secs < 0 || secs > 3600 {
		back(w, r, "Gangguan callback tidak valid")
		return
	}
	s.InjectCallbackFault(CallbackFault{Kind: kind, Count: count, Delay: time.Duration(secs) * time.Second})
	back(w, r, "Gangguan callback dipasang")
}
