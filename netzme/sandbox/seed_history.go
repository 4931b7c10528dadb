package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"lapak/snap"
)

// MovementKind is what a seeded movement is.
type MovementKind string

// Movement kinds SeedHistory records, each as the sandbox's own flow would
// have left it: the record the status endpoints answer about, the ledger
// entry the balances sum, and the line of the transaction lists.
const (
	MoveInvoicePayment    MovementKind = "invoice"            // an invoice transaction, paid (spec §3.12, §3.15)
	MoveStaticQRIS        MovementKind = "qris"               // a payment to the static QRIS (spec §3.16)
	MoveTopup             MovementKind = "topup"              // a deposit top-up, paid (spec §3.21)
	MoveWithdrawal        MovementKind = "withdrawal"         // a sales-balance withdrawal (spec §3.7)
	MoveDepositWithdrawal MovementKind = "deposit_withdrawal" // a deposit withdrawal (spec §3.23)
	MoveSplitFee          MovementKind = "split_fee"          // a split fee taken from the deposit (spec §3.20)
	MoveAdjustment        MovementKind = "adjustment"         // a manual adjustment, as Credit makes
)

// Movement is one movement of money for SeedHistory. Amounts are sen.
type Movement struct {
	Kind MovementKind
	// At is when it happened: created, paid or settled at that instant.
	At time.Time
	// AmountMinor: invoice, top-up, QRIS — what the buyer paid; withdrawals
	// — what was paid out; split fee — the sale the fee is for; adjustment
	// — the signed change of the wallet. Required, and > 0 except for an
	// adjustment (≠ 0).
	AmountMinor int64
	// FeeMinor: invoice, top-up, QRIS — Netzme's MDR kept from the payment
	// (MDR gives the sandbox's own); split fee — the fee taken from the
	// deposit. Must be 0 for the other kinds.
	FeeMinor int64
	// PayMethod of an invoice or top-up: "QRIS" when empty, else e.g.
	// "VA_BCA" (spec §3.12).
	PayMethod   string
	Description string
	// Status of a withdrawal: "SUCCESS" when empty, "FAILED" (the money
	// came back), or "PENDING" (ended only by SettleWithdrawal).
	Status string
	// Wallet of an adjustment: WalletBalance when empty, or WalletDeposit.
	Wallet Wallet

	// Identifiers. Set them to match records kept elsewhere (a seeded
	// Lapak), or leave them empty: SeedHistory fills in fresh, unique ones.
	PartnerReferenceNo string // invoice, top-up: the partner's; withdrawal, split fee: the partner's request id
	TrxID              string // invoice, top-up: Netzme's trxId (the transaction list's transactionId)
	InvoiceID          string // invoice, top-up
	ReferenceNo        string // withdrawal: Netzme's withdrawal id; split fee: the sale's reference
	RRN                string // QRIS (static, or an invoice paid by QRIS): 12 characters
	ReferenceID        string // QRIS: set by SeedHistory to rrn + YYYYMMDD (Jakarta) + issuer, the key of spec §3.10
}

// seedBatch is how many movements one transaction of SeedHistory writes:
// the sandbox's API calls wait for at most one batch.
const seedBatch = 5000

// seedPrefix is the random part of one SeedHistory call's identifiers.
type seedPrefix struct{ hex, digits string }

// seedSeq makes the generated identifiers of one process unique together
// with a random prefix per call.
var seedSeq atomic.Int64

// MDR returns the fee the sandbox charges on a payment of amountMinor
// (Options.FeeBasisPoints), for callers building Movements.
func (s *Sandbox) MDR(amountMinor int64) int64 { return s.fee(amountMinor) }

// SeedHistory records movements of merchant custID in bulk, as if each had
// happened through the API at its At: a year of history in seconds instead
// of one HTTP call per payment. Identifiers left empty in ms are filled in
// place. Movements are written in transactions of a few thousand rows with
// multi-row inserts; an invalid movement or a duplicate identifier fails its
// batch (earlier batches stay). No callback is sent for a seeded movement,
// and balances are not checked: the caller's sequence is recorded as given.
func (s *Sandbox) SeedHistory(ctx context.Context, custID string, ms []Movement) error {
	select {
	case <-s.closed:
		return errClosed
	default:
	}
	m, err := s.Merchant(ctx, custID)
	if err != nil {
		return err
	}
	prefix := seedPrefix{hex: strings.ToUpper(randHex(3)), digits: randDigits(6)}
	for start := 0; start < len(ms); start += seedBatch {
		batch := ms[start:min(start+seedBatch, len(ms))]
		for i := range batch {
			if err := s.prepareMovement(m, prefix, &batch[i]); err != nil {
				return fmt.Errorf("sandbox: seed %s: movement %d: %w", custID, start+i, err)
			}
		}
		if err := s.seedBatch(ctx, m, batch); err != nil {
			return fmt.Errorf("sandbox: seed %s: movements %d–%d: %w", custID, start, start+len(batch)-1, err)
		}
	}
	return nil
}

// prepareMovement checks mv and fills its empty identifiers.
func (s *Sandbox) prepareMovement(m Merchant, prefix seedPrefix, mv *Movement) error {
	if mv.At.IsZero() {
		return fmt.Errorf("%s without a time", mv.Kind)
	}
	n := seedSeq.Add(1)
	id := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	seq := prefix.hex + strings.ToUpper(strconv.FormatInt(n, 16))
	switch mv.Kind {
	case MoveInvoicePayment, MoveTopup:
		if mv.AmountMinor <= 0 || mv.FeeMinor < 0 || mv.FeeMinor > mv.AmountMinor {
			return fmt.Errorf("%s: amount %d, fee %d", mv.Kind, mv.AmountMinor, mv.FeeMinor)
		}
		id(&mv.PayMethod, "QRIS")
		id(&mv.TrxID, strings.ToLower(fmt.Sprintf("5eed%028s", seq)))
		id(&mv.InvoiceID, "NETZ-INV-"+m.CustID+strconv.FormatInt(mv.At.UnixMilli(), 10)+seq)
		id(&mv.PartnerReferenceNo, "SEED-"+seq)
		if mv.PayMethod == "QRIS" {
			s.qrisKeys(mv, seq)
		}
	case MoveStaticQRIS:
		if mv.AmountMinor <= 0 || mv.FeeMinor < 0 || mv.FeeMinor > mv.AmountMinor {
			return fmt.Errorf("%s: amount %d, fee %d", mv.Kind, mv.AmountMinor, mv.FeeMinor)
		}
		s.qrisKeys(mv, seq)
	case MoveWithdrawal, MoveDepositWithdrawal:
		if mv.AmountMinor <= 0 || mv.FeeMinor != 0 {
			return fmt.Errorf("%s: amount %d, fee %d", mv.Kind, mv.AmountMinor, mv.FeeMinor)
		}
		id(&mv.Status, "SUCCESS")
		if mv.Status != "SUCCESS" && mv.Status != "FAILED" && mv.Status != "PENDING" {
			return fmt.Errorf("%s: status %q", mv.Kind, mv.Status)
		}
		id(&mv.ReferenceNo, fmt.Sprintf("9%s%013d", prefix.digits, n))
		id(&mv.PartnerReferenceNo, "SEED-"+seq)
	case MoveSplitFee:
		if mv.AmountMinor <= 0 || mv.FeeMinor < 0 {
			return fmt.Errorf("%s: amount %d, fee %d", mv.Kind, mv.AmountMinor, mv.FeeMinor)
		}
		id(&mv.PartnerReferenceNo, "SEED-"+seq)
		id(&mv.ReferenceNo, "SEED-SALE-"+seq)
		id(&mv.Description, "Split fee")
	case MoveAdjustment:
		if mv.AmountMinor == 0 || mv.FeeMinor != 0 {
			return fmt.Errorf("%s: amount %d, fee %d", mv.Kind, mv.AmountMinor, mv.FeeMinor)
		}
		if mv.Wallet == "" {
			mv.Wallet = WalletBalance
		}
		if mv.Wallet != WalletBalance && mv.Wallet != WalletDeposit {
			return fmt.Errorf("%s: wallet %q", mv.Kind, mv.Wallet)
		}
		id(&mv.Description, "Penyesuaian")
	default:
		return fmt.Errorf("unknown kind %q", mv.Kind)
	}
	return nil
}

// qrisKeys fills a QRIS movement's rrn and its spec §3.10 key.
func (s *Sandbox) qrisKeys(mv *Movement, seq string) {
	if mv.RRN == "" {
		mv.RRN = fmt.Sprintf("%012s", seq)
		mv.RRN = mv.RRN[len(mv.RRN)-12:] // an RRN is 12 characters
	}
	mv.ReferenceID = mv.RRN + mv.At.In(snap.Jakarta).Format("20060102") + netzmeNNS
}

// seedBatch writes one batch in one transaction.
func (s *Sandbox) seedBatch(ctx context.Context, m Merchant, batch []Movement) error {
	trx := newInserter("invoice_trx", `trx_id, invoice_id, cust_id, partner_reference_no, pay_method, api_source, amount_minor, fee_minor, fee_type,
		description, notes, email, phone, fullname, terminal_id, invoice_number, qris_payload, va_json, status,
		paid_amount_minor, paid_fee_minor, paid_at, reference_id, created_at, expires_at`)
	qr := newInserter("qris_payments", qrisCols)
	wd := newInserter("withdrawals", `reference_no, partner_reference_no, inquiry_reference_no, cust_id, wallet, amount_minor,
		account_name, account_number, bank_name, bank_code, status, created_at, settle_at, final_at`)
	ded := newInserter("deductions", `partner_reference_no, reference_no, cust_id, amount_minor, fee_minor, product_name, created_at`)
	led := newInserter("ledger", `cust_id, wallet, amount_minor, kind, ref, created_at, settle_at`)
	for _, mv := range batch {
		at := ms(mv.At)
		post := func(w Wallet, amount int64, kind, ref string) {
			led.add(m.CustID, string(w), amount, kind, ref, at, at)
		}
		switch mv.Kind {
		case MoveInvoicePayment, MoveTopup:
			source, wallet, kind := "", WalletBalance, "payment"
			if mv.Kind == MoveTopup {
				source, wallet, kind = "topup_deposit", WalletDeposit, "topup"
			}
			trx.add(mv.TrxID, mv.InvoiceID, m.CustID, mv.PartnerReferenceNo, mv.PayMethod, source, mv.AmountMinor, mv.FeeMinor, "on_seller",
				mv.Description, "", "", "", "", "", mv.RRN, "", "[]", "SUCCESS",
				mv.AmountMinor, mv.FeeMinor, at, mv.ReferenceID, at, at+time.Hour.Milliseconds())
			if mv.PayMethod == "QRIS" {
				qr.add(mv.ReferenceID, mv.RRN, mv.At.In(snap.Jakarta).Format("20060102"), netzmeNNS, m.CustID, mv.TrxID,
					mv.AmountMinor, mv.FeeMinor, netzmeNNS+"00000000", "Pembeli Sandbox", "A01", mv.RRN, mv.RRN, at)
			}
			post(wallet, mv.AmountMinor-mv.FeeMinor, kind, mv.TrxID)
		case MoveStaticQRIS:
			qr.add(mv.ReferenceID, mv.RRN, mv.At.In(snap.Jakarta).Format("20060102"), netzmeNNS, m.CustID, "",
				mv.AmountMinor, mv.FeeMinor, netzmeNNS+"00000000", "Pembeli Sandbox", "A01", mv.RRN, mv.RRN, at)
			post(WalletBalance, mv.AmountMinor-mv.FeeMinor, "qris", mv.ReferenceID)
		case MoveWithdrawal, MoveDepositWithdrawal:
			w := WalletBalance
			if mv.Kind == MoveDepositWithdrawal {
				w = WalletDeposit
			}
			final := at
			if mv.Status == "PENDING" {
				final = 0
			}
			wd.add(mv.ReferenceNo, mv.PartnerReferenceNo, "", m.CustID, string(w), mv.AmountMinor,
				m.BankAccountName, m.BankAccountNumber, m.BankName, m.BankCode, mv.Status, at, 0, final)
			post(w, -mv.AmountMinor, "withdrawal", mv.ReferenceNo)
			if mv.Status == "FAILED" {
				post(w, mv.AmountMinor, "withdrawal_reversal", mv.ReferenceNo)
			}
		case MoveSplitFee:
			ded.add(mv.PartnerReferenceNo, mv.ReferenceNo, m.CustID, mv.AmountMinor, mv.FeeMinor, mv.Description, at)
			post(WalletDeposit, -mv.FeeMinor, "deduction", mv.PartnerReferenceNo)
		case MoveAdjustment:
			post(mv.Wallet, mv.AmountMinor, "adjustment", mv.Description)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, in := range []*inserter{trx, qr, wd, ded, led} {
			if err := in.flush(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// inserter collects rows for one table and writes them with multi-row
// INSERT statements.
type inserter struct {
	table string
	cols  int
	head  string
	rows  []any
}

func newInserter(table, cols string) *inserter {
	return &inserter{table: table, cols: strings.Count(cols, ",") + 1, head: "INSERT INTO " + table + " (" + cols + ") VALUES "}
}

func (in *inserter) add(vals ...any) {
	if len(vals) != in.cols {
		panic(fmt.Sprintf("sandbox: %s: %d values for %d columns", in.table, len(vals), in.cols))
	}
	in.rows = append(in.rows, vals...)
}

// insertRows is how many rows one statement carries (well under SQLite's
// limit on bound parameters).
const insertRows = 200

func (in *inserter) flush(ctx context.Context, tx *sql.Tx) error {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", in.cols), ",") + ")"
	for len(in.rows) > 0 {
		n := min(len(in.rows)/in.cols, insertRows)
		q := in.head + strings.TrimSuffix(strings.Repeat(tuple+",", n), ",")
		if _, err := tx.ExecContext(ctx, q, in.rows[:n*in.cols]...); err != nil {
			return fmt.Errorf("insert %s: %w", in.table, err)
		}
		in.rows = in.rows[n*in.cols:]
	}
	return nil
}
