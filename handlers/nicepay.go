package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"lapak/db"
	"lapak/snap"
	"lapak/snap/nicepay"
	"lapak/snap/speedcash"
)

// OtherSNAP configures issue 7's providers: NICEPAY, which calls Lapak about
// convenience-store bills, and SpeedCash, which Lapak asks for a merchant's
// onboarding status. cmd/web fills it from NICEPAY_* and SPEEDCASH_*, or with
// simulators when those are unset.
type OtherSNAP struct {
	// NICEPAY checks NICEPAY's requests: the client id and secret we issued to
	// NICEPAY, NICEPAY's public key and the signature variant. Its Now is
	// replaced by the handler's clock. A zero ClientID refuses every request
	// as an unknown client.
	NICEPAY nicepay.Verifier
	// PartnerServiceID is the 4-digit payNo prefix NICEPAY assigned.
	PartnerServiceID string
	// NICEPAYStore is the store-network simulator; when set, the bill page
	// offers "Simulasikan pembayaran di gerai". nil with a real NICEPAY.
	NICEPAYStore *nicepay.Store
	// SpeedCash is the Merchant Status client (real host or simulator); nil
	// makes a check fail with "no answer".
	SpeedCash *speedcash.Client
	// SpeedCashSimulated shows the simulator's test phone numbers on the page.
	SpeedCashSimulated bool
}

// nicepayAPIRoutes registers the endpoints NICEPAY calls (nicepay §2-§4).
// They are outside sessions and CSRF protection: NICEPAY authenticates with
// its signature and our token instead.
func (h *Handler) nicepayAPIRoutes(r chi.Router) {
	r.Post(nicepay.PathToken, h.nicepayToken)
	r.Post(nicepay.PathInquiry, h.nicepayInquiry)
	// Guess, nicepay §4: the path is documented, the body is not.
	r.Post(nicepay.PathPayment, h.nicepayPayment)
}

func (h *Handler) nicepayVerifier() nicepay.Verifier {
	v := h.other.NICEPAY
	v.Now = h.now
	return v
}

// recordCVS writes one NICEPAY request to the log. A failure is logged, not
// returned: the answer was already sent.
func (h *Handler) recordCVS(r *http.Request, rec db.CVSRequest) {
	rec.At = h.now()
	rec.RemoteAddr = ClientIP(r.Context())
	if err := h.db.RecordCVSRequest(r.Context(), rec); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "record nicepay request failed",
			slog.String("kind", rec.Kind), slog.String("err", err.Error()),
			slog.String("request_id", middleware.GetReqID(r.Context())))
	}
}

// nicepayToken issues an access token to NICEPAY after checking its RSA
// signature with NICEPAY's public key (nicepay §2). Only the token's SHA-256
// is stored, in the database every instance shares (nicepay §6.7).
func (h *Handler) nicepayToken(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	rec := db.CVSRequest{Kind: "token", RequestBody: string(body)}
	refuse := func(e *nicepay.Error) {
		out := snapJSON(e.Response())
		h.writeSNAP(w, e.HTTPStatus, out)
		rec.HTTPStatus, rec.ResponseCode, rec.ResponseBody = e.HTTPStatus, e.Code, string(out)
		h.recordCVS(r, rec)
	}
	if err != nil {
		refuse(nicepay.Refusal(400, nicepay.ServiceToken, "00", ""))
		return
	}
	if e := h.nicepayVerifier().CheckToken(r.Header, body); e != nil {
		refuse(e)
		return
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := h.db.SaveNicepayToken(r.Context(), tokenHash(token), h.other.NICEPAY.ClientID,
		h.now().Add(nicepay.TokenLifetime*time.Second)); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "save nicepay token failed", slog.String("err", err.Error()))
		refuse(nicepay.Refusal(500, nicepay.ServiceToken, "00", ""))
		return
	}
	res := nicepay.TokenResponse{ResponseCode: snap.MakeCode(200, nicepay.ServiceToken, "00"), ResponseMessage: "Successful",
		AccessToken: token, TokenType: "Bearer", ExpiresIn: strconv.Itoa(nicepay.TokenLifetime)}
	h.writeSNAP(w, http.StatusOK, snapJSON(res))
	// The log keeps the envelope only: the token is a credential.
	rec.HTTPStatus, rec.ResponseCode = http.StatusOK, res.ResponseCode
	rec.ResponseBody = `{"responseCode":"` + res.ResponseCode + `","responseMessage":"Successful","accessToken":"[redacted]"}`
	h.recordCVS(r, rec)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// authenticateNicepay applies nicepay §3.5 rules 1-3 to an inquiry or payment:
// bearer token, headers and signature, then X-EXTERNAL-ID once per Jakarta
// day. It returns the signature recipe that matched.
func (h *Handler) authenticateNicepay(r *http.Request, body []byte, kind string) (string, *nicepay.Error) {
	tok, e := nicepay.BearerToken(r.Header)
	if e != nil {
		return "", e
	}
	if _, err := h.db.NicepayTokenClient(r.Context(), tokenHash(tok), h.now()); errors.Is(err, db.ErrNotFound) {
		return "", nicepay.ErrInvalidToken
	} else if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "nicepay token lookup failed", slog.String("err", err.Error()))
		return "", nicepay.ErrGeneral
	}
	recipe, e := h.nicepayVerifier().CheckRequest(nicepay.Request{Method: r.Method, PathQuery: r.URL.RequestURI(),
		Header: r.Header, Body: body, Token: tok})
	if e != nil {
		return "", e
	}
	day := snap.Timestamp(h.now())[:10]
	if err := h.db.ClaimNicepayExternalID(r.Context(), day, r.Header.Get("X-EXTERNAL-ID"), kind); errors.Is(err, db.ErrConflict) {
		return recipe, nicepay.Refusal(409, nicepay.ServiceCVS, "00", "")
	} else if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "nicepay external id failed", slog.String("err", err.Error()))
		return recipe, nicepay.ErrGeneral
	}
	return recipe, nil
}

// nicepayInquiry answers NICEPAY's question "what is this payNo for?"
// (nicepay §3) and records every inquiry, accepted or not.
func (h *Handler) nicepayInquiry(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := db.CVSRequest{Kind: "inquiry", RequestBody: string(body), ExternalID: r.Header.Get("X-EXTERNAL-ID")}
	var req nicepay.InquiryRequest
	if json.Unmarshal(body, &req) == nil {
		rec.PayNo, rec.RequestID, rec.MitraCd = req.PayNo, req.InquiryRequestID, req.MitraCd
	}
	status, res := h.inquire(r, body, &rec)
	out := snapJSON(res)
	h.writeSNAP(w, status, out)
	rec.HTTPStatus, rec.ResponseCode, rec.ResponseBody = status, res.ResponseCode, string(out)
	h.recordCVS(r, rec)
}

func (h *Handler) inquire(r *http.Request, body []byte, rec *db.CVSRequest) (int, nicepay.InquiryResponse) {
	refusal := func(e *nicepay.Error) (int, nicepay.InquiryResponse) {
		return e.HTTPStatus, nicepay.InquiryResponse{ResponseCode: e.Code, ResponseMessage: e.Message}
	}
	recipe, e := h.authenticateNicepay(r, body, "inquiry")
	rec.SignatureRecipe = recipe
	if e != nil {
		return refusal(e)
	}
	var req nicepay.InquiryRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return refusal(nicepay.Refusal(400, nicepay.ServiceCVS, "01", "body"))
	}
	if e := req.Validate(); e != nil {
		return refusal(e)
	}
	bill, e := h.cvsBillFor(r, req.PartnerServiceID, req.CustomerNo, req.PayNo, rec)
	if e != nil {
		return refusal(e)
	}
	switch bill.State(h.now()) {
	case db.CVSPaid:
		return refusal(nicepay.ErrBillPaid)
	case db.CVSExpired:
		return refusal(nicepay.ErrBillExpired)
	}
	return http.StatusOK, nicepay.InquiryResponse{
		ResponseCode:    snap.MakeCode(200, nicepay.ServiceCVS, "00"),
		ResponseMessage: "Successful",
		PayNoData: &nicepay.PayNoData{
			PartnerServiceID: bill.PartnerServiceID, CustomerNo: bill.CustomerNo, PayNo: bill.PayNo,
			PayNoName: bill.CustomerName, GoodsName: bill.GoodsName, PayNoPhone: bill.CustomerPhone,
			PayNoEmail: bill.CustomerEmail, InquiryRequestID: req.InquiryRequestID,
			TotalAmount: snap.IDR(bill.AmountMinor), PartnerReferenceNo: bill.PartnerReferenceNo,
			MitraCd: req.MitraCd, PayNoExpiredDatetime: snap.Timestamp(bill.ExpiresAt),
		},
	}
}

// cvsBillFor finds the bill of payNo and checks that partnerServiceId and
// customerNo agree with it (nicepay §3.5 rule 5); a mismatch is "not found".
func (h *Handler) cvsBillFor(r *http.Request, psi, customerNo, payNo string, rec *db.CVSRequest) (db.CVSBill, *nicepay.Error) {
	if psi+customerNo != payNo || psi != h.other.PartnerServiceID {
		return db.CVSBill{}, nicepay.ErrBillNotFound
	}
	bill, err := h.db.CVSBillByPayNo(r.Context(), payNo)
	if errors.Is(err, db.ErrNotFound) {
		return db.CVSBill{}, nicepay.ErrBillNotFound
	} else if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "cvs bill lookup failed", slog.String("err", err.Error()))
		return db.CVSBill{}, nicepay.ErrGeneral
	}
	rec.BillID, rec.MerchantID = bill.ID, bill.MerchantID
	return bill, nil
}

// nicepayPayment receives NICEPAY's confirmation that the customer paid at
// the counter. Guess, nicepay §4: the body is undocumented (see
// nicepay.PaymentRequest). Inbox first: the confirmation is stored before it
// is applied (money.ApplyCVSPayment), and a repeat of the same
// paymentRequestId gets the first answer again, so NICEPAY's retries never
// pay a bill twice.
func (h *Handler) nicepayPayment(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := db.CVSRequest{Kind: "payment", RequestBody: string(body), ExternalID: r.Header.Get("X-EXTERNAL-ID")}
	var req nicepay.PaymentRequest
	if json.Unmarshal(body, &req) == nil {
		rec.PayNo, rec.RequestID, rec.MitraCd = req.PayNo, req.PaymentRequestID, req.MitraCd
	}
	status, out := h.pay(r, body, &rec)
	h.writeSNAP(w, status, out)
	var env snap.Response
	json.Unmarshal(out, &env)
	rec.HTTPStatus, rec.ResponseCode, rec.ResponseBody = status, env.ResponseCode, string(out)
	h.recordCVS(r, rec)
}

func (h *Handler) pay(r *http.Request, body []byte, rec *db.CVSRequest) (int, []byte) {
	refusal := func(e *nicepay.Error) (int, []byte) {
		return e.HTTPStatus, snapJSON(nicepay.PaymentResponse{ResponseCode: e.Code, ResponseMessage: e.Message})
	}
	recipe, e := h.authenticateNicepay(r, body, "payment")
	rec.SignatureRecipe = recipe
	if e != nil {
		return refusal(e)
	}
	var req nicepay.PaymentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return refusal(nicepay.Refusal(400, nicepay.ServiceCVS, "01", "body"))
	}
	if e := req.Validate(); e != nil {
		return refusal(e)
	}
	paid, _ := req.PaidAmount.Minor() // Validate checked it
	ctx := r.Context()
	inbox, _, err := h.db.ReceiveCVSPayment(ctx, req.PaymentRequestID, req.PayNo, paid, string(body))
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "cvs payment inbox failed", slog.String("err", err.Error()))
		return refusal(nicepay.ErrGeneral)
	}
	if inbox.PayNo != req.PayNo || inbox.AmountMinor != paid {
		// Same paymentRequestId, another payment: refuse, keep the first.
		return refusal(nicepay.Refusal(409, nicepay.ServiceCVS, "00", ""))
	}
	if inbox.Status != "received" {
		// A repeat: the answer the first confirmation got.
		if b, err := h.db.CVSBillByPayNo(ctx, inbox.PayNo); err == nil {
			rec.BillID, rec.MerchantID = b.ID, b.MerchantID
		}
		return inbox.HTTPStatus, []byte(inbox.ResponseBody)
	}
	ans, err := h.money.ApplyCVSPayment(ctx, h.actor(r), inbox, req)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "cvs payment failed", slog.String("err", err.Error()))
		// The inbox row stays "received": a retry applies it.
		return refusal(nicepay.ErrGeneral)
	}
	rec.BillID, rec.MerchantID = ans.BillID, ans.MerchantID
	return ans.Status, ans.Body
}
