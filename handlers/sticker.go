package handlers

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // staff upload what their phone or scanner makes
	_ "image/jpeg"
	_ "image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	_ "golang.org/x/image/webp" // Android cameras and chat apps save WebP
)

// The sticker check decodes untrusted uploads. A small file can declare a
// huge image (a 154 KB PNG of 40 MP took ~340 MB to decode), so the check
// reads the header first, refuses what would not fit, decodes at most
// stickerDecoders images at a time and reads the QR from a scaled-down copy.
const (
	// stickerMaxPixels refuses larger images outright: a phone photo of a
	// sticker is 12 MP, some phones save 24 MP.
	stickerMaxPixels = 24_000_000
	// stickerMaxDecodedBytes bounds the memory the decoded image may take,
	// estimated from the header (format, colour model, JPEG sampling and
	// progressive mode). With the scaled copy and the QR reader a decode
	// stays under ~100 MB.
	stickerMaxDecodedBytes = 64 << 20
	// stickerReadPixels is the size of the copy the QR is read from: a
	// sticker in a photo is readable at ~2.5 MP, and the reader's own buffers
	// grow with the image.
	stickerReadPixels = 2_500_000
	// stickerRetryPixels is the second, smaller try: sensor noise in a big
	// photo sometimes looks like modules until the image is shrunk further.
	stickerRetryPixels = 1_000_000
	// stickerDecoders is how many sticker images may be decoded at once;
	// further uploads are told to try again (503) instead of queueing memory.
	stickerDecoders = 2
)

var (
	errStickerFormat = errors.New("sticker: unsupported or damaged image")
	errStickerNoQR   = errors.New("sticker: no readable QR code")
)

// stickerTooLarge says why an image is refused before decoding: its size in
// pixels and the largest size accepted for an image of its kind.
type stickerTooLarge struct {
	Width, Height int
	LimitMP       int
}

func (e *stickerTooLarge) Error() string {
	return fmt.Sprintf("sticker: image of %dx%d pixels is over the %d MP limit", e.Width, e.Height, e.LimitMP)
}

// stickerImageSize reads only the header of the image in rs and returns its
// dimensions, or *stickerTooLarge when decoding it would take more than
// stickerMaxPixels or stickerMaxDecodedBytes. rs is left at its start.
func stickerImageSize(rs io.ReadSeeker) (image.Config, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(rs))
	if err != nil {
		return cfg, fmt.Errorf("%w: %v", errStickerFormat, err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return cfg, err
	}
	perPixel := 4.0 // unknown models: assume 8-bit RGBA
	if format == "jpeg" {
		if perPixel, err = jpegBytesPerPixel(rs, cfg.ColorModel); err != nil {
			return cfg, fmt.Errorf("%w: %v", errStickerFormat, err)
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return cfg, err
		}
	} else {
		perPixel = modelBytesPerPixel(format, cfg.ColorModel)
	}
	limit := min(float64(stickerMaxPixels), float64(stickerMaxDecodedBytes)/perPixel)
	if w, h := int64(cfg.Width), int64(cfg.Height); w <= 0 || h <= 0 || float64(w*h) > limit {
		return cfg, &stickerTooLarge{Width: cfg.Width, Height: cfg.Height, LimitMP: max(1, int(limit/1_000_000))}
	}
	return cfg, nil
}

// modelBytesPerPixel estimates what the standard decoders allocate per pixel
// for an image of the given format and colour model (the image itself plus
// decoder buffers that grow with it).
func modelBytesPerPixel(format string, m color.Model) float64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		if format == "webp" {
			return 8 // VP8L keeps an ARGB buffer next to the NRGBA image
		}
		return 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	case color.YCbCrModel:
		return 2 // VP8 4:2:0 planes plus per-row state
	case color.NYCbCrAModel:
		return 3
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// jpegBytesPerPixel walks the JPEG markers up to the frame header and
// estimates the decoder's memory per pixel: the sample planes (their
// chroma subsampling read from the header), four times that again for a
// progressive image (image/jpeg keeps every coefficient until the last
// scan), and the 4-byte RGBA or CMYK image that RGB and four-component
// files are converted to (m is the colour model DecodeConfig reported).
func jpegBytesPerPixel(r io.Reader, m color.Model) (float64, error) {
	br := bufio.NewReader(r)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return 0, errors.New("jpeg: no SOI marker")
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != 0xFF {
			continue
		}
		marker, err := br.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = br.ReadByte()
		}
		if err != nil {
			return 0, err
		}
		if marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8) {
			continue // stuffed byte, TEM, RSTn, SOI: no length
		}
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return 0, err
		}
		n := int(binary.BigEndian.Uint16(l[:])) - 2
		if n < 0 {
			return 0, errors.New("jpeg: bad segment length")
		}
		isSOF := marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
		if !isSOF {
			if _, err := br.Discard(n); err != nil {
				return 0, err
			}
			continue
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(br, seg); err != nil {
			return 0, err
		}
		if len(seg) < 6 {
			return 0, errors.New("jpeg: short frame header")
		}
		nc := int(seg[5])
		if nc < 1 || len(seg) < 6+3*nc {
			return 0, errors.New("jpeg: bad component count")
		}
		hmax, vmax := 1, 1
		for i := range nc {
			hv := seg[6+3*i+1]
			hmax, vmax = max(hmax, int(hv>>4)), max(vmax, int(hv&0x0F))
		}
		var planes float64
		for i := range nc {
			hv := seg[6+3*i+1]
			planes += float64(max(1, int(hv>>4))*max(1, int(hv&0x0F))) / float64(hmax*vmax)
		}
		perPixel := planes
		if marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE {
			perPixel += 4 * planes // one int32 per coefficient
		}
		if nc == 4 || m == color.RGBAModel {
			perPixel += 4
		}
		return perPixel + 0.1, nil // rounding of partial MCUs
	}
}

// readSticker decodes the image in r (already size-checked) and reads the QR
// code in it from a grey copy of at most stickerReadPixels, then from a
// smaller one. The full-size image is dropped before the QR reader runs.
func readSticker(r io.Reader) (string, error) {
	img, _, err := image.Decode(bufio.NewReader(r))
	if err != nil {
		return "", fmt.Errorf("%w: %v", errStickerFormat, err)
	}
	// img is not used after this line, so the collector may take the
	// full-size image while the reader works on the copy.
	g := shrinkGray(img, stickerReadPixels)
	if text, ok := readQR(g); ok {
		return text, nil
	}
	if small := shrinkGray(g, stickerRetryPixels); small != g {
		if text, ok := readQR(small); ok {
			return text, nil
		}
	}
	return "", errStickerNoQR
}

// readQR runs the ZXing QR reader over g's luminance with both binarizers:
// the hybrid one copes with uneven light, the global one with small codes.
func readQR(g *image.Gray) (string, bool) {
	b := g.Bounds()
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.Stride, b.Dy(), 0, 0, b.Dx(), b.Dy(), false)
	if err != nil {
		return "", false
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	for _, bin := range []gozxing.Binarizer{gozxing.NewHybridBinarizer(src), gozxing.NewGlobalHistgramBinarizer(src)} {
		bmp, err := gozxing.NewBinaryBitmap(bin)
		if err != nil {
			continue
		}
		if res, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err == nil {
			return res.GetText(), true
		}
	}
	return "", false
}

// shrinkGray returns img as an 8-bit grey image of at most limit pixels,
// averaging f×f blocks (a box filter; f the smallest integer that fits).
// Transparent pixels count as white paper. A *image.Gray already small
// enough is returned as it is.
func shrinkGray(img image.Image, limit int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	f := 1
	for (w/f)*(h/f) > limit {
		f++
	}
	if g, ok := img.(*image.Gray); ok && f == 1 && g.Rect.Min == (image.Point{}) && g.Stride == w {
		return g
	}
	luma := lumaFunc(img)
	ow, oh := w/f, h/f
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	n := uint32(f * f)
	for y := range oh {
		for x := range ow {
			var sum uint32
			for dy := range f {
				for dx := range f {
					sum += uint32(luma(b.Min.X+x*f+dx, b.Min.Y+y*f+dy))
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / n)
		}
	}
	return out
}

// lumaFunc returns a per-pixel luminance reader for img, reading the pixel
// buffers directly for the types the decoders produce (img.At would box
// every pixel into an interface).
func lumaFunc(img image.Image) func(x, y int) uint8 {
	switch m := img.(type) {
	case *image.Gray:
		return func(x, y int) uint8 { return m.Pix[m.PixOffset(x, y)] }
	case *image.YCbCr:
		return func(x, y int) uint8 { return m.Y[m.YOffset(x, y)] }
	case *image.NYCbCrA:
		return func(x, y int) uint8 { return overWhite(m.Y[m.YOffset(x, y)], m.A[m.AOffset(x, y)]) }
	case *image.Paletted:
		lut := make([]uint8, 256)
		for i, c := range m.Palette {
			lut[i] = grayOf(c)
		}
		return func(x, y int) uint8 { return lut[m.Pix[m.PixOffset(x, y)]] }
	case *image.NRGBA:
		return func(x, y int) uint8 {
			p := m.Pix[m.PixOffset(x, y):]
			return overWhite(lum8(p[0], p[1], p[2]), p[3])
		}
	case *image.RGBA:
		return func(x, y int) uint8 {
			p := m.Pix[m.PixOffset(x, y):]
			// premultiplied: add the white that shows through
			return lum8(p[0], p[1], p[2]) + (255 - p[3])
		}
	}
	return func(x, y int) uint8 { return grayOf(img.At(x, y)) }
}

// grayOf is c's luminance over white paper.
func grayOf(c color.Color) uint8 {
	r, g, b, a := c.RGBA() // premultiplied, 16-bit
	l := (19595*r + 38470*g + 7471*b + 1<<15) >> 24
	return uint8(l + (0xFFFF-a)>>8)
}

// lum8 is the Rec. 601 luma of an 8-bit RGB pixel (as image/color uses).
func lum8(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// overWhite composes luminance l with alpha a over white.
func overWhite(l, a uint8) uint8 {
	return uint8((uint32(l)*uint32(a) + 255*(255-uint32(a)) + 127) / 255)
}
