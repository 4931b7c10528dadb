package main

import (
	"container/heap"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"lapak/db"
	"lapak/netzme/sandbox"
	"lapak/snap"
)

// The seeder's story: D days of a few shops taking payments. Everything
// happens on one timeline, in time order, so that ids grow with time in
// every table as they do in a database the app filled itself (audit and API
// call lists order by id). A creation schedules its follow-ups (the payment
// callback, the status query that finds it expired) on a heap; each day's
// events are played in order.

// seedEvent is one moment of the story.
type seedEvent struct {
	at  time.Time
	seq int64 // ties keep scheduling order
	run func() error
}

type seedEvents []seedEvent

func (h seedEvents) Len() int { return len(h) }
func (h seedEvents) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h seedEvents) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *seedEvents) Push(x any)   { *h = append(*h, x.(seedEvent)) }
func (h *seedEvents) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// seedShop is one seeded merchant as the story goes on.
type seedShop struct {
	id       int64
	sb       sandbox.Merchant
	cashier  seedActor // the owner is the other person at the counter
	weight   float64
	balance  int64 // withdrawable sales balance at Netzme, sen
	unposted int64 // paid-invoice nets not yet in the sandbox ledger
}

// seedCounts is what the seed made, for the summary line.
type seedCounts struct {
	paid, pending, expired, failed, static, withdrawals int
}

// seedStory generates the rows.
type seedStory struct {
	r      *rand.Rand
	rows   *seedRows
	l      *sandbox.Loader
	now    time.Time
	start  time.Time
	owner  seedActor
	shops  []*seedShop
	events seedEvents
	seq    int64
	reqSeq int
	reqTag string
	counts seedCounts
	search *seedSearch // the invoice search index, built on the side
	// progress is told after each day (nil: nobody is told).
	progress func(day, days int, rows int64)
}

func (s *seedStory) schedule(at time.Time, run func() error) {
	s.seq++
	heap.Push(&s.events, seedEvent{at: at, seq: s.seq, run: run})
}

// playUntil runs every scheduled event before t, in time order (events
// may schedule more).
func (s *seedStory) playUntil(t time.Time) error {
	for len(s.events) > 0 && s.events[0].at.Before(t) {
		e := heap.Pop(&s.events).(seedEvent)
		if err := e.run(); err != nil {
			return err
		}
	}
	return nil
}

// requestID looks like chi's middleware.RequestID: host/random-counter.
func (s *seedStory) requestID() string {
	s.reqSeq++
	return fmt.Sprintf("seed/%s-%06d", s.reqTag, s.reqSeq)
}

func (s *seedStory) person(a seedActor) seedActor {
	a.remoteAddr = "10.20." + strconv.Itoa(s.r.IntN(4)) + "." + strconv.Itoa(2+s.r.IntN(200))
	a.requestID = s.requestID()
	return a
}

func (s *seedStory) system() seedActor {
	return seedActor{remoteAddr: seedNetzmeAddr, requestID: s.requestID()}
}

func (s *seedStory) reference(t time.Time) string {
	return "LPK" + t.UTC().Format("20060102150405") + seedHex(s.r, 8)
}

func (s *seedStory) pickShop() *seedShop {
	x := s.r.Float64()
	for _, m := range s.shops {
		if x < m.weight {
			return m
		}
		x -= m.weight
	}
	return s.shops[len(s.shops)-1]
}

// hourWeight is how busy a shop is at an hour of the Jakarta day.
var hourWeight = [24]float64{0.02, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.5, 0.8, 0.9, 1, 1, 1, 0.9, 0.8, 0.8, 0.9, 1, 1, 1, 0.9, 0.6, 0.3, 0.1}

// busyTime returns a time in [a, b) drawn by hourWeight.
func (s *seedStory) busyTime(a, b time.Time) time.Time {
	span := b.Sub(a)
	for {
		t := a.Add(time.Duration(s.r.Int64N(int64(span))))
		if s.r.Float64() < hourWeight[t.In(snap.Jakarta).Hour()] {
			return t.Truncate(time.Microsecond)
		}
	}
}

// dailyCounts spreads n over days slots: a slow growth over the period,
// busier weekends, some noise; the counts add up to n exactly.
func (s *seedStory) dailyCounts(n, days int) []int {
	w := make([]float64, days)
	var sum float64
	for d := range w {
		day := s.start.Add(time.Duration(d) * 24 * time.Hour).In(snap.Jakarta).Weekday()
		w[d] = (1 + 0.5*float64(d)/float64(days)) * (0.85 + 0.3*s.r.Float64())
		if day == time.Saturday || day == time.Sunday {
			w[d] *= 1.25
		}
		sum += w[d]
	}
	out := make([]int, days)
	acc, given := 0.0, 0
	for d := range w {
		acc += w[d] / sum * float64(n)
		out[d] = int(math.Round(acc)) - given
		given += out[d]
	}
	return out
}

// run plays the whole story: D days ending at now.
func (s *seedStory) run(invoices, days int) error {
	counts := s.dailyCounts(invoices, days)
	statics := s.dailyCounts(invoices*3/20, days) // static-QRIS sales: ~15 % of the invoice count
	for _, m := range s.shops {
		s.scheduleWithdrawal(m, s.nextMonday(s.start))
	}
	for d := range days {
		a := s.start.Add(time.Duration(d) * 24 * time.Hour)
		b := a.Add(24 * time.Hour)
		if b.After(s.now) {
			b = s.now
		}
		s.apiToken(a.Add(time.Duration(s.r.Int64N(int64(time.Hour)))))
		for range counts[d] {
			t := s.busyTime(a, b)
			s.schedule(t, func() error { return s.invoice(t) })
		}
		for range statics[d] {
			t := s.busyTime(a, b)
			s.schedule(t, func() error { return s.staticPayment(t) })
		}
		if err := s.playUntil(b); err != nil {
			return err
		}
		if s.progress != nil {
			s.progress(d+1, days, s.rows.w.rows)
		}
	}
	if err := s.playUntil(s.now); err != nil {
		return err
	}
	// What happens after now has not happened: withdrawals and reviews
	// that would fall later are dropped (follow-ups of invoices never do).
	s.events = s.events[:0]
	for _, m := range s.shops {
		if m.unposted != 0 {
			if err := s.l.Credit(m.sb.CustID, sandbox.WalletBalance, m.unposted, "seed: paid invoices", s.now.Add(-time.Minute)); err != nil {
				return err
			}
			m.unposted = 0
		}
	}
	return nil
}

// apiToken records the access-token call the client makes about once a day
// (the token lives 15 hours, §2.5).
func (s *seedStory) apiToken(at time.Time) {
	s.schedule(at, func() error {
		return s.rows.addAPICall(seedAPICall{at: at, endpoint: "access-token", path: "/api/v1/access-token/b2b",
			httpStatus: 200, responseCode: "2007300", latencyMS: 40 + s.r.Int64N(200), request: `{"grantType":"client_credentials"}`,
			response: `{"responseCode":"2007300","responseMessage":"Successful","accessToken":"[redacted]","tokenType":"Bearer","expiresIn":"54000"}`})
	})
}

var seedMethods = []struct {
	name   string
	weight int
}{{"QRIS", 60}, {"BANK_TRANSFER", 12}, {"BCA", 8}, {"OVO", 6}, {"DANA", 6}, {"NETZME", 4}, {"RETAIL_OUTLET", 2}, {"CREDIT_CARD", 2}}

func (s *seedStory) method() string {
	x := s.r.IntN(100)
	for _, m := range seedMethods {
		if x < m.weight {
			return m.name
		}
		x -= m.weight
	}
	return "QRIS"
}

// netzmeMS truncates to what Netzme's timestamps carry (milliseconds).
func netzmeMS(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// invoice is one sale: created by a person at the counter, answered by
// Netzme, and then paid (~70 %), left open (~20 %), expired (~7 %) or
// closed as failed (~3 %).
func (s *seedStory) invoice(t time.Time) error {
	m := s.pickShop()
	who := s.owner
	if s.r.IntN(100) < 60 {
		who = m.cashier
	}
	who = s.person(who)
	desc, amount := seedSale(s.r)
	name, phone, email := seedBuyer(s.r)
	method := s.method()
	feeType := "on_seller"
	if s.r.IntN(100) < 10 {
		feeType = "on_buyer"
	}
	expiry := time.Hour
	switch x := s.r.IntN(100); {
	case x < 15:
		expiry = 15 * time.Minute
	case x < 30:
		expiry = 24 * time.Hour
	}
	latency := time.Duration(60+s.r.IntN(400)) * time.Millisecond
	answered := t.Add(latency)
	ref := s.reference(t)
	status := "pending"
	var next time.Time // when the follow-up happens
	switch x := s.r.IntN(100); {
	case x < 70:
		status, next = "paid", answered.Add(time.Duration(20+s.r.Int64N(int64(min(expiry, 20*time.Minute)/time.Second)))*time.Second)
	case x < 77:
		status, next = "expired", answered.Add(expiry+time.Duration(1+s.r.IntN(15))*time.Second)
	case x < 80:
		status, next = "failed", answered.Add(time.Duration(60+s.r.IntN(1200))*time.Second)
	}
	expires := netzmeMS(answered.Add(expiry))
	if status != "pending" && !next.Before(s.now) {
		status = "pending" // its outcome lies in the future
	} else if status == "pending" {
		// guess: ~20 % open as asked, each payable for 1 to 7 more days,
		// so that paying any of them on the sandbox page is applied and the
		// resolver leaves them alone (it only asks about expired ones).
		expires = netzmeMS(s.now.Add(24*time.Hour + time.Duration(s.r.Int64N(int64(6*24*time.Hour)))))
	}
	in := sandbox.SeedInvoice{CustID: m.sb.CustID, PartnerReferenceNo: ref, PayMethod: method, FeeType: feeType,
		AmountMinor: amount, Description: desc, Email: email, Phone: phone, Fullname: name,
		CreatedAt: netzmeMS(answered), ExpiresAt: expires}
	var si sandbox.SeededInvoice
	var err error
	if status == "pending" {
		si, err = s.l.OpenInvoice(in)
	} else {
		si, err = s.l.NewInvoice(in)
	}
	if err != nil {
		return err
	}
	id := s.rows.invoices.n + 1
	var body []byte
	var paid sandbox.Payment
	var paidAt, updated time.Time
	failure := ""
	switch status {
	case "paid":
		paidAt = netzmeMS(next)
		if body, paid, err = s.l.PaidCallback(si, paidAt); err != nil {
			return err
		}
		updated = next.Add(time.Duration(2+s.r.IntN(8)) * time.Millisecond)
		s.counts.paid++
	case "expired", "failed":
		updated = next.Add(time.Duration(30+s.r.IntN(300)) * time.Millisecond)
		if status == "failed" {
			failure = "closed by Netzme"
			s.counts.failed++
		} else {
			s.counts.expired++
		}
	default:
		updated = answered
		s.counts.pending++
	}
	vas := make([]map[string]string, 0, len(si.VirtualAccounts))
	for _, va := range si.VirtualAccounts {
		vas = append(vas, map[string]string{"bankCode": va.BankCode, "number": va.Number})
	}
	vaJSON, _ := json.Marshal(vas)
	var paidAmount, fee, net any
	if status == "paid" {
		paidAmount, fee, net = paid.AmountMinor, paid.FeeMinor, paid.NetMinor
	}
	if err := s.rows.invoices.add(id, m.id, ref, "sale", method, amount, feeType, desc, name, phone, email,
		seedTime(expires), status, si.TrxID, si.InvoiceID, si.PaymentURL, si.QRISPayload, string(vaJSON),
		paidAmount, fee, net, nullTime(paidAt), failure, who.userID, seedTime(t), seedTime(updated)); err != nil {
		return err
	}
	s.search.add(seedSearchRow{m.id, id, ref, si.TrxID, si.InvoiceID, desc, name, phone, email})
	// Intent, then Netzme's answer (money.CreateInvoice).
	if err := s.rows.addEvent(id, t, "unknown", "lapak", "intent recorded before calling Netzme", who.userID); err != nil {
		return err
	}
	if err := s.rows.addAudit(t, who, m.id, "invoice.create", jsonObject("amount", snap.FormatAmount(amount),
		"fee_type", feeType, "method", method, "partner_reference_no", ref)); err != nil {
		return err
	}
	if err := s.rows.addAPICall(s.createCall(m, who, si, t, latency, expiry)); err != nil {
		return err
	}
	if err := s.rows.addEvent(id, answered, "pending", "netzme", "created at Netzme", who.userID); err != nil {
		return err
	}
	if err := s.rows.addAudit(answered, who, m.id, "invoice.answer", jsonObject("partner_reference_no", ref, "status", "pending")); err != nil {
		return err
	}
	if si.QRISPayload != "" {
		if err := s.rows.qrisCodes.add(m.id, "invoice", id, si.QRISPayload, amount, desc, who.userID, seedTime(answered)); err != nil {
			return err
		}
	}
	switch status {
	case "paid":
		// The invoice as money books it once paid (the row above is
		// written in its final state).
		iv := db.Invoice{ID: id, MerchantID: m.id, PartnerReferenceNo: ref, Purpose: "sale", Method: method,
			AmountMinor: amount, FeeType: feeType, Description: desc, Status: db.InvoicePaid, NetzmeTrxID: si.TrxID,
			NetzmeInvoiceID: si.InvoiceID, PaidAmountMinor: sql.NullInt64{Int64: paid.AmountMinor, Valid: true},
			FeeMinor: sql.NullInt64{Int64: paid.FeeMinor, Valid: true}, NetMinor: sql.NullInt64{Int64: paid.NetMinor, Valid: true},
			PaidAt: sql.NullTime{Time: paidAt, Valid: true}, CreatedAt: t, UpdatedAt: updated}
		s.schedule(next, func() error { return s.invoicePaid(m, iv, si, next, paidAt, body, paid) })
	case "expired", "failed":
		s.schedule(next, func() error { return s.invoiceClosed(m, id, si, next, status) })
	}
	return nil
}

// createCall is the Create Invoice Transaction call (§3.12) as api_calls
// keeps it; the QR image of the answer is elided to keep the seed small.
func (s *seedStory) createCall(m *seedShop, who seedActor, si sandbox.SeededInvoice, t time.Time, latency, expiry time.Duration) seedAPICall {
	amt := func(minor int64) string { return `{"value":"` + snap.FormatAmount(minor) + `","currency":"IDR"}` }
	req := `{"custIdMerchant":"` + m.sb.CustID + `","partnerReferenceNo":"` + si.PartnerReferenceNo + `","amount":` + amt(si.AmountMinor) +
		`,"amountDetail":{"basicAmount":` + amt(si.AmountMinor) + `,"shippingAmount":` + amt(0) + `},"payMethod":"` + si.PayMethod +
		`","commissionPercentage":"0","expireInSecond":"` + strconv.Itoa(int(expiry/time.Second)) + `","feeType":"` + si.FeeType +
		`","additionalInfo":{"email":` + jsonString(si.Email) + `,"notes":` + jsonString(si.Description) + `,"description":` +
		jsonString(si.Description) + `,"phoneNumber":` + jsonString(si.Phone) + `,"imageUrl":"","fullname":` + jsonString(si.Fullname) + `}}`
	vas := make([]string, 0, len(si.VirtualAccounts))
	for _, va := range si.VirtualAccounts {
		vas = append(vas, `{"bankCode":"`+va.BankCode+`","virtualAccountNo":"`+va.Number+`"}`)
	}
	qr := ""
	if si.PayMethod == "QRIS" {
		qr = `,"qrImage":"data:image/png;base64,…","terminalId":"A01","nmid":"` + m.sb.NMID + `"`
	}
	answered := t.Add(latency)
	res := `{"responseCode":"2004700","responseMessage":"Successful","partnerReferenceNo":"` + si.PartnerReferenceNo +
		`","payMethod":"` + si.PayMethod + `","paymentUrl":"` + si.PaymentURL + `","additionalInfo":{"id":"` + si.InvoiceID +
		`","trxId":"` + si.TrxID + `","expiredTs":"` + netzmeBodyTime(si.ExpiresAt) + `","createdTs":"` + netzmeBodyTime(answered) +
		`","virtualAccountData":[` + strings.Join(vas, ",") + `],"retailOutletData":[],"statistic":[],"status":true` + qr +
		`,"feeAmount":` + amt(si.FeeMinor) + `,"totalAmount":` + amt(si.TotalMinor) + `}}`
	return seedAPICall{at: t, endpoint: "create-invoice-transaction", path: "/api/v1.0/invoice/create-transaction",
		partnerRef: si.PartnerReferenceNo, external: seedDigits(s.r, 32), httpStatus: 200, responseCode: "2004700",
		latencyMS: latency.Milliseconds(), request: req, response: res, merchantID: m.id, userID: who.userID}
}

// invoicePaid is Netzme's payment callback (§3.15) arriving and being
// applied (money.ApplyCallback).
func (s *seedStory) invoicePaid(m *seedShop, iv db.Invoice, si sandbox.SeededInvoice, at, paidAt time.Time, body []byte, p sandbox.Payment) error {
	id := iv.ID
	if err := s.rows.book(iv); err != nil {
		return err
	}
	sys := s.system()
	applied := at.Add(time.Duration(2+s.r.IntN(8)) * time.Millisecond)
	effect := `{"fee_minor":` + itoa64(p.FeeMinor) + `,"from":"pending","invoice_id":` + itoa64(id) + `,"net_minor":` + itoa64(p.NetMinor) +
		`,"paid_amount_minor":` + itoa64(p.AmountMinor) + `,"paid_at":"` + paidAt.UTC().Format(time.RFC3339) +
		`","partner_reference_no":"` + si.PartnerReferenceNo + `","to":"paid"}`
	cb, err := s.rows.addCallback(seedCallback{kind: "invoice", status: "applied", receivedAt: at, appliedAt: applied,
		dedupeKey: "invoice:" + si.TrxID + ":00", referenceNo: si.TrxID, partnerRef: si.PartnerReferenceNo, custID: m.sb.CustID,
		amount: p.AmountMinor, fee: p.FeeMinor, net: p.NetMinor, merchantID: m.id, invoiceID: id, body: string(body),
		requestID: sys.requestID, effect: effect})
	if err != nil {
		return err
	}
	if err := s.rows.addEvent(id, applied, "paid", "callback", "Netzme callback #"+itoa64(cb), 0); err != nil {
		return err
	}
	m.balance += p.NetMinor
	m.unposted += p.NetMinor
	return s.rows.addAudit(applied, sys, m.id, "callback.applied", jsonObject("callback_id", cb, "kind", "invoice",
		"partner_reference_no", si.PartnerReferenceNo, "reason", "", "reference_no", si.TrxID, "status", "applied"))
}

// invoiceClosed is the resolver's status query (§3.14) finding an invoice
// CLOSED: expired, or failed before its expiry.
func (s *seedStory) invoiceClosed(m *seedShop, id int64, si sandbox.SeededInvoice, at time.Time, status string) error {
	latency := time.Duration(30+s.r.IntN(300)) * time.Millisecond
	ref := s.reference(at)
	err := s.rows.addAPICall(seedAPICall{at: at, endpoint: "invoice-transaction", path: "/api/v1.0/invoice/status",
		partnerRef: ref, external: seedDigits(s.r, 32), httpStatus: 200, responseCode: "2005500", latencyMS: latency.Milliseconds(),
		request:    `{"originalPartnerReferenceNo":"` + si.TrxID + `","additionalInfo":{"partnerReferenceNo":"` + ref + `"}}`,
		response:   `{"responseCode":"2005500","responseMessage":"Successful","originalReferenceNo":"` + si.TrxID + `","latestTransactionStatus":"CLOSED"}`,
		merchantID: m.id})
	if err != nil {
		return err
	}
	done := at.Add(latency)
	if err := s.rows.addEvent(id, done, status, "refresh", "Get Invoice Transaction: CLOSED", 0); err != nil {
		return err
	}
	return s.rows.addAudit(done, seedActor{}, m.id, "invoice.refresh", jsonObject("partner_reference_no", si.PartnerReferenceNo, "result", status))
}

// staticPayment is a buyer scanning a shop's printed static QRIS: the
// callback (§3.16) records a payment without an invoice and is kept for
// review; a person marks most of the older ones checked.
func (s *seedStory) staticPayment(t time.Time) error {
	m := s.pickShop()
	_, amount := seedSale(s.r)
	buyer := ""
	if s.r.IntN(100) < 70 {
		buyer = seedPick(s.r, seedFirstNames) + " " + seedPick(s.r, seedLastNames)
	}
	q, err := s.l.StaticQRISPayment(m.sb.CustID, amount, buyer, t)
	if err != nil {
		return err
	}
	body, err := s.l.StaticQRISCallback(q)
	if err != nil {
		return err
	}
	sys := s.system()
	key := q.RRN + "|" + q.LocalDate + "|" + q.IssuerID
	pid, cid := s.rows.payments.n+1, s.rows.callbacks.n+1
	net := q.AmountMinor - q.FeeMinor
	buyerField := padRight(q.BuyerName, 30, '_')
	if err := s.rows.payments.add(pid, m.id, "qris_static", key, q.RRN, q.LocalDate, q.IssuerID, "Netzme", q.InvoiceNumber,
		buyerField, q.AmountMinor, q.FeeMinor, net, seedTime(t), cid, seedTime(t.Add(time.Millisecond))); err != nil {
		return err
	}
	c := seedCallback{kind: "qris", status: "needs_review", reason: "static_qris",
		note: "QRIS payment without a Lapak invoice (rrn " + q.RRN + ")", receivedAt: t, dedupeKey: "qris:" + key,
		referenceNo: q.RRN, custID: m.sb.CustID, amount: q.AmountMinor, fee: q.FeeMinor, net: net, merchantID: m.id,
		paymentID: pid, body: string(body), requestID: sys.requestID,
		effect: `{"amount_minor":` + itoa64(q.AmountMinor) + `,"fee_minor":` + itoa64(q.FeeMinor) + `,"net_minor":` + itoa64(net) +
			`,"payment_id":` + itoa64(pid) + `,"rrn":"` + q.RRN + `"}`}
	resolved := t.Add(time.Hour + time.Duration(s.r.Int64N(int64(47*time.Hour))))
	if resolved.Before(s.now) && s.r.IntN(100) < 90 {
		c.status, c.resolvedAt, c.resolvedBy, c.resolutionNote = "resolved", resolved, s.owner.userID, "Sudah dicek di mutasi Netzme"
		s.schedule(resolved, func() error {
			return s.rows.addAudit(resolved, s.person(s.owner), m.id, "callback.resolve",
				jsonObject("callback_id", cid, "note", c.resolutionNote))
		})
	}
	if _, err := s.rows.addCallback(c); err != nil {
		return err
	}
	err = s.rows.book(db.Payment{ID: pid, MerchantID: m.id, Kind: "qris_static", DedupeKey: key, RRN: q.RRN,
		LocalDate: q.LocalDate, IssuerID: q.IssuerID, IssuerName: "Netzme", InvoiceNumber: q.InvoiceNumber,
		BuyerName: buyerField, AmountMinor: q.AmountMinor, FeeMinor: q.FeeMinor, NetMinor: net, PaidAt: t,
		CallbackID: cid, CreatedAt: t.Add(time.Millisecond)})
	if err != nil {
		return err
	}
	m.balance += net
	s.counts.static++
	return s.rows.addAudit(t.Add(time.Millisecond), sys, m.id, "callback.needs_review", jsonObject("callback_id", cid, "kind", "qris",
		"partner_reference_no", "", "reason", "static_qris", "reference_no", q.RRN, "status", "needs_review"))
}

// nextMonday returns Monday 09:00–11:00 Jakarta time after t.
func (s *seedStory) nextMonday(t time.Time) time.Time {
	j := t.In(snap.Jakarta)
	d := time.Date(j.Year(), j.Month(), j.Day(), 9, 0, 0, 0, snap.Jakarta)
	for d.Weekday() != time.Monday || !d.After(t) {
		d = d.AddDate(0, 0, 1)
	}
	return d.Add(time.Duration(s.r.Int64N(int64(2 * time.Hour)))).Truncate(time.Microsecond)
}

// minWithdrawMinor is the sandbox's default minimum (Rp 10.000).
const minWithdrawMinor = 1_000_000

func (s *seedStory) scheduleWithdrawal(m *seedShop, at time.Time) {
	s.schedule(at, func() error {
		s.scheduleWithdrawal(m, s.nextMonday(at))
		if m.balance < minWithdrawMinor || !at.Add(time.Hour).Before(s.now) {
			return nil
		}
		return s.withdraw(m, at)
	})
}

// withdraw is the owner's weekly payout of the whole sales balance:
// inquiry (§3.6), process (§3.7), and Netzme's notification (§3.9).
func (s *seedStory) withdraw(m *seedShop, at time.Time) error {
	if m.unposted != 0 {
		if err := s.l.Credit(m.sb.CustID, sandbox.WalletBalance, m.unposted, "seed: paid invoices", at); err != nil {
			return err
		}
		m.unposted = 0
	}
	amount := m.balance
	who := s.person(s.owner)
	qref, inquiryRef := s.reference(at), seedDigits(s.r, 20)
	lat := time.Duration(80+s.r.IntN(300)) * time.Millisecond
	sb := m.sb
	err := s.rows.addAPICall(seedAPICall{at: at, endpoint: "withdraw-inquiry", path: "/api/v1.0/withdraw/inquiry",
		partnerRef: qref, external: seedDigits(s.r, 32), httpStatus: 200, responseCode: "2004200", latencyMS: lat.Milliseconds(),
		request: `{"partnerReferenceNo":"` + qref + `","additionalInfo":{"custIdMerchant":"` + sb.CustID + `"}}`,
		response: `{"responseCode":"2004200","responseMessage":"Successful","referenceNo":"` + inquiryRef + `","partnerReferenceNo":"` + qref +
			`","amount":{"value":"` + snap.FormatAmount(amount) + `","currency":"IDR"},"beneficiaryAccountName":"` + sb.BankAccountName +
			`","beneficiaryAccountNumber":"` + sb.BankAccountNumber + `","beneficiaryBankCode":"` + sb.BankCode + `"}`,
		merchantID: m.id, userID: who.userID})
	if err != nil {
		return err
	}
	quoted := at.Add(lat)
	qid := s.rows.withdrawQuotes.n + 1
	if err := s.rows.withdrawQuotes.add(qid, m.id, "sales", seedHex(s.r, 32), qref, inquiryRef, amount, minWithdrawMinor, 1,
		sb.BankAccountName, sb.BankAccountNumber, sb.BankName, sb.BankCode, "used", who.userID, seedTime(quoted),
		seedTime(quoted.Add(10*time.Minute))); err != nil {
		return err
	}
	if err := s.rows.addAudit(quoted, who, m.id, "withdrawal.inquiry", jsonObject("allowed", true, "amount", snap.FormatAmount(amount),
		"partner_reference_no", qref, "wallet", "sales")); err != nil {
		return err
	}
	// The owner confirms with the PIN a little later.
	req := quoted.Add(time.Duration(15+s.r.IntN(90)) * time.Second)
	who = s.person(s.owner)
	wref := s.reference(req)
	final := req.Add(time.Duration(60+s.r.IntN(1800)) * time.Second)
	wd, err := s.l.FinishedWithdrawal(sb.CustID, wref, inquiryRef, amount, req, final)
	if err != nil {
		return err
	}
	lat = time.Duration(150+s.r.IntN(600)) * time.Millisecond
	answered := req.Add(lat)
	raw := `{"responseCode":"2004300","responseMessage":"Successful","partnerReferenceNo":"` + wref + `","referenceNo":"` + wd.ReferenceNo +
		`","custIdMerchant":"` + sb.CustID + `","amount":{"value":"` + snap.FormatAmount(amount) + `","currency":"IDR"},"additionalInfo":{"type":"submit_withdraw","status":"PENDING"}}`
	wid := s.rows.withdraw.n + 1
	if err := s.rows.withdraw.add(wid, m.id, "sales", qid, wref, wd.ReferenceNo, amount, sb.BankAccountName, sb.BankAccountNumber,
		sb.BankName, sb.BankCode, "success", "", "", raw, who.userID, nil, seedTime(req), seedTime(final), seedTime(final)); err != nil {
		return err
	}
	// Booked as sent and succeeded, as the backfill books a final withdrawal.
	err = s.rows.book(db.Withdrawal{ID: wid, MerchantID: m.id, Wallet: db.WalletSales, QuoteID: qid, PartnerReferenceNo: wref,
		NetzmeReferenceNo: wd.ReferenceNo, AmountMinor: amount, AccountName: sb.BankAccountName,
		AccountNumber: sb.BankAccountNumber, BankName: sb.BankName, BankCode: sb.BankCode, Status: db.WithdrawalSuccess,
		RawResponse: raw, RequestedBy: who.userID, CreatedAt: req, UpdatedAt: final, FinalAt: sql.NullTime{Time: final, Valid: true}})
	if err != nil {
		return err
	}
	if err := s.rows.addAudit(req, who, m.id, "withdrawal.request", jsonObject("amount", snap.FormatAmount(amount),
		"needs_approval", false, "partner_reference_no", wref, "wallet", "sales")); err != nil {
		return err
	}
	if err := s.rows.addAPICall(seedAPICall{at: req, endpoint: "withdraw-process", path: "/api/v1.0/withdraw/process",
		partnerRef: wref, external: seedDigits(s.r, 32), httpStatus: 200, responseCode: "2004300", latencyMS: lat.Milliseconds(),
		request: `{"partnerReferenceNo":"` + wref + `","referenceNo":"` + inquiryRef + `","amount":{"value":"` + snap.FormatAmount(amount) +
			`","currency":"IDR"},"additionalInfo":{"custIdMerchant":"` + sb.CustID + `","pin":"[redacted]"}}`,
		response: raw, merchantID: m.id, userID: who.userID}); err != nil {
		return err
	}
	if err := s.rows.addAudit(answered, who, m.id, "withdrawal.answer", jsonObject("failure", "", "partner_reference_no", wref,
		"status", "pending", "wallet", "sales")); err != nil {
		return err
	}
	m.balance -= amount
	s.counts.withdrawals++
	s.schedule(final, func() error {
		body, err := s.l.WithdrawCallback(wd)
		if err != nil {
			return err
		}
		sys := s.system()
		applied := final.Add(time.Duration(2+s.r.IntN(8)) * time.Millisecond)
		cb, err := s.rows.addCallback(seedCallback{kind: "withdraw", status: "applied", note: "withdrawal " + wref + " success",
			receivedAt: final, appliedAt: applied, dedupeKey: "withdraw:" + wd.ReferenceNo + ":00:SUCCESS", referenceNo: wd.ReferenceNo,
			partnerRef: wref, custID: sb.CustID, amount: amount, merchantID: m.id, body: string(body), requestID: sys.requestID})
		if err != nil {
			return err
		}
		return s.rows.addAudit(applied, sys, m.id, "callback.applied", jsonObject("callback_id", cb, "kind", "withdraw",
			"partner_reference_no", wref, "reason", "", "reference_no", wd.ReferenceNo, "status", "applied"))
	})
	return nil
}

// jsonObject writes a JSON object of key, value pairs given in key order
// (as encoding/json writes a map): values are strings, bools or integers.
func jsonObject(kv ...any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(kv[i].(string)))
		b.WriteByte(':')
		switch v := kv[i+1].(type) {
		case string:
			b.WriteString(jsonString(v))
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case int64:
			b.WriteString(itoa64(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		default:
			panic(fmt.Sprintf("jsonObject: %T", v))
		}
	}
	b.WriteByte('}')
	return b.String()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }

// netzmeBodyTime is Netzme's body timestamp form (§2.11), as the sandbox
// writes it.
func netzmeBodyTime(t time.Time) string {
	return t.In(snap.Jakarta).Format("2006-01-02T15:04:05.000-07:00")
}

func padRight(s string, n int, c byte) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(string(c), n-len(s))
}
