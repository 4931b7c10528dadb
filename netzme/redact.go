package netzme

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Redacted replaces secret values in bodies handed to the Observer.
const Redacted = "[redacted]"

// secretKeys are JSON keys (compared case-insensitively, since Netzme's Go
// gateway matches keys that way, §2.12) whose values must never be logged:
// the PIN hash can be brute-forced offline (6 digits), tokens are bearer
// credentials.
var secretKeys = map[string]bool{
	"pin":                 true,
	"accesstoken":         true,
	"refreshtoken":        true,
	"clientsecret":        true,
	"client_secret":       true,
	"privatekey":          true,
	"private_key":         true,
	"password":            true,
	"token":               true,
	"x-callback-token":    true,
	"callbacktoken":       true,
	"netzmeseamlesstoken": true,
}

// redact returns a copy of a JSON body with secret values replaced. Key order
// is kept. A body that is not JSON is returned as is unless it mentions a
// secret key, in which case it is withheld entirely.
func redact(body []byte) []byte {
	if len(body) == 0 {
		return nil
	}
	if !mayHoldSecret(body) {
		// Nothing to hide: spare the token-by-token copy (a page of a
		// transaction list is tens of kilobytes).
		return append([]byte(nil), body...)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	if err := redactValue(dec, &out); err != nil || dec.More() {
		lower := strings.ToLower(string(body))
		for k := range secretKeys {
			if strings.Contains(lower, k) {
				return []byte(Redacted)
			}
		}
		return append([]byte(nil), body...)
	}
	return out.Bytes()
}

// redactValue copies one JSON value from dec to out, token by token, so
// object key order survives (a map round trip would sort keys).
func redactValue(dec *json.Decoder, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			first := true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				if !first {
					out.WriteByte(',')
				}
				first = false
				kb, _ := json.Marshal(key)
				out.Write(kb)
				out.WriteByte(':')
				if secretKeys[strings.ToLower(key)] {
					var skip json.RawMessage
					if err := dec.Decode(&skip); err != nil {
						return err
					}
					out.WriteString(`"` + Redacted + `"`)
					continue
				}
				if err := redactValue(dec, out); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			first := true
			for dec.More() {
				if !first {
					out.WriteByte(',')
				}
				first = false
				if err := redactValue(dec, out); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			out.WriteByte(']')
		}
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		out.Write(b)
	}
	return nil
}

// mayHoldSecret reports whether body could carry a secret value: a secret
// key appears in it (any case, quoted or not), or a \u escape could spell
// one. When it reports false, body holds nothing redact would replace.
func mayHoldSecret(body []byte) bool {
	if bytes.Contains(body, []byte(`\u`)) {
		return true
	}
	lower := bytes.ToLower(body)
	for k := range secretKeys {
		if bytes.Contains(lower, []byte(k)) {
			return true
		}
	}
	return false
}
