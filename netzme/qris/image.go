package qris

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/gif" // DecodeImage accepts what staff may upload
	_ "image/jpeg"
	_ "image/png"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
	"rsc.io/qr/coding"
)

// QuietZone is the blank margin, in modules, that every image keeps around
// the code; QR readers need 4 modules to find the finder patterns.
const QuietZone = 4

// ecLevel is error correction M (~15 % recoverable): the QRIS rules set no level,
// and M is the usual choice for printed payment codes (guess; not in spec).
const ecLevel = coding.M

// Errors from the image functions (not *Error: they are not about QRIS fields).
var (
	ErrNoQRCode    = errors.New("qris: no readable QR code in the image")
	ErrImageFormat = errors.New("qris: unsupported or damaged image")
)

// maxImagePixels bounds what DecodeImage decodes, so an upload cannot make
// the server allocate gigabytes (a 12 MP phone photo is well inside).
const maxImagePixels = 40_000_000

// maxImageBytes bounds how much DecodeImage reads from r.
const maxImageBytes = 25 << 20

// symbols returns payload's QR code under each of the eight masks, in the
// order ISO/IEC 18004 §7.8.3 prefers them (lowest penalty first, ties by
// mask number). rsc.io/qr's own Encode always uses mask 0 ("TODO: Pick
// appropriate mask"). Masks exist to break up patterns that look like the
// finder patterns; under one fixed mask some payloads keep such a run in
// their data, ZXing's detector stops at it as the third finder, and the code
// does not read: 3.4 % of the payloads TestDataURIRoundTripProperty draws,
// about 1 in 860 sandbox invoices. The best mask by penalty still fails for
// 2.5 %, hence encodeQR reads every image back.
func symbols(payload string) ([]symbol, error) {
	if payload == "" {
		return nil, fmt.Errorf("qris: nothing to encode")
	}
	if len(payload) > MaxLen {
		return nil, fmt.Errorf("qris: payload has %d characters, at most %d allowed", len(payload), MaxLen)
	}
	// The most compact single mode, as rsc.io/qr picks it.
	var enc coding.Encoding
	switch {
	case coding.Num(payload).Check() == nil:
		enc = coding.Num(payload)
	case coding.Alpha(payload).Check() == nil:
		enc = coding.Alpha(payload)
	default:
		enc = coding.String(payload)
	}
	v := coding.Version(coding.MinVersion)
	for enc.Bits(v) > v.DataBytes(ecLevel)*8 {
		if v++; v > coding.MaxVersion {
			return nil, fmt.Errorf("qris: payload too long for a QR code")
		}
	}
	syms := make([]symbol, 8)
	for m := range syms {
		p, err := plan(v, m)
		if err != nil {
			return nil, fmt.Errorf("qris: encode QR: %w", err)
		}
		c, err := p.Encode(enc)
		if err != nil {
			return nil, fmt.Errorf("qris: encode QR: %w", err)
		}
		syms[m] = symbol{Code: c, mask: m, penalty: maskPenalty(c)}
	}
	sort.SliceStable(syms, func(i, j int) bool { return syms[i].penalty < syms[j].penalty })
	return syms, nil
}

// plans caches coding.NewPlan per version and mask (at most 40×8, level
// fixed): building the module map is most of the cost of encoding, and a
// Plan is only read by Encode.
var plans sync.Map // version*8+mask → *coding.Plan

func plan(v coding.Version, mask int) (*coding.Plan, error) {
	key := int(v)*8 + mask
	if p, ok := plans.Load(key); ok {
		return p.(*coding.Plan), nil
	}
	p, err := coding.NewPlan(v, ecLevel, coding.Mask(mask))
	if err != nil {
		return nil, err
	}
	plans.Store(key, p)
	return p, nil
}

// symbol is one QR encoding of a payload.
type symbol struct {
	*coding.Code
	mask    int // 0–7
	penalty int // ISO/IEC 18004 §7.8.3.1 score; lower is better
}

// maskPenalty scores a code by the four rules of ISO/IEC 18004 §7.8.3.1:
// N1 runs of five or more same-colour modules in a row or column, N2 2×2
// same-colour blocks, N3 finder-like 1:1:3:1:1 runs with four light modules
// on either side (the quiet zone counts as light, as in ZXing's encoder),
// and N4 the deviation of the dark share from 50 %.
func maskPenalty(c *coding.Code) int {
	n := c.Size
	rows := make([]byte, n*n) // 1 = dark, row-major
	cols := make([]byte, n*n) // the same, column-major
	darkCount := 0
	for y := range n {
		src, row := c.Bitmap[y*c.Stride:], rows[y*n:(y+1)*n]
		for x := range row {
			v := src[x>>3] >> (7 - x&7) & 1
			row[x], cols[x*n+y] = v, v
			darkCount += int(v)
		}
	}
	score := 0
	for i := range n {
		score += linePenalty(rows[i*n:(i+1)*n]) + linePenalty(cols[i*n:(i+1)*n])
		if i+1 == n {
			break
		}
		// N2: a 2×2 block is one colour when its dark count is 0 or 4
		// (a table, not a branch: the data is random).
		top, bottom := rows[i*n:(i+1)*n], rows[(i+1)*n:(i+2)*n]
		for j := 0; j+1 < n; j++ {
			score += sameBlock[top[j]+top[j+1]+bottom[j]+bottom[j+1]]
		}
	}
	total := n * n
	return score + 10*(abs(2*darkCount-total)*10/total) // N4
}

// sameBlock is the N2 score of a 2×2 block by its number of dark modules.
var sameBlock = [5]int{3, 0, 0, 0, 3}

// linePenalty is the N1 and N3 score of one row or column (1 = dark),
// from one window w of the latest modules, newest in bit 0, so that the
// rare hits are the only branches taken. N1: a run of L ≥ 5 equal modules
// scores 3 + (L−5), that is 1 for each of its L−4 five-module windows plus
// 2 at its first one. N3: with light modules before the line and after it
// (the quiet zone), 0000 1011101 is a finder-like run with light before
// it, 1011101 0000 one with light after it, and one with both counts once.
func linePenalty(line []byte) int {
	const (
		lightBefore = 0b0000_1011101
		lightAfter  = 0b1011101_0000
		lightBoth   = 0b0000_1011101_0000
	)
	n, score := len(line), 0
	var w uint32
	for k := 0; k < n+4; k++ {
		w <<= 1
		if k < n {
			w |= uint32(line[k])
			if five := w & 0x1F; k >= 4 && (five == 0 || five == 0x1F) {
				score++ // N1
				if k == 4 || (w>>5)&1 != w&1 {
					score += 2 // N1, the run's first window
				}
			}
		}
		if w&0x7FF == lightBefore || w&0x7FF == lightAfter {
			score += 40 // N3
			if w&0x7FFF == lightBoth {
				score -= 40 // counted at its light-before window already
			}
		}
	}
	return score
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// encodeQR picks the first of payload's symbols (see symbols) whose raster
// at moduleSize pixels reads back as payload (see readsBack), and returns it
// with that raster. Every image this package draws has therefore been read
// back once; a few percent of payloads need a later mask than the first.
func encodeQR(payload string, moduleSize int) (*coding.Code, *image.Paletted, error) {
	syms, err := symbols(payload)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range syms {
		img := raster(s.Code, moduleSize)
		if readsBack(img, payload) {
			return s.Code, img, nil
		}
	}
	return nil, nil, fmt.Errorf("qris: no QR mask reads back for this payload")
}

// readsBack reports whether ZXing's QR detector and decoder — the reader
// many camera apps build on, finding the code by its finder patterns, not
// the PURE_BARCODE shortcut readQR falls back to — read img as payload,
// both scanning rows as a camera app does and with TRY_HARDER as readQR
// does (the detector stops at the first three finders it trusts, so the
// rows it scans matter). img has two colours, so every binarizer yields
// exactly its pixels (a test checks this); the bit matrix is built from
// them directly.
func readsBack(img *image.Paletted, payload string) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	bits, err := gozxing.NewBitMatrix(w, h)
	if err != nil {
		return false
	}
	row := gozxing.NewBitArray(w)
	var prev []byte
	for y := range h {
		pix := img.Pix[y*img.Stride : y*img.Stride+w]
		if !bytes.Equal(pix, prev) { // a module is many identical rows
			row.Clear()
			for x, v := range pix {
				if v == 1 {
					row.Set(x)
				}
			}
			prev = pix
		}
		bits.SetRow(y, row)
	}
	for _, hints := range []map[gozxing.DecodeHintType]any{nil, tryHarder} {
		found, err := detector.NewDetector(bits).Detect(hints)
		if err != nil {
			return false
		}
		res, err := decoder.NewDecoder().Decode(found.GetBits(), hints)
		if err != nil || res.GetText() != payload {
			return false
		}
	}
	return true
}

// tryHarder makes the finder-pattern search scan every third row.
var tryHarder = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}

// raster draws c with moduleSize pixels per module and a QuietZone margin,
// white index 0 and black index 1.
func raster(c *coding.Code, moduleSize int) *image.Paletted {
	n := (c.Size + 2*QuietZone) * moduleSize
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if !c.Black(x, y) {
				continue
			}
			x0, y0 := (x+QuietZone)*moduleSize, (y+QuietZone)*moduleSize
			for dy := range moduleSize {
				row := img.Pix[(y0+dy)*img.Stride+x0:]
				for dx := range moduleSize {
					row[dx] = 1
				}
			}
		}
	}
	return img
}

// svgCheckModule is the pixel size at which SVG verifies its mask: CSS
// scales an SVG to some pixels per module on screen and paper, and 4 px
// stands for them (PNG verifies the very size it draws).
const svgCheckModule = 4

// SVG draws payload as a QR code in pure vector form: one path with a
// rectangle per horizontal run of dark modules, crispEdges rendering, a
// white background including a QuietZone-module margin. The viewBox unit is
// one module, so CSS can scale it to any print size without blurring. It
// does not validate the payload as QRIS; callers Parse first. The mask is
// one whose svgCheckModule-pixel raster reads back (see encodeQR).
func SVG(payload string) ([]byte, error) {
	c, _, err := encodeQR(payload, svgCheckModule)
	if err != nil {
		return nil, err
	}
	n := c.Size + 2*QuietZone
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges" role="img" aria-label="QRIS">`, n, n, n*8, n*8)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; {
			if !c.Black(x, y) {
				x++
				continue
			}
			start := x
			for x < c.Size && c.Black(x, y) {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start+QuietZone, y+QuietZone, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

// PNG draws payload as a 1-bit PNG with moduleSize pixels per module (1–64)
// and a QuietZone-module white margin. Whole-pixel modules keep the edges
// sharp when printed; pick moduleSize so the image is at least ~300 px.
// The very image returned has been read back to payload (see encodeQR).
func PNG(payload string, moduleSize int) ([]byte, error) {
	if moduleSize < 1 || moduleSize > 64 {
		return nil, fmt.Errorf("qris: module size %d outside 1–64 pixels", moduleSize)
	}
	_, img, err := encodeQR(payload, moduleSize)
	if err != nil {
		return nil, err
	}
	return encodePNG(img), nil
}

// zlibWriters recycles deflate state (about 1 MB each) between images.
var zlibWriters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level: no error
	return zw
}}

// encodePNG writes a two-colour raster (index 0 white, 1 black) as a 1-bit
// greyscale PNG (PNG spec §11.2.2, colour type 0, bit depth 1; filter 0 on
// every scanline). image/png would write the same picture as a 1-bit
// palette image but reads it pixel by pixel through ColorIndexAt, which
// made PNG encoding most of the cost of drawing a code.
func encodePNG(img *image.Paletted) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		var head [8]byte
		binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
		copy(head[4:], kind)
		out.Write(head[:])
		out.Write(data)
		crc := crc32.NewIEEE()
		crc.Write(head[4:])
		crc.Write(data)
		binary.BigEndian.PutUint32(head[:4], crc.Sum32())
		out.Write(head[:4])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, greyscale; compression, filter, interlace 0
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&idat)
	line := make([]byte, 1+(w+7)/8) // filter byte 0, then 8 pixels a byte, MSB first
	var prev []byte
	for y := range h {
		pix := img.Pix[y*img.Stride : y*img.Stride+w]
		if !bytes.Equal(pix, prev) { // a module is many identical rows
			clear(line)
			for x, v := range pix {
				if v == 0 { // white is 1 in greyscale
					line[1+x/8] |= 0x80 >> (x % 8)
				}
			}
			prev = pix
		}
		zw.Write(line) // a bytes.Buffer does not fail
	}
	zw.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// dataURIModule is the module size of DataURI images: 8 px gives ~400–600 px
// for typical QRIS versions, about what Netzme's qrImage carries (guess,
// §3.12: qrImage dimensions not documented).
const dataURIModule = 8

// DataURI returns payload as "data:image/png;base64,…", the form Netzme
// returns in additionalInfo.qrImage.
func DataURI(payload string) (string, error) {
	p, err := PNG(payload, dataURIModule)
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(p), nil
}

// DecodeDataURI decodes a base64 image data URI (PNG, JPEG or GIF) and reads
// the QR code in it. It accepts surrounding whitespace and line-wrapped
// base64, as pasted or as some JSON encoders emit.
func DecodeDataURI(uri string) (string, error) {
	uri = strings.TrimSpace(uri)
	head, data, ok := strings.Cut(uri, ",")
	if !ok || !strings.HasPrefix(strings.ToLower(head), "data:image/") || !strings.HasSuffix(strings.ToLower(head), ";base64") {
		return "", fmt.Errorf("%w: not a base64 image data URI", ErrImageFormat)
	}
	data = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, data)
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		// Some encoders drop padding.
		if raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "=")); err != nil {
			return "", fmt.Errorf("%w: bad base64: %v", ErrImageFormat, err)
		}
	}
	return DecodeImage(bytes.NewReader(raw))
}

// DecodeImage reads a QR code from a PNG, JPEG or GIF image — a rendered
// code, a screenshot or a phone photo of a printed sticker — and returns its
// text exactly (no trimming, no QRIS validation: callers Parse it). It reads
// at most 25 MiB and refuses images over 40 megapixels. Errors wrap
// ErrImageFormat or ErrNoQRCode.
func DecodeImage(r io.Reader) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxImageBytes+1))
	if err != nil {
		return "", fmt.Errorf("qris: read image: %w", err)
	}
	if len(raw) > maxImageBytes {
		return "", fmt.Errorf("%w: image larger than %d MiB", ErrImageFormat, maxImageBytes>>20)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrImageFormat, err)
	}
	if cfg.Width*cfg.Height > maxImagePixels {
		return "", fmt.Errorf("%w: image of %dx%d pixels is too large", ErrImageFormat, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrImageFormat, err)
	}
	// Try the full image first; big photos sometimes only decode once
	// scaled down (sensor noise looks like modules to the binarizer).
	for _, candidate := range []image.Image{img, downscale(img, 1200)} {
		if candidate == nil {
			continue
		}
		if text, ok := readQR(candidate); ok {
			return text, nil
		}
	}
	return "", ErrNoQRCode
}

// readQR reads a QR code from img with ZXing, first as gozxing's README
// shows: the finder-pattern detector (TRY_HARDER: scan every third row) over the hybrid binarizer, which copes with uneven
// lighting, then over the global one, which copes with small or blurry
// codes. When both fail, the image may be a clean rendered code — Netzme's
// qrImage, a screenshot — whose data happens to hold a finder-like 1:1:3:1:1
// run: the detector stops at three plausible finders and can pick that run.
// PURE_BARCODE then reads the code straight off its bounding box, and the
// multi-code detector weighs every finder candidate instead of the first
// three it trusts. Reed–Solomon (and the caller's QRIS CRC) reject a wrong
// sampling, so a fallback does not turn a misread into a payload.
func readQR(img image.Image) (string, bool) {
	src := luminance(img)
	if text, ok := readDetected(gozxing.NewHybridBinarizer(src), tryHarder); ok {
		return text, true
	}
	if text, ok := readDetected(gozxing.NewGlobalHistgramBinarizer(src), tryHarder); ok {
		return text, true
	}
	if bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src)); err == nil {
		pure := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
		if res, err := qrcode.NewQRCodeReader().Decode(bmp, pure); err == nil {
			return res.GetText(), true
		}
		if res, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, tryHarder); err == nil && len(res) > 0 {
			for _, r := range res[1:] {
				if r.GetText() != res[0].GetText() {
					return "", false // two different codes: not ours to choose
				}
			}
			return res[0].GetText(), true
		}
	}
	return "", false
}

// readDetected runs the plain detector-based QR reader over bin.
func readDetected(bin gozxing.Binarizer, hints map[gozxing.DecodeHintType]any) (string, bool) {
	bmp, err := gozxing.NewBinaryBitmap(bin)
	if err != nil {
		return "", false
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}

// luminance converts img to ZXing's grey levels. Paletted and grey images
// (our PNGs, most rendered codes, downscale's output) take a fast path with
// the same values gozxing.NewLuminanceSourceFromImage computes pixel by
// pixel through image.At.
func luminance(img image.Image) gozxing.LuminanceSource {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var lum []byte
	switch m := img.(type) {
	case *image.Gray:
		if m.Stride == w && len(m.Pix) == w*h {
			lum = m.Pix // read only
			break
		}
		lum = make([]byte, 0, w*h)
		for y := range h {
			off := m.PixOffset(b.Min.X, b.Min.Y+y)
			lum = append(lum, m.Pix[off:off+w]...)
		}
	case *image.Paletted:
		var table [256]byte
		for i, c := range m.Palette {
			table[i] = zxingGrey(c)
		}
		lum = make([]byte, 0, w*h)
		for y := range h {
			off := m.PixOffset(b.Min.X, b.Min.Y+y)
			for _, p := range m.Pix[off : off+w] {
				lum = append(lum, table[p])
			}
		}
	default:
		return gozxing.NewLuminanceSourceFromImage(img)
	}
	return &greySource{LuminanceSourceBase: gozxing.LuminanceSourceBase{Width: w, Height: h}, lum: lum}
}

// zxingGrey is gozxing's grey level of one colour: green-weighted, alpha
// composed over white.
func zxingGrey(c color.Color) byte {
	r, g, b, a := c.RGBA()
	lum := (r + 2*g + b) * 255 / (4 * 0xffff)
	return byte((lum*a + (0xffff-a)*255) / 0xffff)
}

// greySource is a gozxing.LuminanceSource over a row-major grey buffer.
type greySource struct {
	gozxing.LuminanceSourceBase
	lum []byte
}

func (s *greySource) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= s.Height {
		return row, fmt.Errorf("qris: row %d outside the image", y)
	}
	if len(row) < s.Width {
		row = make([]byte, s.Width)
	}
	copy(row, s.lum[y*s.Width:(y+1)*s.Width])
	return row, nil
}

func (s *greySource) GetMatrix() []byte               { return s.lum }
func (s *greySource) Invert() gozxing.LuminanceSource { return gozxing.LuminanceSourceInvert(s) }
func (s *greySource) String() string                  { return gozxing.LuminanceSourceString(s) }

// downscale returns img shrunk by an integer box filter so its longer side is
// at most limit pixels, or nil when it is already small enough.
func downscale(img image.Image, limit int) image.Image {
	b := img.Bounds()
	f := (max(b.Dx(), b.Dy()) + limit - 1) / limit
	if f < 2 {
		return nil
	}
	w, h := b.Dx()/f, b.Dy()/f
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var sum, cnt uint32
			for dy := range f {
				for dx := range f {
					g := color.GrayModel.Convert(img.At(b.Min.X+x*f+dx, b.Min.Y+y*f+dy)).(color.Gray)
					sum += uint32(g.Y)
					cnt++
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / cnt)
		}
	}
	return out
}
