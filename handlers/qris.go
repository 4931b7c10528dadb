package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/money"
	"lapak/netzme/qris"
	"lapak/views"
)

// QRIS pages (owners and cashiers): the merchant's static code, dynamic
// codes (a QRIS invoice at Netzme), fixed-amount codes converted from the
// static one (clearly not tied to an invoice), a payload checker, the sticker
// check, and print/download of every code. Codes are always drawn by us from
// the payload (qris.SVG / qris.PNG), never copied from an image.

// stickerBodyLimit is the upload cap of the sticker check: a phone photo.
const stickerBodyLimit = 12 << 20

// qrisPNGModule is the module size of the PNG download: ~30 px modules give
// a >1000 px image that prints crisp at A6 and larger.
const qrisPNGModule = 24

// qrisRecent is how many saved codes the QRIS page lists.
const qrisRecent = 20

// qrisInfo is the parsed, display-ready content of a payload.
func qrisInfo(p *qris.Payload) views.QRISInfo {
	in := views.QRISInfo{MerchantName: p.MerchantName, City: p.MerchantCity, NMID: p.NMID, Dynamic: p.IsDynamic(),
		AmountMinor: p.AmountMinor, HasAmount: p.HasAmount, Warnings: p.Warnings}
	if len(p.Accounts) > 0 {
		in.PAN = p.Accounts[0].PAN
	}
	return in
}

func (h *Handler) showQRIS(w http.ResponseWriter, r *http.Request) {
	h.renderQRIS(w, r, http.StatusOK, views.QRISView{})
}

func (h *Handler) renderQRIS(w http.ResponseWriter, r *http.Request, status int, v views.QRISView) {
	ctx := r.Context()
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Linked = m.NetzmeCustID != ""
	st, err := h.money.StaticQRIS(ctx, h.actor(r))
	switch {
	case errors.Is(err, money.ErrNoStaticQRIS):
	case err != nil:
		h.serverError(w, r, err)
		return
	default:
		v.StaticID = st.ID
		p, _ := qris.Parse(st.Payload)
		v.Static = qrisInfo(p)
		if svg, err := qris.SVG(st.Payload); err == nil {
			v.StaticSVG = string(svg)
		}
	}
	codes, err := h.db.QRISCodes(ctx, m.ID, qrisRecent)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, c := range codes {
		v.Codes = append(v.Codes, views.QRISRow{ID: c.ID, Kind: string(c.Kind), AmountMinor: c.AmountMinor,
			Label: c.Label, InvoiceID: c.InvoiceID, CreatedAt: c.CreatedAt})
	}
	if v.Errors == nil {
		v.Errors = views.FieldErrors{}
	}
	h.render(w, r, status, views.QRISPage(h.page(r, views.T(ctx, "qris.title")), v))
}

// createQRIS is POST /qris. action=dynamic creates a QRIS invoice at Netzme
// for the amount; action=convert makes a fixed-amount code from the static
// one (not tied to an invoice); action=check validates a pasted payload.
func (h *Handler) createQRIS(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	errs := views.FieldErrors{}
	v := views.QRISView{Errors: errs, Action: r.PostForm.Get("action"), Amount: r.PostForm.Get("amount"),
		Label: r.PostForm.Get("label"), Payload: r.PostForm.Get("payload")}
	switch v.Action {
	case "check":
		p, err := qris.Parse(v.Payload)
		if err != nil {
			if !fieldMessages(errs, err, "payload", nil) {
				errs["payload"] = "err.qris.syntax"
			}
			v.CheckError = errorDetail(err)
			h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
			return
		}
		info := qrisInfo(p)
		v.Checked = &info
		h.renderQRIS(w, r, http.StatusOK, v)
		return
	case "dynamic", "convert":
	default:
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	amount, key := parseRupiah(v.Amount)
	if key != "" {
		errs["amount"] = key
	}
	in := money.QRISInput{AmountMinor: amount, Label: v.Label}
	if len(errs) > 0 {
		fieldMessages(errs, in.Check(), "amount", nil)
		h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if v.Action == "convert" {
		c, err := h.money.ConvertStaticQRIS(ctx, h.actor(r), in)
		if err != nil {
			if !fieldMessages(errs, err, "amount", nil) {
				h.serverError(w, r, err)
				return
			}
			h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
			return
		}
		h.setFlash(ctx, "ok", "flash.qris.converted", views.IDR(amount))
		http.Redirect(w, r, "/qris/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
		return
	}
	// Dynamic: a QRIS invoice at Netzme (§3.12 payMethod=QRIS).
	if strings.TrimSpace(in.Label) == "" {
		in.Label = "QRIS " + views.IDR(amount)
	}
	res, err := h.money.CreateQRISInvoice(ctx, h.actor(r), in)
	if err != nil {
		if !fieldMessages(errs, err, "amount", nil) {
			h.serverError(w, r, err)
			return
		}
		h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	kind, key := invoiceFlash(res)
	h.setFlash(ctx, kind, key, res.Invoice.PartnerReferenceNo)
	if res.QRIS.ID != 0 {
		http.Redirect(w, r, "/qris/"+strconv.FormatInt(res.QRIS.ID, 10), http.StatusSeeOther)
		return
	}
	// No QR yet (unknown outcome or refused): the invoice page explains.
	http.Redirect(w, r, "/invoices/"+strconv.FormatInt(res.Invoice.ID, 10), http.StatusSeeOther)
}

// errorDetail is the parser's own explanation (tag and offset), safe to show:
// a QRIS payload holds no secret.
func errorDetail(err error) string {
	var qe *qris.Error
	if errors.As(err, &qe) {
		return qe.Error()
	}
	return ""
}

// currentQRIS loads the code in the URL for the current merchant; another
// merchant's code is ErrNotFound.
func (h *Handler) currentQRIS(r *http.Request) (db.QRISCode, error) {
	id, ok := parseID(chi.URLParam(r, "id"))
	if !ok {
		return db.QRISCode{}, db.ErrNotFound
	}
	return h.db.MerchantQRISCode(r.Context(), accountFrom(r.Context()).Current.MerchantID, id)
}

func (h *Handler) qrisCodeView(r *http.Request, c db.QRISCode) (views.QRISCodeView, error) {
	v := views.QRISCodeView{ID: c.ID, Kind: string(c.Kind), Label: c.Label, AmountMinor: c.AmountMinor,
		InvoiceID: c.InvoiceID, Payload: c.Payload, CreatedAt: c.CreatedAt}
	p, err := qris.Parse(c.Payload)
	if err != nil {
		return v, err // stored codes were parsed before saving; this is corruption
	}
	v.Info = qrisInfo(p)
	svg, err := qris.SVG(c.Payload)
	if err != nil {
		return v, err
	}
	v.SVG = string(svg)
	m, err := h.db.Merchant(r.Context(), c.MerchantID)
	if err != nil {
		return v, err
	}
	v.MerchantName = m.Name
	if c.InvoiceID != 0 {
		iv, err := h.db.MerchantInvoice(r.Context(), c.MerchantID, c.InvoiceID)
		if err != nil {
			return v, err
		}
		v.InvoiceStatus, v.InvoiceReference = string(iv.Status), iv.PartnerReferenceNo
		if v.Share, err = h.share(r, db.PayTarget{InvoiceID: iv.ID}, iv.AmountMinor, m.Name, payable(iv, h.now())); err != nil {
			return v, err
		}
	}
	return v, nil
}

// showQRISCode is one code: what it says, the QR, print and download links.
func (h *Handler) showQRISCode(w http.ResponseWriter, r *http.Request) {
	c, err := h.currentQRIS(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	v, err := h.qrisCodeView(r, c)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.QRISCodePage(h.page(r, views.T(r.Context(), "qris.code.title")), v))
}

// printQRIS is the print-ready page: ?size=a6 (standee, default) or 58mm
// (thermal receipt). No navigation; print CSS in static/app.css.
func (h *Handler) printQRIS(w http.ResponseWriter, r *http.Request) {
	c, err := h.currentQRIS(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	v, err := h.qrisCodeView(r, c)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	size := r.URL.Query().Get("size")
	if size != "58mm" {
		size = "a6"
	}
	p := h.page(r, views.T(r.Context(), "qris.print"))
	h.render(w, r, http.StatusOK, views.QRISPrintPage(p, v, size))
}

// downloadQRIS serves the code as image/png or image/svg+xml, drawn from the
// payload with the quiet zone kept.
func (h *Handler) downloadQRIS(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := h.currentQRIS(r)
		if err != nil {
			h.dbError(w, r, err)
			return
		}
		var body []byte
		ctype := "image/svg+xml"
		if format == "png" {
			body, err = qris.PNG(c.Payload, qrisPNGModule)
			ctype = "image/png"
		} else {
			body, err = qris.SVG(c.Payload)
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Disposition", `attachment; filename="qris-`+strconv.FormatInt(c.ID, 10)+"."+format+`"`)
		w.Write(body)
	}
}

// checkSticker is POST /qris/check: decode an uploaded photo or image of a
// printed QRIS and say whether it pays this merchant (NMID and merchant PAN
// match the static code Netzme gave us). Staff use it to catch swapped
// stickers. The image is not stored.
func (h *Handler) checkSticker(w http.ResponseWriter, r *http.Request) {
	errs := views.FieldErrors{}
	v := views.QRISView{Errors: errs, Action: "sticker"}
	if err := r.ParseMultipartForm(4 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.renderError(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		errs["image"] = "err.image"
		h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	defer r.MultipartForm.RemoveAll()
	f, _, err := r.FormFile("image")
	if err != nil {
		errs["image"] = "err.required"
		h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	defer f.Close()
	m, err := h.currentMerchant(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	// The header first: a tiny file may declare a huge image.
	var tooLarge *stickerTooLarge
	if _, err := stickerImageSize(f); errors.As(err, &tooLarge) {
		errs["image"] = "err.image.toolarge"
		v.ImageTooLarge = &views.ImageSize{Width: tooLarge.Width, Height: tooLarge.Height, LimitMP: tooLarge.LimitMP}
		h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
		return
	} else if err != nil {
		errs["image"] = "err.image"
		h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	select {
	case h.stickerSlots <- struct{}{}:
	default:
		// Two photos are being read already: say so at once rather than
		// queue another image's worth of memory.
		errs["image"] = "err.image.busy"
		w.Header().Set("Retry-After", "5")
		h.renderQRIS(w, r, http.StatusServiceUnavailable, v)
		return
	}
	text, err := readSticker(f)
	<-h.stickerSlots
	if err != nil {
		if errors.Is(err, errStickerNoQR) {
			errs["image"] = "err.image.noqr"
		} else {
			errs["image"] = "err.image"
		}
		h.renderQRIS(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	res := views.StickerResult{}
	p, perr := qris.Parse(text)
	if perr != nil {
		res.Verdict, res.Detail = "invalid", errorDetail(perr)
	} else {
		res.Info = qrisInfo(p)
		res.Verdict = stickerVerdict(p, m)
	}
	if err := h.audit(r, "qris.sticker_check", m.ID, map[string]any{"verdict": res.Verdict, "nmid": res.Info.NMID}); err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Sticker = &res
	h.renderQRIS(w, r, http.StatusOK, v)
}

// stickerVerdict compares a decoded code with the merchant's own static code:
// "ours" when NMID and merchant PAN both match, "foreign" otherwise, and
// "nostatic" when we have nothing to compare with.
func stickerVerdict(p *qris.Payload, m db.Merchant) string {
	own, err := qris.Parse(m.StaticQRIS)
	if err != nil {
		return "nostatic"
	}
	pans := map[string]bool{}
	for _, a := range own.Accounts {
		pans[a.PAN] = true
	}
	panOK := false
	for _, a := range p.Accounts {
		panOK = panOK || pans[a.PAN]
	}
	nmidOK := own.NMID == "" || strings.EqualFold(p.NMID, own.NMID)
	if panOK && nmidOK {
		return "ours"
	}
	return "foreign"
}
