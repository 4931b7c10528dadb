package views

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Words for what Lapak and Netzme store as codes: counts, statuses, types,
// SNAP response codes, invoice timeline steps and audit actions. A code
// without a catalogue entry is shown as it is (it still means something to
// an administrator); the tests keep every code Lapak writes covered.

// Count formats n with the language's thousands separator: 1234 is "1.234"
// in Indonesian and "1,234" in English.
func Count(ctx context.Context, n int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := groupThousands(strconv.Itoa(n))
	if LangFrom(ctx) == LangEN {
		s = strings.ReplaceAll(s, ".", ",")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Tn translates a message about n things: key's message has one %s for the
// grouped number, and key+".one", when the catalogue has it, is used for
// exactly one ("1 invoice", "2 invoices"; Indonesian needs no plural form).
// Further args follow n.
func Tn(ctx context.Context, key string, n int, args ...any) string {
	if n == 1 && HasMessage(key+".one") {
		key += ".one"
	}
	return T(ctx, key, append([]any{Count(ctx, n)}, args...)...)
}

// word translates prefix+code, or returns code itself when the catalogue has
// no entry (a value Netzme added that Lapak does not know yet).
func word(ctx context.Context, prefix, code string) string {
	if HasMessage(prefix + code) {
		return T(ctx, prefix+code)
	}
	return code
}

// TxStatus is the word for a transaction status as Netzme's lists or Lapak's
// records give it ("SUCCESS", "success", "paid"…).
func TxStatus(ctx context.Context, s string) string {
	return word(ctx, "txstatus.", strings.ToLower(s))
}

// TxType is the word for a transaction type ("PAYMENT", "TOP_UP"…).
func TxType(ctx context.Context, s string) string {
	return word(ctx, "txtype.", strings.ToUpper(s))
}

// ResponseWords says in words what a 7-digit SNAP responseCode means (its
// HTTP status and case code, snap §5.1); "" for anything else. Pages show it
// first and the code after it, smaller.
func ResponseWords(ctx context.Context, code string) string {
	if len(code) != 7 {
		return ""
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return ""
		}
	}
	key := "snapcase." + code[:3] + code[5:]
	if HasMessage(key) {
		return T(ctx, key)
	}
	return T(ctx, "snapcase.http"+code[:1])
}

// FailureWords is a failure reason stored by Lapak in words: either "<SNAP
// code> <message>" as Netzme answered (words; the code is shown apart) or one
// of Lapak's own short reasons. It returns the words and the code ("" when
// there is none).
func FailureWords(ctx context.Context, reason string) (words, code string) {
	if c, _, _ := strings.Cut(reason, " "); ResponseWords(ctx, c) != "" {
		return ResponseWords(ctx, c), c
	}
	slug := strings.ReplaceAll(strings.ToLower(reason), " ", "_")
	if HasMessage("failure." + slug) {
		return T(ctx, "failure."+slug), ""
	}
	return reason, ""
}

// EventSources are the sources of an invoice's timeline steps (db's
// InvoiceEvent.Source): Lapak itself, Netzme's answer, a Netzme callback,
// "Perbarui status", and Lapak's background jobs.
var EventSources = []string{"lapak", "netzme", "callback", "refresh", "system"}

// EventSentence is one invoice timeline step as a sentence, from who said it
// (source) and the status it gave.
func EventSentence(ctx context.Context, source, status string) string {
	if key := "timeline." + source + "." + status; HasMessage(key) {
		return T(ctx, key)
	}
	return word(ctx, "source.", source) + ": " + word(ctx, "invoice.status.", status)
}

// AuditSentence is what an audit action code means, as a sentence.
func AuditSentence(ctx context.Context, action string) string {
	return word(ctx, "audit.action.", action)
}

// AuditFact is one readable fact from an audit line's detail.
type AuditFact struct{ Label, Value string }

// auditFactKeys are the detail fields shown as facts, in this order; others
// stay in the raw detail only.
var auditFactKeys = []string{"partner_reference_no", "invoice", "payNo", "amount", "fee", "method", "wallet",
	"status", "result", "verdict", "code", "reason", "kind", "callback_id", "reference_no", "label", "name", "email",
	"role", "phone", "nmid", "step", "locale", "second_approver"}

// AuditFacts reads an audit line's JSON detail into facts with translated
// labels and values (amounts as rupiah, statuses and roles as words). A
// detail that is not a JSON object gives none.
func AuditFacts(ctx context.Context, detail string) []AuditFact {
	var m map[string]any
	if detail == "" || json.Unmarshal([]byte(detail), &m) != nil {
		return nil
	}
	var out []AuditFact
	for _, k := range auditFactKeys {
		v, ok := m[k]
		if !ok || v == nil || v == "" {
			continue
		}
		s := fmt.Sprint(v)
		switch k {
		case "amount", "fee":
			if minor, ok := parseDecimalMinor(s); ok {
				s = IDR(minor)
			}
		case "status":
			s = TxStatus(ctx, s)
		case "result":
			s, _ = FailureWords(ctx, s)
			s = TxStatus(ctx, s)
		case "verdict":
			s = word(ctx, "audit.verdict.", s)
		case "code":
			if w := ResponseWords(ctx, s); w != "" {
				s = w + " (" + s + ")"
			}
		case "reason":
			s = reasonText(ctx, s)
		case "kind":
			s = word(ctx, "notif.kind.", s)
		case "callback_id":
			s = "#" + s
		case "role":
			s = word(ctx, "role.", s)
		case "wallet":
			s = word(ctx, "wallet.", s)
		case "step":
			s = word(ctx, "audit.step.", s)
		case "locale":
			s = word(ctx, "lang.", s)
		case "second_approver":
			if b, ok := v.(bool); ok {
				s = T(ctx, map[bool]string{true: "yes", false: "no"}[b])
			}
		}
		out = append(out, AuditFact{Label: T(ctx, "audit.field."+k), Value: s})
	}
	return out
}

// parseDecimalMinor reads a SNAP-style amount ("25000.00", "25000") as minor
// units, without floating point.
func parseDecimalMinor(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 {
		return 0, false
	}
	frac += "00"[len(frac):]
	r, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || r < 0 || r > 1<<53 {
		return 0, false
	}
	return r*100 + f, true
}
