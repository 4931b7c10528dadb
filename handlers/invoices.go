package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/qris"
	"lapak/snap"
	"lapak/views"
)

// Invoices: the cashier's "charge a customer" pages. Creating one is
// money.CreateInvoice (intent, Create Invoice Transaction, answer); these
// handlers parse the form, show the lists and the detail page, and map the
// result to a flash. "Perbarui status" is money.ResolveInvoice.

// invoicePageSize is how many invoices one list page shows.
const invoicePageSize = 25

var (
	rupiahGrouped = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,2})?$`) // 20.000 / 1.250.000,50
	rupiahComma   = regexp.MustCompile(`^[0-9]+(,[0-9]{1,2})?$`)                  // 20000 / 20000,50
	rupiahDotFrac = regexp.MustCompile(`^[0-9]+\.[0-9]{1,2}$`)                    // 25000.00 (CSV form)
)

// parseRupiah reads an amount as users type it — "20000", "20.000",
// "Rp 20.000", "20.000,00", "25000.00" — into sen. It returns the catalogue
// key of the problem ("" when fine). A dot followed by exactly three digits
// groups thousands (Indonesian style); a dot with one or two digits at the end
// is the decimal point of the CSV form. Amounts are whole rupiah (issue 13
// §9: "0,01" must not become a 1-sen invoice): sen other than zero are
// refused (err.amount.whole), so is anything below Rp 1. No floating point
// anywhere.
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
	if strings.Trim(frac, "0") != "" {
		return 0, "err.amount.whole"
	}
	if rp <= 0 {
		return 0, "err.amount.zero"
	}
	return rp * 100, ""
}

// readInvoiceInput parses the create-invoice form (the stable interface in
// README.md): what a person typed becomes sen, +62… and minutes; messages of
// what cannot be read go into errs by field name. The business rules are
// money's (InvoiceInput.Check).
func readInvoiceInput(form url.Values, errs views.FieldErrors) (money.InvoiceInput, views.InvoiceForm) {
	f := views.InvoiceForm{
		Amount: form.Get("amount"), Description: form.Get("description"), Method: form.Get("method"),
		CustomerName: form.Get("customer_name"), CustomerPhone: form.Get("customer_phone"),
		CustomerEmail: form.Get("customer_email"), ExpiryMinutes: form.Get("expiry_minutes"), FeeType: form.Get("fee_type"),
		Errors: errs,
	}
	in := money.InvoiceInput{Purpose: money.PurposeSale, Description: f.Description, Method: f.Method,
		CustomerName: f.CustomerName, FeeType: f.FeeType}
	var key string
	if in.AmountMinor, key = parseRupiah(f.Amount); key != "" {
		errs["amount"] = key
	}
	if p := strings.TrimSpace(f.CustomerPhone); p != "" {
		// Netzme's buyer phone is +62… (§3.12 example "+62813293333333").
		if ph, err := snap.ParsePhone(p); err != nil {
			errs["customer_phone"] = "err.phone"
		} else {
			in.CustomerPhone = ph.E164()
		}
	}
	if e := strings.TrimSpace(f.CustomerEmail); e != "" {
		if !validEmail(e) {
			errs["customer_email"] = "err.email"
		}
		in.CustomerEmail = e
	}
	if s := strings.TrimSpace(f.ExpiryMinutes); s != "" {
		// A positive whole number of minutes; its bounds are money's.
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			errs["expiry_minutes"] = "err.expiry"
		} else {
			in.Expiry = time.Duration(n) * time.Minute
		}
	}
	if strings.TrimSpace(f.Method) == "" {
		f.Method = netzme.PayQRIS
	}
	return in, f
}

// invoiceFields names the form fields money calls otherwise.
var invoiceFields = map[string]string{"expiry": "expiry_minutes"}

// currentMerchant loads the merchant of the verified membership.
func (h *Handler) currentMerchant(r *http.Request) (db.Merchant, error) {
	return h.db.Merchant(r.Context(), accountFrom(r.Context()).Current.MerchantID)
}

// invoiceFlash is the message for how a creation ended.
func invoiceFlash(res money.InvoiceResult) (kind, key string) {
	switch res.Outcome {
	case money.Unknown:
		return "error", "flash.invoice.unknown"
	case money.Refused:
		return "error", "flash.invoice.failed"
	}
	if res.Invoice.Purpose == string(money.PurposeTopup) {
		return "ok", "flash.topup.created"
	}
	return "ok", "flash.invoice.created"
}

// showInvoices is the list with filters, paging and (for owners and
// cashiers) the create form.
func (h *Handler) showInvoices(w http.ResponseWriter, r *http.Request) {
	h.renderInvoices(w, r, http.StatusOK, views.InvoiceForm{Method: netzme.PayQRIS, FeeType: netzme.FeeOnSeller,
		ExpiryMinutes: strconv.Itoa(int(money.DefaultInvoiceExpiry / time.Minute))})
}

// invoiceFilter reads status, method and q from the query string. Unknown
// statuses and methods are ignored rather than refused: a stale bookmark
// still lists. q is searched as text and, when it reads as an amount
// (parseRupiah: "25000", "25.000", "Rp 25.000"), as that exact amount too;
// short reports a q too short to search as text that is no amount either
// (the page says so and lists unfiltered).
func invoiceFilter(q url.Values) (f db.InvoiceFilter, short bool) {
	f = db.InvoiceFilter{Query: strings.TrimSpace(q.Get("q")), Method: strings.TrimSpace(q.Get("method"))}
	if s := db.InvoiceStatus(q.Get("status")); s != "" {
		for _, v := range db.InvoiceStatuses {
			if v == s {
				f.Status = s
			}
		}
	}
	if !slices.Contains(money.InvoiceMethods(), f.Method) {
		f.Method = ""
	}
	if f.Query != "" {
		if minor, key := parseRupiah(f.Query); key == "" {
			f.AmountMinor = minor
		}
	}
	short = f.Query != "" && f.AmountMinor == 0 && utf8.RuneCountInString(f.Query) < db.SearchMinChars
	return f, short
}

// invoiceListQuery is the query string of f (the list's filters), for links.
func invoiceListQuery(f db.InvoiceFilter) url.Values {
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
	return qs
}

func (h *Handler) renderInvoices(w http.ResponseWriter, r *http.Request, status int, form views.InvoiceForm) {
	ctx := r.Context()
	a := accountFrom(ctx)
	f, short := invoiceFilter(r.URL.Query())
	f.Purpose = string(salesOnly(a))
	qs := invoiceListQuery(f)
	page, err := h.db.Invoices(ctx, a.Current.MerchantID, f, pageCursor(r), invoicePageSize)
	if err != nil {
		h.listError(w, r, err, firstPageURL("/invoices", qs))
		return
	}
	total, err := h.db.CountInvoices(ctx, a.Current.MerchantID, f)
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
		Status: string(f.Status), Query: f.Query, Method: f.Method, Total: countLabel(total), SearchShort: short,
		Methods: money.InvoiceMethods(), Pager: pagerFor("/invoices", qs, page),
	}
	for _, s := range db.InvoiceStatuses {
		v.Statuses = append(v.Statuses, string(s))
	}
	v.CSVURL = firstPageURL("/invoices.csv", qs)
	for _, iv := range page.Rows {
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
	if len(errs) > 0 {
		// Say what else is wrong too, in one round.
		fieldMessages(errs, in.Check(), "amount", invoiceFields)
		h.renderInvoices(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	res, err := h.money.CreateInvoice(r.Context(), h.actor(r), in)
	if err != nil {
		if !fieldMessages(errs, err, "amount", invoiceFields) {
			h.serverError(w, r, err)
			return
		}
		h.renderInvoices(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	kind, key := invoiceFlash(res)
	h.setFlash(r.Context(), kind, key, res.Invoice.PartnerReferenceNo)
	http.Redirect(w, r, "/invoices/"+strconv.FormatInt(res.Invoice.ID, 10), http.StatusSeeOther)
}

// currentInvoice loads the invoice in the URL for the current merchant;
// another merchant's invoice is ErrNotFound.
func (h *Handler) currentInvoice(r *http.Request) (db.Invoice, error) {
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		return db.Invoice{}, db.ErrNotFound
	}
	a := accountFrom(r.Context())
	iv, err := h.db.MerchantInvoice(r.Context(), a.Current.MerchantID, id)
	if err == nil && !salesOnly(a).allows(iv) {
		return db.Invoice{}, db.ErrNotFound
	}
	return iv, err
}

// invoiceScope is which invoices the current role reads: cashiers only sales
// (deposit top-ups are the owner's money, issue 13 §9), others all.
type invoiceScope string

func salesOnly(a *account) invoiceScope {
	if a.Current.Role == db.RoleCashier {
		return invoiceScope(money.PurposeSale)
	}
	return ""
}

func (s invoiceScope) allows(iv db.Invoice) bool { return s == "" || iv.Purpose == string(s) }

// showsFees reports whether the current role sees Netzme's fee and the net
// amount (cashiers do not: they see what the customer paid).
func showsFees(a *account) bool { return a.Current.Role != db.RoleCashier }

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
	if iv.FeeMinor.Valid && showsFees(a) {
		v.HasFee, v.FeeMinor = true, iv.FeeMinor.Int64
	}
	if iv.NetMinor.Valid && showsFees(a) {
		v.HasNet, v.NetMinor = true, iv.NetMinor.Int64
	}
	if iv.PaidAt.Valid {
		v.PaidAt = iv.PaidAt.Time
	}
	v.VANumbers = vaNumbers(iv.VANumbers)
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
	if iv.Status == db.InvoicePaid {
		v.ReceiptURL = "/invoices/" + strconv.FormatInt(iv.ID, 10) + "/receipt"
	}
	if iv.Purpose == string(money.PurposeSale) {
		m, err := h.currentMerchant(r)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if v.Share, err = h.share(r, db.PayTarget{InvoiceID: iv.ID}, iv.AmountMinor, m.Name, payable(iv, h.now())); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, views.InvoicePage(h.page(r, iv.PartnerReferenceNo), v))
}

// vaNumbers reads the virtual-account numbers stored with an invoice (the
// JSON money keeps of Netzme's answer, §3.12); unreadable JSON shows none.
func vaNumbers(raw string) []views.VANumber {
	var vas []struct {
		BankCode string `json:"bankCode"`
		Number   string `json:"number"`
	}
	if json.Unmarshal([]byte(raw), &vas) != nil {
		return nil
	}
	out := make([]views.VANumber, 0, len(vas))
	for _, x := range vas {
		out = append(out, views.VANumber{Bank: x.BankCode, Number: x.Number})
	}
	return out
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
