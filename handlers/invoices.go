package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/snap"
	"lapak/views"
)

// Invoices: the cashier's "charge a customer" pages. Every creation follows
// the house rule: the intent row (status unknown, our partnerReferenceNo) is
// committed first, Netzme is called outside any transaction, then the answer
// is recorded. A timeout or garbled answer leaves the row unknown, visible,
// and "Perbarui status" (Get Invoice Transaction) resolves it.

// invoicePageSize is how many invoices one list page shows.
const invoicePageSize = 25

// Amount limits in sen. QRIS payments are capped at Rp 10.000.000 per
// transaction (qris.md §2); other methods at Rp 100.000.000 (guess, spec
// §3.12: no limit documented; a back-office invoice above that is a typo).
const (
	maxQRISMinor    = 10_000_000_00
	maxInvoiceMinor = 100_000_000_00
)

// Invoice expiry bounds in minutes: the default hour and at most a week
// (guess, spec §3.12: expireInSecond has no documented bounds).
const (
	defaultExpiryMinutes = 60
	maxExpiryMinutes     = 7 * 24 * 60
)

// netzmeTimeout bounds one user action's Netzme call. The call is detached
// from the browser request: a cashier closing the tab must not turn an
// answered call into an unrecorded one.
const netzmeTimeout = 60 * time.Second

// invoiceMethods are the payMethods offered on the form, QRIS first (spec
// §3.12 lists them; the QA-only names are left out as undocumented).
var invoiceMethods = []string{
	netzme.PayQRIS, netzme.PayBankTransfer, netzme.PayBCA, netzme.PayNetzme, netzme.PayNetzmeSeamless,
	netzme.PayOVO, netzme.PayDANA, netzme.PayRetailOutlet, netzme.PayCreditCard,
}

// invoiceInput is a validated create-invoice form.
type invoiceInput struct {
	AmountMinor   int64
	Description   string
	Method        string
	CustomerName  string
	CustomerPhone string // normalised to +62…
	CustomerEmail string
	ExpiryMinutes int
	FeeType       string
}

var (
	rupiahGrouped = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,2})?$`) // 20.000 / 1.250.000,50
	rupiahComma   = regexp.MustCompile(`^[0-9]+(,[0-9]{1,2})?$`)                  // 20000 / 20000,50
	rupiahDotFrac = regexp.MustCompile(`^[0-9]+\.[0-9]{1,2}$`)                    // 25000.00 (CSV form)
	lettersSpaces = regexp.MustCompile(`^[A-Za-z ]+$`)
)

// parseRupiah reads an amount as users type it — "20000", "20.000",
// "Rp 20.000", "Rp20.000,50", "25000.00" — into sen. It returns the catalogue
// key of the problem ("" when fine). A dot followed by exactly three digits
// groups thousands (Indonesian style); a dot with one or two digits at the end
// is the decimal point of the CSV form. No floating point anywhere.
func parseRupiah(s string) (int64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "err.required"
	}
	if len(s) >= 2 && strings.EqualFold(s[:2], "rp") {
		s = strings.TrimPrefix(strings.TrimSpace(s[2:]), ".")
	}
	s = strings.TrimSpace(s)
	var whole, frac string
	switch {
	case rupiahGrouped.MatchString(s):
		whole, frac, _ = strings.Cut(s, ",")
		whole = strings.ReplaceAll(whole, ".", "")
	case rupiahComma.MatchString(s):
		whole, frac, _ = strings.Cut(s, ",")
	case rupiahDotFrac.MatchString(s):
		whole, frac, _ = strings.Cut(s, ".")
	default:
		return 0, "err.amount"
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 15 {
		return 0, "err.amount.max"
	}
	var rp int64
	if whole != "" {
		var err error
		if rp, err = strconv.ParseInt(whole, 10, 64); err != nil {
			return 0, "err.amount"
		}
	}
	var sen int64
	if frac != "" {
		if len(frac) == 1 {
			frac += "0"
		}
		sen, _ = strconv.ParseInt(frac, 10, 64)
	}
	minor := rp*100 + sen
	if minor <= 0 {
		return 0, "err.amount.zero"
	}
	return minor, ""
}

// normalisePhone turns "0812…", "62812…", "+62 812-…" into "+62812…"
// (spec §3.12 example "+62813293333333"); ok is false for anything else.
func normalisePhone(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "+62"):
		s = s[3:]
	case strings.HasPrefix(s, "62"):
		s = s[2:]
	case strings.HasPrefix(s, "0"):
		s = s[1:]
	default:
		return "", false
	}
	if len(s) < 8 || len(s) > 13 || s[0] == '0' {
		return "", false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return "+62" + s, true
}

// readInvoiceInput validates the create-invoice form (the stable interface
// in README.md). Messages go into errs by field name.
func readInvoiceInput(form url.Values, errs views.FieldErrors) (invoiceInput, views.InvoiceForm) {
	f := views.InvoiceForm{
		Amount: form.Get("amount"), Description: form.Get("description"), Method: form.Get("method"),
		CustomerName: form.Get("customer_name"), CustomerPhone: form.Get("customer_phone"),
		CustomerEmail: form.Get("customer_email"), ExpiryMinutes: form.Get("expiry_minutes"), FeeType: form.Get("fee_type"),
		Errors: errs,
	}
	var in invoiceInput
	in.Method = strings.TrimSpace(f.Method)
	if in.Method == "" {
		in.Method = netzme.PayQRIS
	}
	if !contains(invoiceMethods, in.Method) {
		errs["method"] = "err.method"
	}
	var key string
	if in.AmountMinor, key = parseRupiah(f.Amount); key != "" {
		errs["amount"] = key
	} else if limit := maxLimit(in.Method); in.AmountMinor > limit {
		errs["amount"] = "err.amount.max"
	}
	in.Description = trimmed(errs, "description", f.Description, 200)
	if in.Description == "" {
		errs["description"] = "err.required"
	}
	in.CustomerName = trimmed(errs, "customer_name", f.CustomerName, 60)
	if in.CustomerName != "" && !lettersSpaces.MatchString(in.CustomerName) {
		// Netzme accepts letters only in fullname (spec §3.12).
		errs["customer_name"] = "err.lettersonly"
	}
	if p := strings.TrimSpace(f.CustomerPhone); p != "" {
		var ok bool
		if in.CustomerPhone, ok = normalisePhone(p); !ok {
			errs["customer_phone"] = "err.phone"
		}
	}
	if e := strings.TrimSpace(f.CustomerEmail); e != "" {
		if !validEmail(e) {
			errs["customer_email"] = "err.email"
		}
		in.CustomerEmail = e
	}
	in.ExpiryMinutes = defaultExpiryMinutes
	if s := strings.TrimSpace(f.ExpiryMinutes); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxExpiryMinutes {
			errs["expiry_minutes"] = "err.expiry"
		} else {
			in.ExpiryMinutes = n
		}
	}
	in.FeeType = strings.TrimSpace(f.FeeType)
	switch in.FeeType {
	case "":
		in.FeeType = netzme.FeeOnSeller
	case netzme.FeeOnSeller, netzme.FeeOnBuyer:
	default:
		errs["fee_type"] = "err.feetype"
	}
	if f.Method == "" {
		f.Method = in.Method
	}
	return in, f
}

func maxLimit(method string) int64 {
	if method == netzme.PayQRIS {
		return maxQRISMinor
	}
	return maxInvoiceMinor
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// netzmeCtx is the context of one Netzme call for the request's user and
// merchant: detached from the browser, bounded, scoped for api_calls.
func (h *Handler) netzmeCtx(r *http.Request) (context.Context, context.CancelFunc) {
	a := accountFrom(r.Context())
	ctx := money.WithCallScope(context.WithoutCancel(r.Context()), a.Current.MerchantID, a.User.ID)
	return context.WithTimeout(ctx, netzmeTimeout)
}

// currentMerchant loads the merchant of the verified membership.
func (h *Handler) currentMerchant(r *http.Request) (db.Merchant, error) {
	return h.db.Merchant(r.Context(), accountFrom(r.Context()).Current.MerchantID)
}

// createInvoiceResult says how a creation ended, for the flash message.
type createInvoiceResult struct {
	Invoice db.Invoice
	QRIS    db.QRISCode // set when a QRIS payload was decoded and stored
	Flash   string      // catalogue key
	Kind    string      // "ok" or "error"
}

// createInvoice runs the intent → Create Invoice Transaction → answer
// sequence for m. The returned invoice is always stored (unless err != nil,
// which means the intent itself could not be written).
func (h *Handler) createInvoice(r *http.Request, m db.Merchant, in invoiceInput) (createInvoiceResult, error) {
	ctx := r.Context()
	a := accountFrom(ctx)
	now := h.now()
	ref := newReference(now)
	iv, err := h.db.CreateInvoiceIntent(ctx, db.NewInvoice{
		MerchantID: m.ID, PartnerReferenceNo: ref, Method: in.Method, AmountMinor: in.AmountMinor,
		FeeType: in.FeeType, Description: in.Description, CustomerName: in.CustomerName,
		CustomerPhone: in.CustomerPhone, CustomerEmail: in.CustomerEmail,
		ExpiresAt: now.Add(time.Duration(in.ExpiryMinutes) * time.Minute), CreatedBy: a.User.ID,
	}, h.auditEntry(r, "invoice.create", m.ID, map[string]any{
		"partner_reference_no": ref, "method": in.Method, "amount": snap.FormatAmount(in.AmountMinor), "fee_type": in.FeeType,
	}))
	if err != nil {
		return createInvoiceResult{}, err
	}
	nctx, cancel := h.netzmeCtx(r)
	defer cancel()
	trx, callErr := h.netzme.CreateInvoiceTransaction(nctx, netzme.InvoiceTransactionRequest{
		PartnerReferenceNo: ref, CustIDMerchant: m.NetzmeCustID, AmountMinor: in.AmountMinor,
		PayMethod: in.Method, ExpireIn: time.Duration(in.ExpiryMinutes) * time.Minute, FeeType: in.FeeType,
		Buyer: netzme.Buyer{Email: in.CustomerEmail, Description: in.Description, Notes: in.Description,
			PhoneNumber: in.CustomerPhone, FullName: in.CustomerName},
	})
	res := createInvoiceResult{Kind: "ok", Flash: "flash.invoice.created"}
	var ch db.InvoiceChange
	switch {
	case callErr == nil:
		created := &db.InvoiceCreated{NetzmeTrxID: trx.TrxID, NetzmeInvoiceID: trx.InvoiceID,
			PaymentURL: trx.PaymentURL, ExpiresAt: trx.ExpiresAt, VANumbers: vaJSON(trx.VirtualAccounts)}
		note := "created at Netzme"
		if trx.QRImage != "" {
			// Netzme sends only a PNG (spec §3.12); we keep the EMV payload so we
			// can draw it crisp ourselves, and only if it is a valid QRIS.
			if payload, err := qris.DecodeDataURI(trx.QRImage); err != nil {
				note = "created at Netzme; QR image unreadable"
			} else if _, err := qris.Parse(payload); err != nil {
				note = "created at Netzme; QR payload invalid"
			} else {
				created.QRISPayload = payload
			}
		}
		ch = db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoicePending, Source: "netzme",
			Note: note, UserID: a.User.ID, Created: created}
	case errors.Is(callErr, netzme.ErrOutcomeUnknown):
		res.Kind, res.Flash = "error", "flash.invoice.unknown"
		ch = db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoiceUnknown, Source: "netzme",
			Note: "no clear answer from Netzme: " + failureText(callErr), UserID: a.User.ID}
	default:
		res.Kind, res.Flash = "error", "flash.invoice.failed"
		ch = db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoiceFailed, Source: "netzme",
			Note: "refused by Netzme", Failure: failureText(callErr), UserID: a.User.ID}
	}
	audit := h.auditEntry(r, "invoice.answer", m.ID, map[string]any{"partner_reference_no": ref, "status": ch.To})
	if _, err := h.db.ChangeInvoice(context.WithoutCancel(ctx), iv.ID, ch, audit); err != nil {
		return createInvoiceResult{}, err
	}
	if res.Invoice, err = h.db.MerchantInvoice(ctx, m.ID, iv.ID); err != nil {
		return createInvoiceResult{}, err
	}
	if p := res.Invoice.QRISPayload; p != "" {
		res.QRIS, err = h.db.AddQRISCode(ctx, db.QRISCode{MerchantID: m.ID, Kind: db.QRISInvoice, InvoiceID: iv.ID,
			Payload: p, AmountMinor: in.AmountMinor, Label: in.Description, CreatedBy: a.User.ID}, db.AuditEntry{})
		if err != nil {
			return createInvoiceResult{}, err
		}
	}
	return res, nil
}

func vaJSON(vas []netzme.VirtualAccount) string {
	type va struct {
		BankCode string `json:"bankCode"`
		Number   string `json:"number"`
	}
	out := make([]va, 0, len(vas))
	for _, v := range vas {
		out = append(out, va{v.BankCode, v.Number})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// showInvoices is the list with filters, paging and (for owners and
// cashiers) the create form.
func (h *Handler) showInvoices(w http.ResponseWriter, r *http.Request) {
	h.renderInvoices(w, r, http.StatusOK, views.InvoiceForm{Method: netzme.PayQRIS, FeeType: netzme.FeeOnSeller,
		ExpiryMinutes: strconv.Itoa(defaultExpiryMinutes)})
}

// invoiceFilter reads status, q and page from the query string. Unknown
// statuses are ignored rather than refused: a stale bookmark still lists.
func invoiceFilter(q url.Values) (db.InvoiceFilter, int) {
	f := db.InvoiceFilter{Query: strings.TrimSpace(q.Get("q")), Method: strings.TrimSpace(q.Get("method"))}
	if s := db.InvoiceStatus(q.Get("status")); s != "" {
		for _, v := range db.InvoiceStatuses {
			if v == s {
				f.Status = s
			}
		}
	}
	if !contains(invoiceMethods, f.Method) {
		f.Method = ""
	}
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 && n < 1_000_000 {
		page = n
	}
	return f, page
}

func (h *Handler) renderInvoices(w http.ResponseWriter, r *http.Request, status int, form views.InvoiceForm) {
	ctx := r.Context()
	a := accountFrom(ctx)
	f, page := invoiceFilter(r.URL.Query())
	f.Limit, f.Offset = invoicePageSize, (page-1)*invoicePageSize
	ivs, total, err := h.db.Invoices(ctx, a.Current.MerchantID, f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.InvoicesView{
		Form: form, CanCreate: a.hasRole(db.RoleOwner, db.RoleCashier), Linked: m.NetzmeCustID != "",
		Status: string(f.Status), Query: f.Query, Method: f.Method, Page: page, Total: total,
		HasNext: page*invoicePageSize < total, Methods: invoiceMethods,
	}
	for _, s := range db.InvoiceStatuses {
		v.Statuses = append(v.Statuses, string(s))
	}
	qs := url.Values{}
	if f.Status != "" {
		qs.Set("status", string(f.Status))
	}
	if f.Query != "" {
		qs.Set("q", f.Query)
	}
	if f.Method != "" {
		qs.Set("method", f.Method)
	}
	v.CSVURL = "/invoices.csv"
	if len(qs) > 0 {
		v.CSVURL += "?" + qs.Encode()
	}
	pageURL := func(n int) string {
		q := url.Values{}
		for k, vs := range qs {
			q[k] = vs
		}
		q.Set("page", strconv.Itoa(n))
		return "/invoices?" + q.Encode()
	}
	if page > 1 {
		v.PrevURL = pageURL(page - 1)
	}
	if v.HasNext {
		v.NextURL = pageURL(page + 1)
	}
	for _, iv := range ivs {
		v.Rows = append(v.Rows, views.InvoiceRow{ID: iv.ID, Reference: iv.PartnerReferenceNo, Method: iv.Method,
			Description: iv.Description, CustomerName: iv.CustomerName, Status: string(iv.Status),
			AmountMinor: iv.AmountMinor, CreatedAt: iv.CreatedAt})
	}
	h.render(w, r, status, views.InvoicesPage(h.page(r, views.T(ctx, "invoices.title")), v))
}

// createInvoiceHandler is POST /invoices (stable interface, README): 303 to
// the new invoice, 422 with field messages for an invalid form.
func (h *Handler) createInvoiceHandler(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	errs := views.FieldErrors{}
	in, form := readInvoiceInput(r.PostForm, errs)
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if m.NetzmeCustID == "" {
		errs["amount"] = "err.notlinked"
	}
	if len(errs) > 0 {
		h.renderInvoices(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	res, err := h.createInvoice(r, m, in)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(r.Context(), res.Kind, res.Flash, res.Invoice.PartnerReferenceNo)
	http.Redirect(w, r, "/invoices/"+strconv.FormatInt(res.Invoice.ID, 10), http.StatusSeeOther)
}

// currentInvoice loads the invoice in the URL for the current merchant;
// another merchant's invoice is ErrNotFound.
func (h *Handler) currentInvoice(r *http.Request) (db.Invoice, error) {
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		return db.Invoice{}, db.ErrNotFound
	}
	return h.db.MerchantInvoice(r.Context(), accountFrom(r.Context()).Current.MerchantID, id)
}

// autoRefreshSeconds is how often a pending invoice page reloads itself
// (static/app.js, data-refresh: the CSP forbids inline script).
const autoRefreshSeconds = 5

// showInvoice is the detail page: status, amounts, payment data, QR,
// timeline and "Perbarui status".
func (h *Handler) showInvoice(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	iv, err := h.currentInvoice(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	evs, err := h.db.InvoiceEvents(ctx, iv.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	a := accountFrom(ctx)
	v := views.InvoiceView{
		ID: iv.ID, Reference: iv.PartnerReferenceNo, TrxID: iv.NetzmeTrxID, NetzmeInvoiceID: iv.NetzmeInvoiceID,
		Method: iv.Method, Description: iv.Description, Status: string(iv.Status), AmountMinor: iv.AmountMinor,
		FeeType: iv.FeeType, CustomerName: iv.CustomerName, CustomerPhone: iv.CustomerPhone,
		CustomerEmail: iv.CustomerEmail, PaymentURL: safeURL(iv.PaymentURL), ExpiresAt: iv.ExpiresAt,
		CreatedAt: iv.CreatedAt, FailureReason: iv.FailureReason,
		CanRefresh: a.hasRole(db.RoleOwner, db.RoleCashier) &&
			(iv.Status == db.InvoiceUnknown || iv.Status == db.InvoicePending),
	}
	if iv.PaidAmountMinor.Valid {
		v.HasPaid, v.PaidMinor = true, iv.PaidAmountMinor.Int64
	}
	if iv.FeeMinor.Valid {
		v.HasFee, v.FeeMinor = true, iv.FeeMinor.Int64
	}
	if iv.NetMinor.Valid {
		v.HasNet, v.NetMinor = true, iv.NetMinor.Int64
	}
	if iv.PaidAt.Valid {
		v.PaidAt = iv.PaidAt.Time
	}
	var vas []struct {
		BankCode string `json:"bankCode"`
		Number   string `json:"number"`
	}
	if json.Unmarshal([]byte(iv.VANumbers), &vas) == nil {
		for _, x := range vas {
			v.VANumbers = append(v.VANumbers, views.VANumber{Bank: x.BankCode, Number: x.Number})
		}
	}
	if iv.QRISPayload != "" {
		if svg, err := qris.SVG(iv.QRISPayload); err == nil {
			v.QRSVG = string(svg)
		}
		if code, err := h.db.InvoiceQRISCode(ctx, iv.MerchantID, iv.ID); err == nil {
			v.QRISCodeID = code.ID
		}
	}
	// A pending invoice still before its expiry reloads itself for the
	// cashier watching it; so does an unknown one being resolved.
	if iv.Status == db.InvoicePending && h.now().Before(iv.ExpiresAt) {
		v.AutoRefresh = autoRefreshSeconds
	}
	for _, e := range evs {
		v.Events = append(v.Events, views.InvoiceEventRow{At: e.At, Status: string(e.Status), Source: e.Source, Note: e.Note})
	}
	h.render(w, r, http.StatusOK, views.InvoicePage(h.page(r, iv.PartnerReferenceNo), v))
}

// safeURL keeps only http(s) URLs, so a hostile answer cannot put a
// javascript: link on our page.
func safeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}

// refreshInvoice is "Perbarui status": Get Invoice Transaction (spec §3.14),
// then the guarded transition the answer calls for.
func (h *Handler) refreshInvoice(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	iv, err := h.currentInvoice(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	back := "/invoices/" + strconv.FormatInt(iv.ID, 10)
	if next := r.URL.Query().Get("next"); next != "" {
		back = safeNext(next)
	}
	res, err := h.money.ResolveInvoice(ctx, h.actor(r), iv)
	kind, key := resolutionFlash(res)
	switch {
	case errors.Is(err, money.ErrUnconfirmed):
		kind, key = "error", "flash.refresh.error"
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, kind, key, iv.PartnerReferenceNo)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// resolutionFlash is the message for what resolving an invoice did.
func resolutionFlash(res money.InvoiceResolution) (kind, key string) {
	switch {
	case !res.Changed && res.From == res.To && res.To == db.InvoicePending:
		return "ok", "flash.invoice.stillpending"
	case !res.Changed:
		return "ok", "flash.invoice.final"
	case res.NotReceived:
		return "error", "flash.invoice.notfound"
	}
	switch res.To {
	case db.InvoicePaid:
		return "ok", "flash.invoice.paid"
	case db.InvoiceExpired:
		return "error", "flash.invoice.expired"
	case db.InvoiceFailed:
		return "error", "flash.invoice.failed"
	}
	return "ok", "flash.invoice.resolved"
}

// Temporary bridges while the flows move into package money (issue 10);
// each goes with the last handler that uses it.
func newReference(now time.Time) string  { return money.NewReference(now) }
func failureText(err error) string       { return netzme.Describe(err) }
func parseNetzmeTime(s string) time.Time { return money.ParseNetzmeTime(s) }
