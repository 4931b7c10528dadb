package sandbox

import (
	"encoding/json"
	"testing"
)

// The number rewrites spec §2.7 verified against tdewolff/minify v2.12.4.
func TestMinifyNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1000": "1e3", "10000": "1e4", "50000": "5e4", "1000000": "1e6", "1.50": "1.5", "1.0": "1", "0.0": "0",
		"0": "0", "10": "10", "100": "100", "600": "600", "3600": "3600", "-1000": "-1e3", "12.25": "12.25",
	} {
		if got := minifyNumber(in); got != want {
			t.Errorf("minifyNumber(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestNetzmeMinifyLeavesStringsAlone(t *testing.T) {
	t.Parallel()
	in := `{ "a" : "1000 \" 1.50", "b": [1000, 0, 2.50], "c": {"d": "x"} }`
	want := `{"a":"1000 \" 1.50","b":[1e3,0,2.5],"c":{"d":"x"}}`
	if got := string(netzmeMinify([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Bodies without such numbers hash exactly as sent.
	plain := `{"amount":{"value":"50000.00","currency":"IDR"},"commissionPercentage":0}`
	if got := string(netzmeMinify([]byte(plain))); got != plain {
		t.Errorf("plain body changed: %s", got)
	}
}

func FuzzNetzmeMinify(f *testing.F) {
	f.Add(`{"a":1000,"b":"1000","c":[1.50,-0.0,3e5]}`)
	f.Add(`[0,10,100,"\\\"",{"x":null}]`)
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		out := netzmeMinify([]byte(in))
		if !json.Valid(out) {
			t.Fatalf("minified %q to invalid JSON %q", in, out)
		}
		var a, b any
		json.Unmarshal([]byte(in), &a)
		json.Unmarshal(out, &b)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("minify changed the value: %s -> %s", ja, jb)
		}
	})
}
