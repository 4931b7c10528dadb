package qris

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // DecodeImage accepts what staff may upload
	_ "image/jpeg"
	"image/png"
	"io"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"rsc.io/qr"
)

// QuietZone is the blank margin, in modules, that every image keeps around
// the code; QR readers need 4 modules to find the finder patterns.
const QuietZone = 4

// ecLevel is error correction M (~15 % recoverable): qris.md sets no level,
// and M is the usual choice for printed payment codes (guess; not in spec).
const ecLevel = qr.M

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

func encodeQR(payload string) (*qr.Code, error) {
	if payload == "" {
		return nil, fmt.Errorf("qris: nothing to encode")
	}
	if len(payload) > MaxLen {
		return nil, fmt.Errorf("qris: payload has %d characters, at most %d allowed", len(payload), MaxLen)
	}
	c, err := qr.Encode(payload, ecLevel)
	if err != nil {
		return nil, fmt.Errorf("qris: encode QR: %w", err)
	}
	return c, nil
}

// SVG draws payload as a QR code in pure vector form: one path with a
// rectangle per horizontal run of dark modules, crispEdges rendering, a
// white background including a QuietZone-module margin. The viewBox unit is
// one module, so CSS can scale it to any print size without blurring. It
// does not validate the payload as QRIS; callers Parse first.
func SVG(payload string) ([]byte, error) {
	c, err := encodeQR(payload)
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
func PNG(payload string, moduleSize int) ([]byte, error) {
	if moduleSize < 1 || moduleSize > 64 {
		return nil, fmt.Errorf("qris: module size %d outside 1–64 pixels", moduleSize)
	}
	c, err := encodeQR(payload)
	if err != nil {
		return nil, err
	}
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
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("qris: encode PNG: %w", err)
	}
	return b.Bytes(), nil
}

// dataURIModule is the module size of DataURI images: 8 px gives ~400–600 px
// for typical QRIS versions, about what Netzme's qrImage carries (guess,
// netzme-vsnap.md §3.12: qrImage dimensions not documented).
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

// readQR runs the ZXing QR reader with both binarizers: the hybrid one copes
// with uneven lighting, the global one with small or blurry codes.
func readQR(img image.Image) (string, bool) {
	src := gozxing.NewLuminanceSourceFromImage(img)
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	for _, bin := range []gozxing.Binarizer{gozxing.NewHybridBinarizer(src), gozxing.NewGlobalHistgramBinarizer(src)} {
		bmp, err := gozxing.NewBinaryBitmap(bin)
		if err != nil {
			continue
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
		if err == nil {
			return res.GetText(), true
		}
	}
	return "", false
}

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
