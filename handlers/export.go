package handlers

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
//   - XLSX (github.com/xuri/excelize/v2, its StreamWriter for the sheet):
//     one sheet, a bold frozen header, amounts as numbers with two decimals,
//     times as Jakarta date-times, zipped straight onto the response with
//     the rows written in as they are read (writeXLSX): the first rows
//     leave before the last is read, in constant memory. Excel holds
//     1,048,576 rows a sheet: past that the sheet ends with a row saying it
//     was cut (the CSV has everything).
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

// xlsxMaxRows is Excel's limit of rows per sheet (header included); a
// variable for the test of the cut.
var xlsxMaxRows = 1_048_576

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

// xlsxSheetPart is the part of the workbook's one sheet (excelize names the
// first sheet's part so whatever the sheet is called).
const xlsxSheetPart = "xl/worksheets/sheet1.xml"

// errXLSX wraps the failures of an XLSX export.
var errXLSX = errors.New("handlers: xlsx export")

// writeXLSX streams ex as an XLSX workbook. excelize builds the workbook —
// styles, the sheet with its column widths, frozen header row and header
// (StreamWriter) — and zips it onto the response through its ZipWriter
// hook. The data rows do not wait in excelize's buffer (16 MB in memory
// before a temporary file, the whole sheet before the first byte leaves):
// they are written into the sheet's part as it is zipped, in the cell form
// the StreamWriter writes (numbers with a style, inline strings), so the
// first rows leave while the rest are read, in constant memory.
func writeXLSX(h *Handler, w http.ResponseWriter, r *http.Request, ex export, each func(yield func([]exportValue) bool) error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := xlsxShell(f, ex)
	if err != nil {
		h.serverError(w, r, errors.Join(errXLSX, err))
		return
	}
	out := &countingResponse{w: w}
	z := &xlsxSplice{zw: zip.NewWriter(out), part: xlsxSheetPart}
	z.zw.RegisterCompressor(zip.Deflate, func(dst io.Writer) (io.WriteCloser, error) {
		fw, err := flate.NewWriter(dst, flate.BestSpeed)
		z.flate = fw
		return fw, err
	})
	rc := http.NewResponseController(w)
	rows := 0
	truncated := false
	z.rows = func(dst io.Writer) error {
		enc := xlsxRowEncoder{w: bufio.NewWriterSize(dst, 32<<10), cols: ex.Cols, st: st}
		var held []exportValue // a row for the sheet's last place, written if no row follows it
		err := each(func(vals []exportValue) bool {
			switch pos := rows + 2; { // the header is row 1
			case pos == xlsxMaxRows && held == nil:
				held = slices.Clone(vals)
				return true
			case pos >= xlsxMaxRows:
				truncated = true
				return false
			}
			rows++
			enc.row(rows+1, vals)
			if rows == 1 || rows%exportFlushRows == 0 {
				// The rows so far go out now (a sync flush of the deflate
				// stream costs a few bytes).
				if enc.w.Flush() != nil || z.flate.Flush() != nil || z.zw.Flush() != nil {
					return false
				}
				rc.Flush()
			}
			return enc.err == nil
		})
		switch {
		case truncated:
			h.log.LogAttrs(r.Context(), slog.LevelWarn, "xlsx export truncated at Excel's row limit",
				slog.String("path", r.URL.Path), slog.Int("rows", rows))
			enc.note(rows+2, "truncated at "+strconv.Itoa(rows)+" rows (Excel's limit): use the CSV export or a shorter range")
		case held != nil && err == nil:
			rows++
			enc.row(rows+1, held)
		}
		if err == nil {
			err = enc.err
		}
		if ferr := enc.w.Flush(); err == nil {
			err = ferr
		}
		return err
	}
	exportHeaders(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ex.Name+".xlsx")
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return z })
	if _, err = f.WriteTo(io.Discard); err == nil && !z.spliced {
		err = errors.New("the sheet's part was never written")
	}
	if err != nil {
		if out.n == 0 {
			// Nothing has left yet: the 500 page can still be sent.
			for _, k := range []string{"Content-Type", "Content-Disposition", "Cache-Control"} {
				w.Header().Del(k)
			}
			h.serverError(w, r, errors.Join(errXLSX, err))
			return
		}
		h.exportFailed(r, errors.Join(errXLSX, err), rows)
	}
	rc.Flush()
}

// xlsxShell makes the workbook around the rows: the sheet named ex.Sheet
// with its column widths, a frozen header row and the header, through the
// StreamWriter.
func xlsxShell(f *excelize.File, ex export) (xlsxStyles, error) {
	st, err := newXLSXStyles(f)
	if err != nil {
		return st, err
	}
	if err := f.SetSheetName("Sheet1", ex.Sheet); err != nil {
		return st, err
	}
	sw, err := f.NewStreamWriter(ex.Sheet)
	if err != nil {
		return st, err
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
			return st, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return st, err
	}
	header := make([]any, len(ex.Cols))
	for i, c := range ex.Cols {
		header[i] = excelize.Cell{StyleID: st.header, Value: c.Name}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return st, err
	}
	return st, sw.Flush()
}

// countingResponse counts what reached the response.
type countingResponse struct {
	w io.Writer
	n int64
}

func (c *countingResponse) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// xlsxSplice is the excelize.ZipWriter of an export: every part goes into
// the zip as excelize gives it, except the sheet's, whose rows (rows) are
// written in before its closing </sheetData>.
type xlsxSplice struct {
	zw      *zip.Writer
	flate   *flate.Writer // the current part's compressor
	part    string
	rows    func(io.Writer) error
	open    *sheetSplicer // the sheet's part while it is being written
	spliced bool
	failed  error // the rows' error: the zip is left unfinished
}

func (z *xlsxSplice) Create(name string) (io.Writer, error) {
	if err := z.finish(); err != nil {
		return nil, err
	}
	w, err := z.zw.Create(name)
	if err != nil || name != z.part {
		return w, err
	}
	z.open = &sheetSplicer{w: w, z: z}
	return z.open, nil
}

// finish ends the sheet's part, if it is open: what was held back goes out.
func (z *xlsxSplice) finish() error {
	if z.open == nil {
		return nil
	}
	s := z.open
	z.open = nil
	if !z.spliced {
		return errors.New("the sheet has no </sheetData>")
	}
	_, err := s.w.Write(s.held)
	return err
}

func (z *xlsxSplice) AddFS(fsys fs.FS) error { return z.zw.AddFS(fsys) }

func (z *xlsxSplice) Close() error {
	if z.failed != nil {
		// Not a word more: a zip with a central directory would look whole.
		return z.failed
	}
	if err := z.finish(); err != nil {
		return err
	}
	return z.zw.Close()
}

// sheetSplicer passes the sheet's part through, and at its </sheetData>
// writes the rows first. It holds back the last bytes of each write that
// could begin the marker.
type sheetSplicer struct {
	w    io.Writer
	z    *xlsxSplice
	held []byte
}

var sheetDataEnd = []byte("</sheetData>")

func (s *sheetSplicer) Write(p []byte) (int, error) {
	if s.z.spliced {
		_, err := s.w.Write(p)
		return len(p), err
	}
	buf := append(s.held, p...)
	if i := bytes.Index(buf, sheetDataEnd); i >= 0 {
		s.held = nil
		if _, err := s.w.Write(buf[:i]); err != nil {
			return 0, err
		}
		s.z.spliced = true
		if err := s.z.rows(s.w); err != nil {
			s.z.failed = err
			return 0, err
		}
		_, err := s.w.Write(buf[i:])
		return len(p), err
	}
	keep := min(len(buf), len(sheetDataEnd)-1)
	if _, err := s.w.Write(buf[:len(buf)-keep]); err != nil {
		return 0, err
	}
	s.held = append(s.held[:0:0], buf[len(buf)-keep:]...)
	return len(p), nil
}

// xlsxRowEncoder writes <row> elements as excelize's StreamWriter does:
// numbers (amounts and times, with their style) as <v>, text as inline
// strings. Amounts are written as their decimal text, never through a
// float; times as Excel serial dates of the Jakarta wall clock.
type xlsxRowEncoder struct {
	w      *bufio.Writer
	cols   []exportCol
	st     xlsxStyles
	num    []byte
	rowNum [20]byte
	names  []string // column letters
	err    error
}

func (e *xlsxRowEncoder) row(n int, vals []exportValue) {
	w := e.w
	w.WriteString(`<row r="`)
	w.Write(strconv.AppendInt(e.rowNum[:0], int64(n), 10))
	w.WriteString(`">`)
	for i, c := range e.cols {
		v := vals[i]
		switch c.Kind {
		case colMoney:
			if v.Null {
				continue
			}
			e.num = appendAmount(e.num[:0], v.N, false)
			e.cell(i, n, e.st.money, e.num)
		case colTime:
			if v.T.IsZero() {
				continue
			}
			e.num = appendExcelTime(e.num[:0], v.T.In(views.Jakarta))
			e.cell(i, n, e.st.time, e.num)
		case colCount:
			e.num = strconv.AppendInt(e.num[:0], v.N, 10)
			e.cell(i, n, 0, e.num)
		default:
			if v.S == "" {
				continue
			}
			e.text(i, n, v.S)
		}
	}
	if _, err := w.WriteString(`</row>`); err != nil && e.err == nil {
		e.err = err
	}
}

// note writes a row with one text cell.
func (e *xlsxRowEncoder) note(n int, s string) {
	e.w.WriteString(`<row r="` + strconv.Itoa(n) + `">`)
	e.text(0, n, s)
	e.w.WriteString(`</row>`)
}

func (e *xlsxRowEncoder) ref(col, row int) {
	e.w.WriteString(` r="`)
	if col >= len(e.names) {
		e.names = make([]string, len(e.cols))
		for i := range e.names {
			e.names[i] = xlsxColumn(i)
		}
	}
	e.w.WriteString(e.names[col])
	e.w.Write(strconv.AppendInt(e.rowNum[:0], int64(row), 10))
	e.w.WriteByte('"')
}

func (e *xlsxRowEncoder) cell(col, row, style int, v []byte) {
	e.w.WriteString(`<c`)
	e.ref(col, row)
	if style != 0 {
		e.w.WriteString(` s="`)
		e.w.WriteString(strconv.Itoa(style))
		e.w.WriteByte('"')
	}
	e.w.WriteString(`><v>`)
	e.w.Write(v)
	e.w.WriteString(`</v></c>`)
}

// xlsxMaxText is Excel's limit of characters in a cell.
const xlsxMaxText = 32767

func (e *xlsxRowEncoder) text(col, row int, s string) {
	if len(s) > xlsxMaxText {
		s = strings.ToValidUTF8(s[:xlsxMaxText], "")
	}
	e.w.WriteString(`<c`)
	e.ref(col, row)
	e.w.WriteString(` t="inlineStr"><is><t`)
	if s != strings.TrimSpace(s) {
		e.w.WriteString(` xml:space="preserve"`)
	}
	e.w.WriteByte('>')
	if plainXML(s) {
		e.w.WriteString(s)
	} else {
		xml.EscapeText(e.w, []byte(s)) // characters XML cannot hold become U+FFFD
	}
	e.w.WriteString(`</t></is></c>`)
}

// plainXML reports whether s can be written into XML text as it is: no
// markup characters, no control characters, no invalid UTF-8.
func plainXML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<' || c == '>' || c == '&' || c == '\'' || c == '"' || c < 0x20:
			return false
		case c >= 0x80:
			return utf8.ValidString(s[i:]) && !strings.ContainsFunc(s[i:], func(r rune) bool {
				return r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF)
			})
		}
	}
	return true
}

// xlsxColumn is the column letters of 0-based column i ("A", …, "Z", "AA").
func xlsxColumn(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// appendExcelTime appends t's wall clock (in its own location) as an Excel
// serial date: days since 1899-12-30 and the fraction of the day, to the
// second, in integers (ten decimal places).
func appendExcelTime(b []byte, t time.Time) []byte {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	secs := wall.Unix() - excelEpoch.Unix()
	days, rem := secs/86400, secs%86400
	b = strconv.AppendInt(b, days, 10)
	if rem == 0 {
		return b
	}
	frac := strconv.FormatInt(rem*10_000_000_000/86400, 10)
	b = append(b, '.')
	for range 10 - len(frac) {
		b = append(b, '0')
	}
	return append(b, strings.TrimRight(frac, "0")...)
}

// excelEpoch is day 0 of Excel's 1900 date system as its serials count
// after February 1900.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
