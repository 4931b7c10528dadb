package handlers

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"lapak/db"
)

// csvRecords reads a CSV export: it must start with the UTF-8 byte-order
// mark, the rest is comma-separated records.
func csvRecords(t testing.TB, body string) [][]string {
	t.Helper()
	rest, ok := strings.CutPrefix(body, utf8BOM)
	if !ok {
		t.Fatalf("CSV export does not start with the UTF-8 byte-order mark: %.40q", body)
	}
	recs, err := csv.NewReader(strings.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("CSV export: %v\n%.300s", err, rest)
	}
	return recs
}

// excelizeOpen opens an XLSX export (the caller closes it).
func excelizeOpen(t testing.TB, body string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("XLSX does not open: %v", err)
	}
	return f
}

// readFull fills b from r.
func readFull(r *bufio.Reader, b []byte) bool {
	_, err := io.ReadFull(r, b)
	return err == nil
}

// xlsxRows opens an XLSX export with excelize and returns the raw cell
// values of its first sheet, and the sheet's name.
func xlsxRows(t testing.TB, body string) (string, [][]string) {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("XLSX does not open: %v", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return sheet, rows
}

func TestAppendAmount(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		minor      int64
		point, com string
	}{
		{2_500_000, "25000.00", "25000,00"}, {5, "0.05", "0,05"}, {-150_050, "-1500.50", "-1500,50"}, {0, "0.00", "0,00"},
		{-9223372036854775808, "-92233720368547758.08", "-92233720368547758,08"},
	} {
		if got := string(appendAmount(nil, c.minor, false)); got != c.point {
			t.Errorf("%d: %q, want %q", c.minor, got, c.point)
		}
		if got := string(appendAmount(nil, c.minor, true)); got != c.com {
			t.Errorf("%d with comma: %q, want %q", c.minor, got, c.com)
		}
	}
}

// countingWriter is a ResponseWriter that keeps only the byte count (and,
// when keep, the body).
type countingWriter struct {
	header   http.Header
	status   int
	n        atomic.Int64
	maxWrite int
	to       io.Writer // where the body goes (nil: nowhere)
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n.Add(int64(len(p)))
	w.maxWrite = max(w.maxWrite, len(p))
	if w.to != nil {
		return w.to.Write(p)
	}
	return len(p), nil
}
func (w *countingWriter) Flush() {}

// syntheticRows yields n rows of the history's shape without a database.
func syntheticRows(n int) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
	}
}

var exportTestCols = []exportCol{
	{Name: "occurred_at", Kind: colTime}, {Name: "type"}, {Name: "reference"}, {Name: "description", Kind: colFree},
	{Name: "amount", Kind: colMoney}, {Name: "fee", Kind: colMoney}, {Name: "count", Kind: colCount},
}

func fillSynthetic(at time.Time) func(int, []exportValue) {
	return func(i int, row []exportValue) {
		row[0], row[1] = cellTime(at.Add(time.Duration(i)*time.Second)), cellText("sale")
		row[2] = cellText("INV-" + strconv.Itoa(i) + "-ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		row[3] = cellText("Kopi susu gula aren, dua gelas, tanpa es, bungkus")
		row[4], row[5], row[6] = cellMoney(int64(i)*137+2_500_000), cellMoney(17_500), cellCount(int64(i))
	}
}

// TestExportsStreamInConstantMemory writes 250,000 rows (about 60 MB of
// sheet XML, 30 MB of CSV) through the export writer in each format and
// samples the heap meanwhile: it grows by less than 16 MB (a writer that
// kept the CSV in memory would hold 34 MB more; excelize's own row buffer
// would hold 16 MB of the XLSX's 60 MB of sheet XML before a temporary
// file, and its WriteTo the whole zip), and no single write hands over the
// file at once. The workbook then opens with all its rows. The issue's
// bound is 64 MB of RSS at 1M rows; BenchmarkHistoryExport measures that on
// a real database.
func TestExportsStreamInConstantMemory(t *testing.T) {
	app := newTestApp(t)
	const n = 250_000
	at := app.clock()
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			// A low GC target makes the heap in use follow what is live,
			// not garbage waiting for the next cycle.
			defer debug.SetGCPercent(debug.SetGCPercent(20))
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				var ms runtime.MemStats
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > peak.Load() {
							peak.Store(ms.HeapInuse)
						}
					}
				}
			})
			// The body goes to a file (not the heap being measured), to be
			// opened afterwards.
			file, err := os.Create(filepath.Join(t.TempDir(), "export."+format))
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			w := &countingWriter{header: http.Header{}, to: file}
			r := httptest.NewRequest(http.MethodGet, "/x."+format, nil)
			ex := exportRequest(r, "x", "x", exportTestCols)
			writeExport(app.handler, w, r, ex, syntheticRows(n), fillSynthetic(at))
			close(stop)
			wg.Wait()
			growth := int64(peak.Load()) - int64(base.HeapInuse)
			t.Logf("%s: %d rows, %.1f MB written, heap in use grew by at most %.1f MB", format, n,
				float64(w.n.Load())/(1<<20), float64(growth)/(1<<20))
			if w.status != http.StatusOK || w.n.Load() < 5<<20 {
				t.Fatalf("status %d, %d bytes", w.status, w.n.Load())
			}
			if growth > 16<<20 {
				t.Errorf("heap grew by %.1f MB while exporting: not constant memory", float64(growth)/(1<<20))
			}
			// Written as it goes, in small pieces: never the whole file
			// handed over at once (excelize's WriteTo would build the zip in
			// memory and write it in one piece).
			if w.maxWrite > 1<<20 {
				t.Errorf("largest single write %d bytes: the file was built in memory", w.maxWrite)
			}
			if format == "xlsx" {
				// Whole: the zip reads, and its sheet holds every row, the
				// last one last (excelize opens workbooks in the other
				// tests; here it would take seconds).
				zr, err := zip.OpenReader(file.Name())
				if err != nil {
					t.Fatalf("the workbook is not a whole zip: %v", err)
				}
				defer zr.Close()
				sheet, err := zr.Open("xl/worksheets/sheet1.xml")
				if err != nil {
					t.Fatal(err)
				}
				xml, err := io.ReadAll(sheet)
				if err != nil {
					t.Fatal(err)
				}
				rows := strings.Count(string(xml), "<row ")
				lastRef := "INV-" + strconv.Itoa(n-1) + "-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				if rows != n+1 || !strings.Contains(string(xml[len(xml)-2000:]), lastRef) {
					t.Errorf("the sheet has %d rows, want %d ending with %s", rows, n+1, lastRef)
				}
			}
		})
	}
}

// An export whose rows fail before any was written is the 500 page; after
// rows left, the response is aborted (the download breaks instead of
// ending short).
func TestExportFailures(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	boom := errors.New("disk on fire")
	failing := func(after int) iter.Seq2[int, error] {
		return func(yield func(int, error) bool) {
			for i := range after {
				if !yield(i, nil) {
					return
				}
			}
			yield(0, boom)
		}
	}
	for _, path := range []string{"/x.csv", "/x.xlsx"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		writeExport(app.handler, w, r, exportRequest(r, "x", "x", exportTestCols), failing(0), fillSynthetic(app.clock()))
		if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "disk on fire") {
			t.Errorf("%s failing at once: %d %.100q", path, w.Code, w.Body.String())
		}
	}
	// Rows have left: the handler aborts (the download breaks), whatever
	// the format.
	for _, path := range []string{"/x.csv", "/x.xlsx"} {
		func() {
			defer func() {
				if p := recover(); p != http.ErrAbortHandler {
					t.Errorf("%s failing late: recovered %v, want http.ErrAbortHandler", path, p)
				}
			}()
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, path, nil)
			writeExport(app.handler, w, r, exportRequest(r, "x", "x", exportTestCols), failing(700), fillSynthetic(app.clock()))
			t.Errorf("%s failing late: the handler returned", path)
		}()
	}
}

// An XLSX export longer than Excel's sheet ends at the limit with a row
// saying so; one that just fits is whole (shown here with a limit of 6
// rows: the header and 5).
func TestXLSXCutAtExcelsLimit(t *testing.T) {
	app := newTestApp(t)
	defer func(n int) { xlsxMaxRows = n }(xlsxMaxRows)
	xlsxMaxRows = 6
	export := func(n int) [][]string {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/x.xlsx", nil)
		writeExport(app.handler, w, r, exportRequest(r, "x", "x", exportTestCols), syntheticRows(n), fillSynthetic(app.clock()))
		_, rows := xlsxRows(t, w.Body.String())
		return rows
	}
	ref := func(i int) string { return "INV-" + strconv.Itoa(i) + "-ABCDEFGHIJKLMNOPQRSTUVWXYZ" }
	if rows := export(5); len(rows) != 6 || rows[5][2] != ref(4) {
		t.Errorf("5 rows: %d in the sheet: %q", len(rows)-1, rows)
	}
	if rows := export(20); len(rows) != 6 || rows[4][2] != ref(3) || !strings.HasPrefix(rows[5][0], "truncated at 4 rows") {
		t.Errorf("20 rows: %d in the sheet: %q", len(rows)-1, rows)
	}
}

// The invoice export as a workbook: the CSV's columns (a cashier's without
// fee and net) and rows, amounts as numbers.
func TestInvoicesXLSX(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	owner, u, m := app.loginAs(t, db.RoleOwner)
	for i, amount := range []int64{2_500_000, 1_234_550} {
		if _, err := app.DB.CreateInvoiceIntent(t.Context(), db.NewInvoice{MerchantID: m.ID, PartnerReferenceNo: "XL-" + strconv.Itoa(i),
			Method: "QRIS", AmountMinor: amount, Description: "=Kopi", ExpiresAt: app.clock().Add(time.Hour), CreatedBy: u.ID},
			db.AuditEntry{Action: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	res := owner.get("/invoices.xlsx").wantStatus(t, http.StatusOK)
	if cd := res.Header.Get("Content-Disposition"); !strings.HasSuffix(cd, `.xlsx"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	sheet, rows := xlsxRows(t, res.Body)
	if sheet != "invoices" || len(rows) != 3 || !slices.Equal(rows[0], invoiceCSVHeader) {
		t.Fatalf("sheet %q, %d rows, header %v", sheet, len(rows), rows[0])
	}
	// Newest first; the amount a number; free text as typed (a workbook's
	// text cell never runs as a formula).
	if amount, err := strconv.ParseFloat(rows[1][6], 64); rows[1][0] != "XL-1" || err != nil || amount != 12345.5 || rows[1][4] != "=Kopi" {
		t.Errorf("first row %q", rows[1])
	}
	cashier, _, _ := app.loginAs(t, db.RoleCashier)
	_, crows := xlsxRows(t, cashier.get("/invoices.xlsx").wantStatus(t, http.StatusOK).Body)
	if slices.Contains(crows[0], "fee") || slices.Contains(crows[0], "net") || len(crows[0]) != len(invoiceCSVHeader)-2 {
		t.Errorf("cashier's header %v", crows[0])
	}
}

// BenchmarkExportWriter writes 100,000 rows of the history's shape (no
// database) in each format: the writer's own cost per row.
func BenchmarkExportWriter(b *testing.B) {
	app := newTestApp(b)
	const n = 100_000
	for _, format := range []string{"csv", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				w := &countingWriter{header: http.Header{}}
				r := httptest.NewRequest(http.MethodGet, "/x."+format, nil)
				writeExport(app.handler, w, r, exportRequest(r, "x", "x", exportTestCols), syntheticRows(n), fillSynthetic(app.clock()))
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// Text reaches the workbook as typed: markup characters, quotes, line
// breaks, non-Latin script and emoji; characters XML cannot hold become
// U+FFFD rather than breaking the file.
func TestXLSXText(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	texts := []string{"Kopi & <Teh>", `"Budi" 'Ani'`, "baris satu\nbaris dua", "نسي goreng 🍜", " spasi ", "bel\x07", "=SUM(A1)"}
	rows := func(yield func(int, error) bool) {
		for i := range texts {
			if !yield(i, nil) {
				return
			}
		}
	}
	cols := []exportCol{{Name: "text", Kind: colFree}, {Name: "amount", Kind: colMoney}}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/x.xlsx", nil)
	writeExport(app.handler, w, r, exportRequest(r, "x", "x", cols), iter.Seq2[int, error](rows), func(i int, row []exportValue) {
		row[0], row[1] = cellText(texts[i]), cellMoney(int64(-i*101))
	})
	_, got := xlsxRows(t, w.Body.String())
	if len(got) != len(texts)+1 {
		t.Fatalf("%d rows", len(got))
	}
	for i, want := range texts {
		if want == "bel\x07" {
			want = "bel\uFFFD"
		}
		if got[i+1][0] != want {
			t.Errorf("row %d: %q, want %q", i+1, got[i+1][0], want)
		}
		if v, err := strconv.ParseFloat(got[i+1][1], 64); err != nil || v != float64(-i*101)/100 {
			t.Errorf("row %d amount %q", i+1, got[i+1][1])
		}
	}
}
