package db_test

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lapak/db"
	"lapak/db/dbtest"
	"lapak/internal/clocktest"
)

func TestCursorTokens(t *testing.T) {
	c := db.Cursor{Key: "2026-11-21T07:05:00.000000Z", ID: 4211, Back: true}
	tok := c.Encode("invoices")
	if got, err := db.DecodeCursor("invoices", tok); err != nil || got != c {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, c)
	}
	if strings.ContainsAny(tok, "+/=?&") {
		t.Errorf("token %q is not URL-safe", tok)
	}
	if got, err := db.DecodeCursor("invoices", ""); err != nil || !got.IsZero() {
		t.Errorf("empty token = %+v, %v; want the first page", got, err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	flipped := append([]byte(nil), raw...)
	flipped[5] ^= 1 // one bit of the key
	otherID := db.Cursor{Key: c.Key, ID: 4212, Back: true}.Encode("invoices")
	bad := map[string]string{
		"one character changed": tok[:3] + string(rune(tok[3]^1)) + tok[4:],
		"one bit of the key":    base64.RawURLEncoding.EncodeToString(flipped),
		"cut short":             tok[:len(tok)-2],
		"another list's token":  c.Encode("callbacks"),
		"not base64":            "%%%",
		"padding":               tok + "==",
		"checksum of another":   tok[:len(tok)-11] + otherID[len(otherID)-11:],
		"too long":              strings.Repeat("A", 600),
		"a page number":         "2",
	}
	for name, s := range bad {
		if got, err := db.DecodeCursor("invoices", s); !errors.Is(err, db.ErrBadCursor) {
			t.Errorf("%s (%q): %+v, %v; want ErrBadCursor", name, s, got, err)
		}
	}
}

// stepClock reads a new second at every call, so rows get distinct times.
func stepClock(t testing.TB) func() time.Time {
	var mu sync.Mutex
	now := clocktest.Base(t)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

// walk follows Next from the first page to the end and returns the pages'
// references, checking that every page but the first links back.
func walk(t *testing.T, d *db.DB, merchantID int64, f db.InvoiceFilter, limit int) ([][]string, []db.Page[db.Invoice]) {
	t.Helper()
	var refs [][]string
	var pages []db.Page[db.Invoice]
	tok := ""
	for range 100 {
		p, err := d.Invoices(t.Context(), merchantID, f, tok, limit)
		if err != nil {
			t.Fatal(err)
		}
		if (len(pages) == 0) != (p.Prev == "") {
			t.Errorf("page %d: prev link %q", len(pages)+1, p.Prev)
		}
		refs, pages = append(refs, invoiceRefs(p.Rows)), append(pages, p)
		if p.Next == "" {
			return refs, pages
		}
		tok = p.Next
	}
	t.Fatal("Next never ends")
	return nil, nil
}

func invoiceRefs(ivs []db.Invoice) []string {
	out := make([]string, len(ivs))
	for i, iv := range ivs {
		out[i] = iv.PartnerReferenceNo
	}
	return out
}

// TestInvoicePagingWalksEveryRowOnce pages forward and back through lists
// whose rows have distinct times and lists whose rows all share one time
// (the id breaks the tie): every row once, newest first, and "Sebelumnya"
// shows exactly the pages seen before.
func TestInvoicePagingWalksEveryRowOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		for name, clock := range map[string]func(testing.TB) func() time.Time{"distinct times": stepClock, "one time": clocktest.Fixed} {
			t.Run(name, func(t *testing.T) {
				d := dbtest.Open(t, e, clock(t))
				m, _ := d.CreateMerchant(t.Context(), db.NewMerchant{Name: "A"})
				other, _ := d.CreateMerchant(t.Context(), db.NewMerchant{Name: "B"})
				var want []string
				for i := range 23 {
					ref := fmt.Sprintf("LPK-%02d", i)
					newInvoice(t, d, m.ID, ref, int64(i+1)*1000)
					newInvoice(t, d, other.ID, "B"+ref, 1000)
					want = append([]string{ref}, want...)
				}
				refs, pages := walk(t, d, m.ID, db.InvoiceFilter{}, 5)
				if got := slices.Concat(refs...); !slices.Equal(got, want) {
					t.Fatalf("pages = %v\nwant rows %v", refs, want)
				}
				if len(refs) != 5 || len(refs[4]) != 3 {
					t.Errorf("pages = %v, want 4 of 5 and one of 3", refs)
				}
				// Back from each page shows the page before, the same rows.
				for i := len(pages) - 1; i > 0; i-- {
					p, err := d.Invoices(t.Context(), m.ID, db.InvoiceFilter{}, pages[i].Prev, 5)
					if err != nil {
						t.Fatal(err)
					}
					if got := invoiceRefs(p.Rows); !slices.Equal(got, refs[i-1]) {
						t.Errorf("back from page %d = %v, want %v", i+1, got, refs[i-1])
					}
					if (i == 1) != (p.Prev == "") || p.Next == "" {
						t.Errorf("back to page %d: prev %q next %q", i, p.Prev, p.Next)
					}
				}
			})
		}
	})
}

// TestInvoicePagingStableUnderInserts: rows added while someone pages sort
// before the first page; they neither shift nor repeat rows already shown,
// and going back from page 2 shows page 1 as it was.
func TestInvoicePagingStableUnderInserts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, stepClock(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		for i := range 12 {
			newInvoice(t, d, m.ID, fmt.Sprintf("OLD-%02d", i), 1000)
		}
		first, err := d.Invoices(ctx, m.ID, db.InvoiceFilter{}, "", 5)
		if err != nil {
			t.Fatal(err)
		}
		// Concurrent sales while the list is open.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() { newInvoice(t, d, m.ID, fmt.Sprintf("NEW-%02d", i), 1000) })
		}
		wg.Wait()
		second, err := d.Invoices(ctx, m.ID, db.InvoiceFilter{}, first.Next, 5)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := invoiceRefs(second.Rows), []string{"OLD-06", "OLD-05", "OLD-04", "OLD-03", "OLD-02"}; !slices.Equal(got, want) {
			t.Errorf("page 2 after inserts = %v, want %v", got, want)
		}
		back, err := d.Invoices(ctx, m.ID, db.InvoiceFilter{}, second.Prev, 5)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := invoiceRefs(back.Rows), invoiceRefs(first.Rows); !slices.Equal(got, want) {
			t.Errorf("back to page 1 = %v, want %v as first shown", got, want)
		}
		// The new rows are before it, one "Sebelumnya" away.
		newer, err := d.Invoices(ctx, m.ID, db.InvoiceFilter{}, back.Prev, 5)
		if err != nil {
			t.Fatal(err)
		}
		got := invoiceRefs(newer.Rows)
		if len(got) != 5 || newer.Prev == "" {
			t.Errorf("page before = %v (prev %q), want 5 of the 8 new rows and more before", got, newer.Prev)
		}
		for _, ref := range got {
			if !strings.HasPrefix(ref, "NEW-") {
				t.Errorf("page before = %v, want only new rows", got)
			}
		}
		// And the whole list, walked now, is every row once.
		refs, _ := walk(t, d, m.ID, db.InvoiceFilter{}, 5)
		all := slices.Concat(refs...)
		if len(all) != 20 || len(slices.Compact(slices.Sorted(slices.Values(all)))) != 20 {
			t.Errorf("walk after inserts = %v", refs)
		}
	})
}

func TestListsRefuseBadCursors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		newInvoice(t, d, m.ID, "LPK-1", 1000)
		tok := db.Cursor{Key: "2026-01-01T00:00:00.000000Z", ID: 1}.Encode("callbacks")
		idOnly := db.Cursor{ID: 1}.Encode("invoices") // the right list, but no time in the key
		for name, call := range map[string]func(string) error{
			"invoices": func(s string) error { _, err := d.Invoices(ctx, m.ID, db.InvoiceFilter{}, s, 10); return err },
			"search": func(s string) error {
				_, err := d.Invoices(ctx, m.ID, db.InvoiceFilter{Query: "kopi"}, s, 10)
				return err
			},
			"audit":       func(s string) error { _, err := d.AuditPage(ctx, 0, s, 10); return err },
			"withdrawals": func(s string) error { _, err := d.WithdrawalsPage(ctx, m.ID, "", s, 10); return err },
			"cvs":         func(s string) error { _, err := d.CVSBills(ctx, m.ID, s, 10); return err },
			"users":       func(s string) error { _, err := d.UsersPage(ctx, s, 10); return err },
			"merchants":   func(s string) error { _, err := d.MerchantsPage(ctx, s, 10); return err },
			"members":     func(s string) error { _, err := d.MembersPage(ctx, m.ID, s, 10); return err },
		} {
			for _, s := range []string{tok, "bm90LWEtY3Vyc29y", idOnly} {
				if name == "search" && s == idOnly {
					continue // searches order by id: this one is theirs in shape but not in list name
				}
				if err := call(s); !errors.Is(err, db.ErrBadCursor) {
					t.Errorf("%s with %q: err = %v, want ErrBadCursor", name, s, err)
				}
			}
		}
		if _, err := d.Callbacks(ctx, db.CallbackFilter{}, tok, 10); err != nil {
			t.Errorf("callbacks with its own token: %v", err)
		}
	})
}

// TestInvoiceSearch: the trigram index finds any 3+ character piece of the
// reference, the Netzme ids, the description and the customer's name, phone
// and e-mail, case-insensitively, kept in step by the triggers; an amount
// finds the invoices of exactly that amount, merged with text matches.
func TestInvoiceSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, stepClock(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		other, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "B"})
		add := func(mid int64, ref string, amount int64, desc, name, phone, email string) db.Invoice {
			iv, err := d.CreateInvoiceIntent(ctx, db.NewInvoice{MerchantID: mid, PartnerReferenceNo: ref, Method: "QRIS",
				AmountMinor: amount, Description: desc, CustomerName: name, CustomerPhone: phone, CustomerEmail: email,
				ExpiresAt: clocktest.Base(t).Add(time.Hour)}, db.AuditEntry{Action: "invoice.create"})
			if err != nil {
				t.Fatal(err)
			}
			return iv
		}
		add(m.ID, "LPK-0001", 2_500_000, "Kopi susu gula aren", "Budi Santoso", "081234567890", "budi@contoh.id")
		teh := add(m.ID, "LPK-0002", 1_500_000, "Es teh manis", "Siti Rahayu", "085711112222", "siti@contoh.id")
		add(m.ID, "INV-25000", 3_000_000, "Nasi goreng", "", "", "")
		add(m.ID, "LPK-0003", 2_500_000, "Roti bakar", "", "", "")
		add(other.ID, "LPK-9999", 2_500_000, "Kopi susu", "Budi Lain", "081234567890", "budi@lain.id")
		if _, err := d.ChangeInvoice(ctx, teh.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoicePending,
			Source: "netzme", Created: &db.InvoiceCreated{NetzmeTrxID: "TRX-7788-ABC", NetzmeInvoiceID: "NETZ-INV-4455"}}, db.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
		search := func(f db.InvoiceFilter) []string {
			t.Helper()
			p, err := d.Invoices(ctx, m.ID, f, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			n, err := d.CountInvoices(ctx, m.ID, f)
			if err != nil || n != len(p.Rows) {
				t.Errorf("count %+v = %d, %v; the page has %d", f, n, err, len(p.Rows))
			}
			return invoiceRefs(p.Rows)
		}
		for q, want := range map[string][]string{
			"LPK-0001":      {"LPK-0001"},
			"lpk-000":       {"LPK-0003", "LPK-0002", "LPK-0001"},
			"trx-7788":      {"LPK-0002"}, // added by the update trigger
			"NETZ-INV-4455": {"LPK-0002"},
			"GULA AREN":     {"LPK-0001"},
			"santoso":       {"LPK-0001"},
			"5711112":       {"LPK-0002"},
			"siti@contoh":   {"LPK-0002"},
			"budi":          {"LPK-0001"}, // not the other merchant's Budi
			"kopi\" OR \"":  nil,          // FTS syntax is text
			"NEAR(a b)":     nil,
			"tidak ada":     nil,
		} {
			if got := search(db.InvoiceFilter{Query: q}); !slices.Equal(got, want) {
				t.Errorf("search %q = %v, want %v", q, got, want)
			}
		}
		// An amount typed as a query: the invoices of exactly Rp 25.000, and the
		// one whose reference holds "25000", newest first, once each.
		if got, want := search(db.InvoiceFilter{Query: "25000", AmountMinor: 2_500_000}), []string{"LPK-0003", "INV-25000", "LPK-0001"}; !slices.Equal(got, want) {
			t.Errorf("search 25000 = %v, want %v", got, want)
		}
		if got := search(db.InvoiceFilter{Query: "25.000", AmountMinor: 2_500_000, Status: db.InvoiceUnknown}); len(got) != 2 {
			t.Errorf("search 25.000 among unknown = %v", got)
		}
		// Too short to search text: not a filter by text.
		if got := search(db.InvoiceFilter{Query: "ko"}); len(got) != 4 {
			t.Errorf("search ko = %v, want the whole list", got)
		}
	})
}

// TestInvoiceSearchPaging pages through a search that merges text and
// amount matches: every match once, in id order, both ways.
func TestInvoiceSearchPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		var want []string
		for i := range 17 {
			ref := fmt.Sprintf("X-%02d", i)
			switch i % 3 {
			case 0: // matches by amount
				newInvoice(t, d, m.ID, ref, 4_200_000)
			case 1: // by text: "Kopi susu" is every invoice's description, so use the reference
				newInvoice(t, d, m.ID, ref+"-cari", 1000)
				ref += "-cari"
			default:
				newInvoice(t, d, m.ID, ref, 1000)
				continue
			}
			want = append([]string{ref}, want...)
		}
		f := db.InvoiceFilter{Query: "cari", AmountMinor: 4_200_000}
		refs, pages := walk(t, d, m.ID, f, 4)
		if got := slices.Concat(refs...); !slices.Equal(got, want) {
			t.Fatalf("search pages = %v, want %v", refs, want)
		}
		back, err := d.Invoices(ctx, m.ID, f, pages[2].Prev, 4)
		if err != nil || !slices.Equal(invoiceRefs(back.Rows), refs[1]) {
			t.Errorf("back from search page 3 = %v, %v; want %v", invoiceRefs(back.Rows), err, refs[1])
		}
	})
}

// TestCountsAreCapped: a count stops at db.CountCap.
func TestCountsAreCapped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := range db.CountCap + 10 {
				if _, err := tx.InsertInvoice(ctx, db.NewInvoice{MerchantID: m.ID, PartnerReferenceNo: fmt.Sprint("C-", i),
					Method: "QRIS", AmountMinor: 1000, Description: "Kopi", ExpiresAt: clocktest.Base(t)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []db.InvoiceFilter{{}, {Query: "kopi"}, {AmountMinor: 1000}, {Query: "1000", AmountMinor: 1000}} {
			if n, err := d.CountInvoices(ctx, m.ID, f); n != db.CountCap || err != nil {
				t.Errorf("count %+v = %d, %v; want %d", f, n, err, db.CountCap)
			}
		}
		if n, _ := d.CountInvoices(ctx, m.ID, db.InvoiceFilter{Query: "C-10"}); n != 22 { // C-10, C-100…C-109, C-1000…C-1010
			t.Errorf("count C-10 = %d, want 22", n)
		}
	})
}

// TestInvoiceRowsYieldsEveryRow: the export iterator reads in batches and
// yields every matching row once, in list order, and stops when told.
func TestInvoiceRowsYieldsEveryRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, clocktest.Fixed(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		const n = 2345 // more than two batches, ties on created_at throughout
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := range n {
				if _, err := tx.InsertInvoice(ctx, db.NewInvoice{MerchantID: m.ID, PartnerReferenceNo: fmt.Sprint("E-", i),
					Method: "QRIS", AmountMinor: 1000, Description: "Kopi", ExpiresAt: clocktest.Base(t)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A fast caller, one that yields the processor on every row, and a
		// slow one: the reader is behind, level, or ahead (and then reads into
		// batches the caller is done with). Last, the reader is held after
		// handing over each batch, so that the caller has finished it (and its
		// array is free for reuse) before the reader goes on.
		for i, pace := range []func(i int){func(int) {}, func(int) { runtime.Gosched() }, func(i int) {
			if i%250 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}, func(int) {}} {
			if i == 3 {
				db.SetReadAheadHook(func() { time.Sleep(20 * time.Millisecond) })
				defer db.SetReadAheadHook(nil)
			}
			var lastID int64
			seen := 0
			for iv, err := range d.InvoiceRows(ctx, m.ID, db.InvoiceFilter{}) {
				if err != nil {
					t.Fatal(err)
				}
				if lastID != 0 && iv.ID >= lastID || iv.PartnerReferenceNo == "" {
					t.Fatalf("row %d (id %d %q) after id %d: not the next, newest first", seen, iv.ID, iv.PartnerReferenceNo, lastID)
				}
				lastID = iv.ID
				seen++
				pace(seen)
			}
			if seen != n {
				t.Errorf("yielded %d rows, want %d", seen, n)
			}
		}
		seen := 0
		for range d.InvoiceRows(ctx, m.ID, db.InvoiceFilter{Query: "E-12"}) { // E-12, E-120…, E-1200…
			seen++
			if seen == 3 {
				break
			}
		}
		if seen != 3 {
			t.Errorf("stopped after %d", seen)
		}
	})
}

// TestInvoiceRowsCarryTheExportFields: every field the CSV export shows
// reads the same through the export iterator as through MerchantInvoice,
// for a paid invoice (amounts, fee, net, paid time) and an open one.
func TestInvoiceRowsCarryTheExportFields(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, e dbtest.Engine) {
		d := dbtest.Open(t, e, stepClock(t))
		ctx := t.Context()
		m, _ := d.CreateMerchant(ctx, db.NewMerchant{Name: "A"})
		paid := newInvoice(t, d, m.ID, "LPK-PAID", 2_500_050)
		open := newInvoice(t, d, m.ID, "LPK OPEN \"kutip\", koma", 1_000)
		if _, err := d.ChangeInvoice(ctx, paid.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoiceUnknown}, To: db.InvoicePending,
			Source: "netzme", Created: &db.InvoiceCreated{NetzmeTrxID: "trx 1", NetzmeInvoiceID: "NETZ-INV-1"}}, db.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ChangeInvoice(ctx, paid.ID, db.InvoiceChange{From: []db.InvoiceStatus{db.InvoicePending}, To: db.InvoicePaid,
			Source: "callback", Paid: &db.InvoicePayment{PaidAmountMinor: 2_500_050, FeeMinor: sql.NullInt64{Int64: 17_500, Valid: true},
				NetMinor: sql.NullInt64{Int64: 2_482_550, Valid: true}, PaidAt: clocktest.Base(t).Add(time.Hour)}}, db.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
		got := map[int64]db.Invoice{}
		for iv, err := range d.InvoiceRows(ctx, m.ID, db.InvoiceFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			got[iv.ID] = iv
		}
		for _, id := range []int64{paid.ID, open.ID} {
			want, _ := d.MerchantInvoice(ctx, m.ID, id)
			g := got[id]
			if g.PartnerReferenceNo != want.PartnerReferenceNo || g.NetzmeTrxID != want.NetzmeTrxID || g.NetzmeInvoiceID != want.NetzmeInvoiceID ||
				g.Method != want.Method || g.Description != want.Description || g.CustomerName != want.CustomerName ||
				g.AmountMinor != want.AmountMinor || g.FeeType != want.FeeType || g.Status != want.Status ||
				g.PaidAmountMinor != want.PaidAmountMinor || g.FeeMinor != want.FeeMinor || g.NetMinor != want.NetMinor ||
				!g.CreatedAt.Equal(want.CreatedAt) || !g.ExpiresAt.Equal(want.ExpiresAt) || g.PaidAt != want.PaidAt {
				t.Errorf("export row\n%+v\nwant the fields of\n%+v", g, want)
			}
		}
		if !got[paid.ID].PaidAt.Valid || got[open.ID].PaidAmountMinor.Valid {
			t.Errorf("paid %+v, open %+v", got[paid.ID], got[open.ID])
		}
	})
}

func TestParseStoredTime(t *testing.T) {
	for _, s := range []string{"2026-11-21T07:05:00.000000Z", "2024-02-29T23:59:59.999999Z", "1970-01-01T00:00:00.000001Z"} {
		want, _ := time.Parse("2006-01-02T15:04:05.000000Z", s)
		if got, err := db.ParseStoredTimeForTest(s); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "2026-02-30T07:05:00.000000Z", "2026-13-01T07:05:00.000000Z", "2026-11-21 07:05:00.000000Z",
		"2026-11-21T07:05:00.00000xZ", "2026-11-21T24:05:00.000000Z", "2026-11-21T07:05:00Z"} {
		if got, err := db.ParseStoredTimeForTest(s); err == nil {
			t.Errorf("%q = %v, want an error", s, got)
		}
	}
}
