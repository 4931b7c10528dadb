package handlers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"

	"lapak/db"
	"lapak/netzme/qris"
)

// pngHeader is the start of a PNG that declares w×h pixels of the given bit
// depth and colour type and then ends: enough for image.DecodeConfig, far
// too little to decode.
func pngHeader(w, h uint32, depth, colorType byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// jpegHeader is SOI and a frame header (SOF0 baseline or SOF2 progressive)
// for w×h pixels with the given per-component sampling factors (0x22 = 2×2).
func jpegHeader(w, h uint16, progressive bool, sampling ...byte) []byte {
	sof := []byte{0xFF, 0xC0}
	if progressive {
		sof[1] = 0xC2
	}
	seg := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(len(sampling))}
	for i, s := range sampling {
		seg = append(seg, byte(i+1), s, 0)
	}
	out := []byte{0xFF, 0xD8}
	out = append(out, sof...)
	out = append(out, byte((len(seg)+2)>>8), byte(len(seg)+2))
	out = append(out, seg...)
	// A start of scan: DecodeConfig stops there (without a JFIF marker it
	// reads on past the frame header).
	return append(out, 0xFF, 0xDA, 0x00, 0x02)
}

// The header alone decides: what would take too much memory to decode is
// refused, with the largest size accepted for that kind of image.
func TestStickerImageSizeLimits(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		limitMP int // 0 = accepted
	}{
		{"12 MP phone JPEG (4:2:0)", jpegHeader(4000, 3000, false, 0x22, 0x11, 0x11), 0},
		{"24 MP phone JPEG (4:2:0)", jpegHeader(6000, 4000, false, 0x22, 0x11, 0x11), 0},
		{"25 MP JPEG: over the pixel limit", jpegHeader(6250, 4000, false, 0x22, 0x11, 0x11), 24},
		{"21 MP JPEG 4:4:4", jpegHeader(5600, 3750, false, 0x11, 0x11, 0x11), 0},
		{"24 MP JPEG 4:4:4: 72 MB of planes", jpegHeader(6000, 4000, false, 0x11, 0x11, 0x11), 21},
		{"12 MP progressive JPEG keeps every coefficient", jpegHeader(4000, 3000, true, 0x22, 0x11, 0x11), 8},
		{"24 MP 1-bit QR PNG", pngHeader(6000, 4000, 1, 0), 0},
		{"16 MP RGB PNG", pngHeader(4000, 4000, 8, 2), 0},
		{"20 MP RGB PNG: 80 MB decoded", pngHeader(5000, 4000, 8, 2), 16},
		{"9 MP 16-bit RGBA PNG: 72 MB decoded", pngHeader(3000, 3000, 16, 6), 8},
		{"400 MP PNG of a few bytes", pngHeader(20000, 20000, 8, 0), 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stickerImageSize(bytes.NewReader(tt.data))
			var tl *stickerTooLarge
			switch {
			case tt.limitMP == 0 && err != nil:
				t.Errorf("refused: %v", err)
			case tt.limitMP != 0 && !errors.As(err, &tl):
				t.Errorf("err = %v, want too large", err)
			case tt.limitMP != 0 && tl.LimitMP != tt.limitMP:
				t.Errorf("limit %d MP, want %d MP", tl.LimitMP, tt.limitMP)
			}
		})
	}
}

// A file that declares 20000×20000 pixels is refused from its header, with
// the sizes in the message; it is never decoded (it holds no pixel data, so a
// decode would have said "cannot be read" instead).
func TestStickerTooLargeRefusedWithoutDecoding(t *testing.T) {
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleCashier)
	res := c.upload("/qris/check", "image", "stiker.png", pngHeader(20000, 20000, 8, 2))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := res.text("error-image"); !strings.Contains(got, "terlalu besar") {
		t.Errorf("message %q, want the Indonesian 'terlalu besar'", got)
	}
	if got := res.text("image-toolarge"); !strings.Contains(got, "20.000 × 20.000") || !strings.Contains(got, "16 megapiksel") {
		t.Errorf("detail %q, want the size and the 16 MP limit of an RGB PNG", got)
	}
}

// Two decodes run at a time; a third upload meanwhile is told to try again
// (503 with Retry-After), and works once a slot is free.
func TestStickerThirdConcurrentDecodeRefused(t *testing.T) {
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleCashier)
	ours, _ := qris.PNG(m.demo.StaticQRIS, 8)
	// Two decodes in progress hold both slots.
	for range stickerDecoders {
		m.handler.stickerSlots <- struct{}{}
	}
	res := c.upload("/qris/check", "image", "stiker.png", ours)
	res.wantStatus(t, http.StatusServiceUnavailable)
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if got := res.text("error-image"); !strings.Contains(got, "Coba lagi") {
		t.Errorf("busy message %q, want 'Coba lagi'", got)
	}
	<-m.handler.stickerSlots // one decode finished
	res = c.upload("/qris/check", "image", "stiker.png", ours)
	res.wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=sticker-verdict]`).AttrOr("data-verdict", ""); got != "ours" {
		t.Errorf("verdict %q after a slot freed, want ours", got)
	}
	if n := len(m.handler.stickerSlots); n != stickerDecoders-1 {
		t.Errorf("%d slots held after the decode, want %d (the slot is given back)", n, stickerDecoders-1)
	}
}

// A phone photo saved as lossy WebP reads back to the exact payload, and the
// check names the shop it pays (another shop here: a swapped sticker).
func TestStickerWebPPhotoReadsBack(t *testing.T) {
	want, err := qris.Static(stickerFixtureMerchant)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile("testdata/sticker.webp")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readSticker(bytes.NewReader(photo)); err != nil || got != want {
		t.Fatalf("read %q, %v; want %q", got, err, want)
	}
	m := newMoneyApp(t)
	c, _, _ := m.loginAs(t, db.RoleCashier)
	res := c.upload("/qris/check", "image", "stiker.webp", photo)
	res.wantStatus(t, http.StatusOK)
	if got := res.doc.Find(`[data-testid=sticker-verdict]`).AttrOr("data-verdict", ""); got != "foreign" {
		t.Errorf("verdict %q, want foreign (the photo is another shop's sticker)", got)
	}
	if got := res.doc.Find(`[data-testid=qris-nmid]`).Last().Text(); got != stickerFixtureMerchant.NMID {
		t.Errorf("NMID read %q, want %q", got, stickerFixtureMerchant.NMID)
	}
}

// The largest image the limits let through costs less than 100 MB to check,
// counting every byte allocated (garbage included), and its code still reads.
func TestStickerDecodeMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 16 MP image")
	}
	payload, _ := qris.Static(stickerFixtureMerchant)
	code, _ := qris.PNG(payload, 20)
	qr, _ := png.Decode(bytes.NewReader(code))
	// An 8-bit RGB PNG just under its 16 MP limit, a photo-sized code in it.
	img := image.NewNRGBA(image.Rect(0, 0, 4800, 3480))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.NRGBA{200, 190, 170, 255}), image.Point{}, draw.Src)
	draw.Draw(img, qr.Bounds().Add(image.Pt(1500, 900)), qr, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	// A 24 MP JPEG (4:2:0, as phones save) at the pixel limit.
	var jbuf bytes.Buffer
	jimg := image.NewRGBA(image.Rect(0, 0, 6000, 4000))
	draw.Draw(jimg, jimg.Bounds(), image.NewUniform(color.RGBA{200, 190, 170, 255}), image.Point{}, draw.Src)
	draw.Draw(jimg, qr.Bounds().Add(image.Pt(1500, 900)), qr, image.Point{}, draw.Src)
	if err := jpeg.Encode(&jbuf, jimg, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	img, jimg = nil, nil
	for name, data := range map[string][]byte{"png": buf.Bytes(), "jpeg": jbuf.Bytes()} {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := bytes.NewReader(data)
		if _, err := stickerImageSize(r); err != nil {
			t.Fatalf("%s: refused: %v", name, err)
		}
		got, err := readSticker(r)
		runtime.ReadMemStats(&after)
		if err != nil || got != payload {
			t.Errorf("%s: read %q, %v", name, got, err)
		}
		if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb >= 100 {
			t.Errorf("%s: checking the largest accepted image allocated %d MB, want < 100", name, mb)
		} else {
			t.Logf("%s: %d MB allocated", name, mb)
		}
	}
}
