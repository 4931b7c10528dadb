package handlers

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/http"
	"sync"
)

// The "LUNAS" chime of counter mode: two rising tones, made here rather than
// shipped or fetched (nothing is loaded from elsewhere at run time). 8-bit
// mono PCM at 16 kHz, about 0.45 s, ~7 KB.

var (
	chimeOnce sync.Once
	chimeWAV  []byte
)

const chimeRate = 16000

// chime renders the WAV once.
func chime() []byte {
	chimeOnce.Do(func() {
		var pcm []byte
		for _, tone := range []struct {
			hz      float64
			seconds float64
		}{{880, 0.15}, {1320, 0.30}} {
			n := int(tone.seconds * chimeRate)
			for i := range n {
				t := float64(i) / chimeRate
				// A short attack and an exponential decay: a bell, not a beep.
				env := math.Min(1, t/0.005) * math.Exp(-t*6)
				s := 0.6 * env * (math.Sin(2*math.Pi*tone.hz*t) + 0.3*math.Sin(4*math.Pi*tone.hz*t))
				pcm = append(pcm, byte(128+int(math.Max(-127, math.Min(127, s*127)))))
			}
		}
		var b bytes.Buffer
		b.WriteString("RIFF")
		binary.Write(&b, binary.LittleEndian, uint32(36+len(pcm)))
		b.WriteString("WAVEfmt ")
		binary.Write(&b, binary.LittleEndian, uint32(16))        // fmt chunk size
		binary.Write(&b, binary.LittleEndian, uint16(1))         // PCM
		binary.Write(&b, binary.LittleEndian, uint16(1))         // mono
		binary.Write(&b, binary.LittleEndian, uint32(chimeRate)) // sample rate
		binary.Write(&b, binary.LittleEndian, uint32(chimeRate)) // byte rate (1 byte a sample)
		binary.Write(&b, binary.LittleEndian, uint16(1))         // block align
		binary.Write(&b, binary.LittleEndian, uint16(8))         // bits per sample
		b.WriteString("data")
		binary.Write(&b, binary.LittleEndian, uint32(len(pcm)))
		b.Write(pcm)
		chimeWAV = b.Bytes()
	})
	return chimeWAV
}

// lunasSound is GET /kasir/lunas.wav.
func (h *Handler) lunasSound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Write(chime())
}
