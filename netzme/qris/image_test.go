package qris

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// payloads used by the image tests: the spec's static example, a dynamic one
// (byte mode: has lowercase), and one near the 512-character limit.
func imagePayloads(t *testing.T) map[string]string {
	t.Helper()
	dyn, err := Dynamic(exampleMerchant, 2_500_000, "inv-2024-0001")
	if err != nil {
		t.Fatal(err)
	}
	long := recrc(example[:len(example)-8] + "8099" + "0095" + strings.Repeat("x", 95) + "8199" + "0095" + strings.Repeat("y", 95) + "8299" + "0095" + strings.Repeat("Z", 95) + "6304XXXX")
	if _, err := Parse(long); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"static": example, "dynamic": dyn, "long": long}
}

func TestPNGDecodesToPayload(t *testing.T) {
	t.Parallel()
	for name, payload := range imagePayloads(t) {
		for _, module := range []int{2, 4, 8} {
			t.Run(fmt.Sprintf("%s/%dpx", name, module), func(t *testing.T) {
				b, err := PNG(payload, module)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				grid := pngGrid(t, img, module)
				if w := img.Bounds().Dx(); w != len(grid)*module {
					t.Errorf("width %d is not a whole number of %d-px modules", w, module)
				}
				got, err := DecodeImage(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if got != payload {
					t.Errorf("decoded %q, want %q", got, payload)
				}
			})
		}
	}
}

// pngGrid samples the centre of every module and checks that each module is
// one flat colour and that the quiet zone is white.
func pngGrid(t *testing.T, img image.Image, module int) [][]bool {
	t.Helper()
	n := img.Bounds().Dx() / module
	grid := make([][]bool, n)
	for y := range n {
		grid[y] = make([]bool, n)
		for x := range n {
			dark := isDark(img.At(x*module+module/2, y*module+module/2))
			for _, c := range [][2]int{{0, 0}, {module - 1, module - 1}} {
				if isDark(img.At(x*module+c[0], y*module+c[1])) != dark {
					t.Fatalf("module (%d,%d) is not a solid %d-px square", x, y, module)
				}
			}
			grid[y][x] = dark
			inQuiet := x < QuietZone || y < QuietZone || x >= n-QuietZone || y >= n-QuietZone
			if inQuiet && dark {
				t.Fatalf("dark module (%d,%d) inside the %d-module quiet zone", x, y, QuietZone)
			}
		}
	}
	return grid
}

func isDark(c color.Color) bool { return color.GrayModel.Convert(c).(color.Gray).Y < 128 }

func TestSVGMatchesPNG(t *testing.T) {
	t.Parallel()
	for name, payload := range imagePayloads(t) {
		t.Run(name, func(t *testing.T) {
			svg, err := SVG(payload)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				XMLName        xml.Name `xml:"svg"`
				ViewBox        string   `xml:"viewBox,attr"`
				ShapeRendering string   `xml:"shape-rendering,attr"`
				Rect           struct {
					Width  string `xml:"width,attr"`
					Height string `xml:"height,attr"`
					Fill   string `xml:"fill,attr"`
				} `xml:"rect"`
				Path struct {
					D    string `xml:"d,attr"`
					Fill string `xml:"fill,attr"`
				} `xml:"path"`
			}
			if err := xml.Unmarshal(svg, &doc); err != nil {
				t.Fatalf("SVG is not well-formed XML: %v", err)
			}
			if doc.XMLName.Space != "http://www.w3.org/2000/svg" {
				t.Errorf("namespace = %q", doc.XMLName.Space)
			}
			if doc.ShapeRendering != "crispEdges" {
				t.Errorf("shape-rendering = %q, want crispEdges", doc.ShapeRendering)
			}
			if strings.Contains(string(svg), "<image") {
				t.Error("SVG embeds a raster image")
			}
			// The PNG drawn at the size SVG checks its mask at: same modules.
			b, err := PNG(payload, svgCheckModule)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			want := pngGrid(t, img, svgCheckModule)
			n := len(want)
			if doc.ViewBox != fmt.Sprintf("0 0 %d %d", n, n) {
				t.Errorf("viewBox = %q, want the %d-module grid including quiet zone", doc.ViewBox, n)
			}
			if doc.Rect.Width != strconv.Itoa(n) || doc.Rect.Height != strconv.Itoa(n) || doc.Rect.Fill != "#fff" {
				t.Errorf("background rect = %+v, want white %dx%d", doc.Rect, n, n)
			}
			got := svgGrid(t, doc.Path.D, n)
			for y := range n {
				for x := range n {
					if got[y][x] != want[y][x] {
						t.Fatalf("module (%d,%d): SVG dark=%v, PNG dark=%v", x, y, got[y][x], want[y][x])
					}
				}
			}
		})
	}
}

var runRE = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// svgGrid paints the runs of an SVG path onto an n×n module grid; runs may
// not overlap, leave the grid, or be anything but one-module-high rectangles.
func svgGrid(t *testing.T, d string, n int) [][]bool {
	t.Helper()
	grid := make([][]bool, n)
	for i := range grid {
		grid[i] = make([]bool, n)
	}
	for d != "" {
		m := runRE.FindStringSubmatch(d)
		if m == nil {
			t.Fatalf("unexpected path data at %.30q", d)
		}
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		back, _ := strconv.Atoi(m[4])
		if w != back || w < 1 || y >= n || x+w > n {
			t.Fatalf("bad run %q", m[0])
		}
		for i := x; i < x+w; i++ {
			if grid[y][i] {
				t.Fatalf("runs overlap at (%d,%d)", i, y)
			}
			grid[y][i] = true
		}
		d = d[len(m[0]):]
	}
	return grid
}

func TestDataURIRoundTrip(t *testing.T) {
	t.Parallel()
	for name, payload := range imagePayloads(t) {
		t.Run(name, func(t *testing.T) {
			uri, err := DataURI(payload)
			if err != nil {
				t.Fatal(err)
			}
			const prefix = "data:image/png;base64,"
			if !strings.HasPrefix(uri, prefix) {
				t.Fatalf("DataURI = %.40q…, want prefix %q", uri, prefix)
			}
			raw, err := base64.StdEncoding.DecodeString(uri[len(prefix):])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			// As pasted from JSON with line breaks.
			wrapped := "\n" + uri[:100] + "\n" + uri[100:] + " "
			for _, in := range []string{uri, wrapped} {
				got, err := DecodeDataURI(in)
				if err != nil {
					t.Fatal(err)
				}
				if got != payload {
					t.Errorf("decoded %q, want %q", got, payload)
				}
			}
		})
	}
}

// TestDecodePhotoOfSticker imitates a phone photo of a printed sticker: the
// code is scaled by a non-integer factor, rotated, lit unevenly, noisy,
// placed off-centre on a larger background and saved as lossy JPEG.
func TestDecodePhotoOfSticker(t *testing.T) {
	t.Parallel()
	dyn, err := Dynamic(exampleMerchant, 2_500_000, "INV-0001")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                string
		payload             string
		module              int
		scale, angle, noise float64
		canvas, offX, offY  int
		jpegQuality         int
	}{
		{"slight tilt", example, 4, 1.37, 7, 18, 900, 120, 80, 75},
		{"other way, dynamic", dyn, 3, 2.1, -12, 25, 1100, 60, 200, 60},
		{"big photo needs downscale", example, 8, 3.3, 4, 30, 3000, 500, 400, 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := PNG(tt.payload, tt.module)
			if err != nil {
				t.Fatal(err)
			}
			code, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			photo := fakePhoto(code, tt.scale, tt.angle, tt.noise, tt.canvas, tt.offX, tt.offY)
			var jb bytes.Buffer
			if err := jpeg.Encode(&jb, photo, &jpeg.Options{Quality: tt.jpegQuality}); err != nil {
				t.Fatal(err)
			}
			got, err := DecodeImage(&jb)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.payload {
				t.Errorf("decoded %q, want %q", got, tt.payload)
			}
		})
	}
}

func fakePhoto(code image.Image, scale, angleDeg, noise float64, canvas, offX, offY int) *image.RGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	out := image.NewRGBA(image.Rect(0, 0, canvas, canvas))
	cb := code.Bounds()
	half := float64(cb.Dx()) * scale / 2
	cx, cy := float64(offX)+half, float64(offY)+half
	sin, cos := math.Sincos(angleDeg * math.Pi / 180)
	for y := range canvas {
		for x := range canvas {
			// Inverse map: rotate back around the code centre, then unscale.
			dx, dy := float64(x)-cx, float64(y)-cy
			sx := (cos*dx+sin*dy)/scale + float64(cb.Dx())/2
			sy := (-sin*dx+cos*dy)/scale + float64(cb.Dy())/2
			v := 150.0 // grey table under the sticker
			if sx >= 0 && sy >= 0 && sx < float64(cb.Dx()-1) && sy < float64(cb.Dy()-1) {
				v = bilinear(code, sx, sy)*0.8 + 30 // paper is not pure white, ink not pure black
			}
			v *= 0.75 + 0.35*float64(x+y)/float64(2*canvas) // uneven light
			v += rng.NormFloat64() * noise
			g := uint8(math.Max(0, math.Min(255, v)))
			out.Pix[y*out.Stride+x*4+0] = g
			out.Pix[y*out.Stride+x*4+1] = g
			out.Pix[y*out.Stride+x*4+2] = uint8(math.Max(0, math.Min(255, v*0.95)))
			out.Pix[y*out.Stride+x*4+3] = 255
		}
	}
	return out
}

func bilinear(img image.Image, x, y float64) float64 {
	x0, y0 := int(x), int(y)
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(x, y int) float64 { return float64(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y) }
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy
}

func TestDecodeFailures(t *testing.T) {
	t.Parallel()
	blank := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	var blankPNG bytes.Buffer
	if err := png.Encode(&blankPNG, blank); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		uri  string
		want error
	}{
		{"not an image", "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("hello")), ErrImageFormat},
		{"image without QR", "data:image/png;base64," + base64.StdEncoding.EncodeToString(blankPNG.Bytes()), ErrNoQRCode},
		{"not a data URI", "https://example.com/qr.png", ErrImageFormat},
		{"not base64", "data:image/png;base64,@@@@", ErrImageFormat},
		{"not base64 marked", "data:image/png," + base64.StdEncoding.EncodeToString(blankPNG.Bytes()), ErrImageFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDataURI(tt.uri)
			if !errors.Is(err, tt.want) {
				t.Errorf("DecodeDataURI = %q, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestImageRefusesBadInput(t *testing.T) {
	t.Parallel()
	if _, err := PNG(example, 0); err == nil {
		t.Error("PNG accepted module size 0")
	}
	if _, err := PNG(example, 65); err == nil {
		t.Error("PNG accepted module size 65")
	}
	if _, err := SVG(""); err == nil {
		t.Error("SVG accepted an empty payload")
	}
	if _, err := DataURI(strings.Repeat("A", MaxLen+1)); err == nil {
		t.Error("DataURI accepted a payload over 512 characters")
	}
}
