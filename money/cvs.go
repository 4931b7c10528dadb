package money

import (
	"context"
	"encoding/json"
	"errors"

	"lapak/db"
	"lapak/snap"
	"lapak/snap/nicepay"
)

// CVSAnswer is the answer to NICEPAY's payment confirmation: the HTTP status
// and SNAP body NICEPAY gets, stored with the inbox row so that a repeat gets
// them again, and the bill it was about (zero when none matched).
type CVSAnswer struct {
	Status             int
	Body               []byte
	BillID, MerchantID int64
}

// statusOK is HTTP 200, the status of an accepted payment (nicepay §4).
const statusOK = 200

// ApplyCVSPayment applies the inbox row p (stored, still "received") of
// NICEPAY's confirmation req that a customer paid a bill at the counter
// (guess, nicepay §4: the body is undocumented). In ONE transaction: the
// bill must exist under the payNo (partnerServiceId + customerNo), be open
// and be paid in full; then it is marked paid, the inbox row records the
// answer and the audit line "cvs.paid" is written. A refusal (unknown bill,
// paid already, expired, wrong amount) is recorded on the inbox row too and
// changes nothing else. The error is Lapak's own: nothing was recorded and
// the row stays "received", so NICEPAY's retry applies it.
func (s *Service) ApplyCVSPayment(ctx context.Context, a Actor, p db.CVSPayment, req nicepay.PaymentRequest) (CVSAnswer, error) {
	var ans CVSAnswer
	refuse := func(e *nicepay.Error) {
		ans.Status, ans.Body = e.HTTPStatus, marshal(nicepay.PaymentResponse{ResponseCode: e.Code, ResponseMessage: e.Message})
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		bill, err := tx.CVSBillByPayNo(ctx, p.PayNo)
		var e *nicepay.Error
		switch {
		case errors.Is(err, db.ErrNotFound) || req.PartnerServiceID+req.CustomerNo != p.PayNo:
			e = nicepay.ErrBillNotFound
		case err != nil:
			return err
		case bill.State(now) == db.CVSPaid:
			e = nicepay.ErrBillPaid
		case bill.State(now) == db.CVSExpired:
			e = nicepay.ErrBillExpired
		case p.AmountMinor != bill.AmountMinor:
			e = nicepay.ErrBadAmount
		}
		ans.BillID, ans.MerchantID = bill.ID, bill.MerchantID
		if e != nil {
			refuse(e)
			return tx.FinishCVSPayment(ctx, p.ID, "rejected", bill.ID, ans.Status, e.Code, string(ans.Body))
		}
		ok, err := tx.MarkCVSBillPaid(ctx, bill.ID, p.AmountMinor, now, p.PaymentRequestID, req.MitraCd)
		if err != nil {
			return err
		}
		if !ok {
			refuse(nicepay.ErrBillPaid)
			return tx.FinishCVSPayment(ctx, p.ID, "rejected", bill.ID, ans.Status, nicepay.ErrBillPaid.Code, string(ans.Body))
		}
		// The sale is booked with the bill's change, in this transaction.
		if paid, err := tx.CVSBillByPayNo(ctx, p.PayNo); err != nil {
			return err
		} else if _, err := book(ctx, tx, byNicepay, cvsEntries(paid)); err != nil {
			return err
		}
		res := nicepay.PaymentResponse{ResponseCode: snap.MakeCode(statusOK, nicepay.ServiceCVS, "00"), ResponseMessage: "Successful",
			PayNoData: &nicepay.PaymentPayNoData{PartnerServiceID: bill.PartnerServiceID, CustomerNo: bill.CustomerNo,
				PayNo: bill.PayNo, PayNoName: bill.CustomerName, PaymentRequestID: p.PaymentRequestID,
				PaidAmount: snap.IDR(p.AmountMinor), PartnerReferenceNo: bill.PartnerReferenceNo, PaymentFlagStatus: "00"}}
		ans.Status, ans.Body = statusOK, marshal(res)
		if err := tx.FinishCVSPayment(ctx, p.ID, "applied", bill.ID, ans.Status, res.ResponseCode, string(ans.Body)); err != nil {
			return err
		}
		e2 := s.audit(a, "cvs.paid", map[string]any{"payNo": bill.PayNo, "paymentRequestId": p.PaymentRequestID,
			"amountMinor": p.AmountMinor, "mitraCd": req.MitraCd})
		e2.MerchantID = bill.MerchantID
		return tx.Audit(ctx, e2)
	})
	if err != nil {
		return CVSAnswer{}, err
	}
	return ans, nil
}

// marshal is json.Marshal for our own response types, which always marshal.
func marshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
