package handlers

import (
	"archive/zip"
	"encoding/csv"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/xuri/excelize/v2"

	"lapak/views"
)

// The one export writer (issue 12 §6): every download — invoices, history,
// settlement — is a list of typed columns written as CSV or XLSX, streamed
// from an iterator in constant memory.
//
//   - CSV: UTF-8 with a byte-order mark (Excel then reads it as UTF-8),
//     comma separated, amounts as plain rupiah decimals ("25000.00"), times
//     ISO-8601 with the Jakarta offset. ?dialect=id is for Indonesian Excel:
//     ";" separated and comma decimals ("25000,00"). Rows are flushed as
//     they are written: the first leave before the last is read.
//   - XLSX (github.com/xuri/excelize/v2 StreamWriter): one sheet (another
//     after Excel's 1,048,576 rows), a bold frozen header, amounts as
//     numbers with two decimals, times as Jakarta date-times. The sheet is
//     written to a temporary file once it passes 16 MB, then zipped
//     straight onto the response: memory stays flat at any size. A zip is
//     whole only at its end, so its bytes leave once the last row is read.
//
// Column names, order and meaning are a stable interface (README).

// exportFormat is the file type of a download.
type exportFormat int

const (
	formatCSV exportFormat = iota
	formatXLSX
)

// colKind says how a column's values are written.
type colKind int

const (
	colText  colKind = iota // as it is: codes, references, dates as text
	colFree                 // text a person typed: a leading = + - @ is defused in CSV
	colMoney                // sen; empty when Null
	colTime                 // an instant; empty when zero
	colCount                // a whole number (N)
)

// exportCol is one column of an export.
type exportCol struct {
	Name  string
	Kind  colKind
	Width float64 // XLSX column width in characters; 0 = by kind
}

// exportValue is one cell: S for text, N (sen) for money, T for times.
type exportValue struct {
	S    string
	N    int64
	T    time.Time
	Null bool // money: no amount
}

func cellText(s string) exportValue             { return exportValue{S: s} }
func cellMoney(n int64) exportValue             { return exportValue{N: n} }
func cellTime(t time.Time) exportValue          { return exportValue{T: t} }
func cellOptMoney(n int64, ok bool) exportValue { return exportValue{N: n, Null: !ok} }
func cellCount(n int64) exportValue             { return exportValue{N: n} }

// export is one download: its file name (without extension), XLSX sheet
// name, columns and CSV dialect.
type export struct {
	Name    string
	Sheet   string
	Cols    []exportCol
	Format  exportFormat
	Dialect string // "" (comma, point decimals) or "id" (semicolon, comma decimals)

	// keep projects the rows fill makes (width values) onto Cols (nil:
	// Cols are those rows' columns); see only.
	keep  []int
	width int
}

// exportRequest reads the format from the path's extension (".xlsx", else
// CSV) and the CSV dialect from ?dialect.
func exportRequest(r *http.Request, name, sheet string, cols []exportCol) export {
	ex := export{Name: name, Sheet: sheet, Cols: cols}
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		ex.Format = formatXLSX
	}
	if r.URL.Query().Get("dialect") == "id" {
		ex.Dialect = "id"
	}
	return ex
}

// colNames are the columns' names (the header row).
func colNames(cols []exportCol) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// without is ex without the columns named in drop: fill still fills every
// column of ex, and the dropped ones are never written.
func (ex export) without(drop ...string) export {
	var cols []exportCol
	var keep []int
	for i, c := range ex.Cols {
		if !sliceHas(drop, c.Name) {
			cols, keep = append(cols, c), append(keep, i)
		}
	}
	ex.width, ex.keep, ex.Cols = len(ex.Cols), keep, cols
	return ex
}

func sliceHas(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}

// exportFlushRows is how many rows a CSV export writes between flushes: the
// first rows leave at once, then about every 100 KB.
const exportFlushRows = 500

// xlsxMaxRows is Excel's limit of rows per sheet (header included).
const xlsxMaxRows = 1_048_576

// writeExport streams ex: a header row, then one row per item of rows,
// filled by fill into a row of values, one per column (the row is reused:
// fill sets every cell it needs, the others are zero). A failure before
// anything was sent is the 500 page; after that the response is aborted (a
// broken download, never a short file that looks whole).
func writeExport[T any](h *Handler, w http.ResponseWriter, r *http.Request, ex export,
	rows iter.Seq2[T, error], fill func(T, []exportValue)) {
	width := len(ex.Cols)
	if ex.keep != nil {
		width = ex.width
	}
	row := make([]exportValue, width)
	out := row
	if ex.keep != nil {
		out = make([]exportValue, len(ex.keep))
	}
	each := func(yield func([]exportValue) bool) error {
		for item, err := range rows {
			if err != nil {
				return err
			}
			clear(row)
			fill(item, row)
			for i, j := range ex.keep {
				out[i] = row[j]
			}
			if !yield(out) {
				return nil
			}
		}
		return nil
	}
	if ex.Format == formatXLSX {
		writeXLSX(h, w, r, ex, each)
		return
	}
	writeCSV(h, w, r, ex, each)
}

// exportHeaders sets a download's headers and lifts the write deadline: a
// large export outlasts the server's write timeout on a slow link; each
// write still fails once the client is gone.
func exportHeaders(w http.ResponseWriter, contentType, filename string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	http.NewResponseController(w).SetWriteDeadline(time.Time{})
}

// exportFailed logs an export that failed after its first bytes left and
// aborts the response.
func (h *Handler) exportFailed(r *http.Request, err error, written int) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "export failed", slog.String("err", err.Error()),
		slog.String("path", r.URL.Path), slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.Int("rows_written", written))
	panic(http.ErrAbortHandler)
}

// utf8BOM starts every CSV export: without it Excel reads UTF-8 as the
// system's code page ("Rp" survives, "Ã©" appears for é).
const utf8BOM = "\ufeff"

// writeCSV streams ex as CSV; each calls yield with the rows in order and
// returns the first read error.
func writeCSV(h *Handler, w http.ResponseWriter, r *http.Request, ex export, each func(yield func([]exportValue) bool) error) {
	rc := http.NewResponseController(w)
	var cw *csv.Writer
	record := make([]string, len(ex.Cols))
	var scratch []byte
	start := func() {
		exportHeaders(w, "text/csv; charset=utf-8", ex.Name+".csv")
		io.WriteString(w, utf8BOM)
		cw = csv.NewWriter(w)
		if ex.Dialect == "id" {
			cw.Comma = ';'
		}
		cw.Write(colNames(ex.Cols))
	}
	flush := func() bool {
		cw.Flush()
		if cw.Error() != nil {
			return false
		}
		rc.Flush()
		return true
	}
	n := 0
	gone := false
	err := each(func(vals []exportValue) bool {
		if cw == nil {
			start()
		}
		for i, c := range ex.Cols {
			v := vals[i]
			switch c.Kind {
			case colMoney:
				if v.Null {
					record[i] = ""
				} else {
					scratch = appendAmount(scratch[:0], v.N, ex.Dialect == "id")
					record[i] = string(scratch)
				}
			case colTime:
				record[i] = isoTime(v.T)
			case colCount:
				record[i] = strconv.FormatInt(v.N, 10)
			case colFree:
				record[i] = csvText(v.S)
			default:
				record[i] = v.S
			}
		}
		cw.Write(record)
		n++
		if n == 1 || n%exportFlushRows == 0 {
			if !flush() {
				gone = true // the client went away
				return false
			}
		}
		return true
	})
	switch {
	case err != nil && cw == nil:
		h.serverError(w, r, err)
	case err != nil:
		h.exportFailed(r, err, n)
	case gone:
	default:
		if cw == nil {
			start()
		}
		flush()
	}
}

// appendAmount appends sen as a plain decimal of rupiah with two places
// ("25000.00", "-1500.50"; with comma "25000,00"), in integers only.
func appendAmount(b []byte, minor int64, comma bool) []byte {
	u := uint64(minor)
	if minor < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	if comma {
		b = append(b, ',')
	} else {
		b = append(b, '.')
	}
	sen := u % 100
	return append(b, byte('0'+sen/10), byte('0'+sen%10))
}

// xlsxStyles are the cell styles of an XLSX export.
type xlsxStyles struct{ header, money, time int }

func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	var s xlsxStyles
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return s, err
	}
	if s.money, err = f.NewStyle(&excelize.Style{NumFmt: 4}); err != nil { // #,##0.00
		return s, err
	}
	timeFmt := "yyyy-mm-dd hh:mm:ss"
	s.time, err = f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt})
	return s, err
}

// xlsxSheet is one sheet being streamed.
type xlsxSheet struct {
	sw   *excelize.StreamWriter
	rows int // rows written, header included
}

// newXLSXSheet starts sheet name (created unless it is the first) with its
// column widths, a frozen header row and the header.
func newXLSXSheet(f *excelize.File, name string, first bool, ex export, st xlsxStyles) (*xlsxSheet, error) {
	if first {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return nil, err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	for i, c := range ex.Cols {
		wd := c.Width
		if wd == 0 {
			switch c.Kind {
			case colMoney:
				wd = 16
			case colTime:
				wd = 20
			case colFree:
				wd = 30
			default:
				wd = max(12, float64(len(c.Name))+2)
			}
		}
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	header := make([]any, len(ex.Cols))
	for i, c := range ex.Cols {
		header[i] = excelize.Cell{StyleID: st.header, Value: c.Name}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return nil, err
	}
	return &xlsxSheet{sw: sw, rows: 1}, nil
}

// errXLSX wraps the excelize failures of an export.
var errXLSX = errors.New("handlers: xlsx export")

// writeXLSX streams ex as an XLSX workbook.
func writeXLSX(h *Handler, w http.ResponseWriter, r *http.Request, ex export, each func(yield func([]exportValue) bool) error) {
	f := excelize.NewFile()
	defer f.Close()
	fail := func(err error) { h.serverError(w, r, errors.Join(errXLSX, err)) }
	st, err := newXLSXStyles(f)
	if err != nil {
		fail(err)
		return
	}
	sheets := 1
	sheet, err := newXLSXSheet(f, ex.Sheet, true, ex, st)
	if err != nil {
		fail(err)
		return
	}
	vals := make([]any, len(ex.Cols))
	var scratch []byte
	var werr error
	n := 0
	err = each(func(row []exportValue) bool {
		if sheet.rows == xlsxMaxRows {
			if werr = sheet.sw.Flush(); werr != nil {
				return false
			}
			sheets++
			if sheet, werr = newXLSXSheet(f, ex.Sheet+" "+strconv.Itoa(sheets), false, ex, st); werr != nil {
				return false
			}
		}
		for i, c := range ex.Cols {
			v := row[i]
			switch c.Kind {
			case colMoney:
				if v.Null {
					vals[i] = nil
					continue
				}
				// The cell holds the number Excel itself reads from the
				// decimal text: parsed, never computed in floating point.
				scratch = appendAmount(scratch[:0], v.N, false)
				x, perr := strconv.ParseFloat(string(scratch), 64)
				if perr != nil {
					werr = perr
					return false
				}
				vals[i] = excelize.Cell{StyleID: st.money, Value: x}
			case colTime:
				if v.T.IsZero() {
					vals[i] = nil
					continue
				}
				vals[i] = excelize.Cell{StyleID: st.time, Value: v.T.In(views.Jakarta)}
			case colCount:
				vals[i] = v.N
			default:
				vals[i] = v.S
			}
		}
		sheet.rows++
		n++
		cell, cerr := excelize.CoordinatesToCellName(1, sheet.rows)
		if cerr != nil {
			werr = cerr
			return false
		}
		if werr = sheet.sw.SetRow(cell, vals); werr != nil {
			return false
		}
		return true
	})
	if err == nil {
		err = werr
	}
	if err == nil {
		err = sheet.sw.Flush()
	}
	if err != nil {
		fail(err)
		return
	}
	// Nothing has been sent yet: the workbook goes out now, zipped straight
	// onto the response (excelize's WriteTo would build it in memory first;
	// its ZipWriter hook gets the response instead).
	exportHeaders(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ex.Name+".xlsx")
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if _, err := f.WriteTo(io.Discard); err != nil {
		h.exportFailed(r, err, n)
	}
	http.NewResponseController(w).Flush()
}
