package views

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCountsAreGroupedAndEnglishPluralsRight(t *testing.T) {
	id := context.Background()
	en := WithLang(id, LangEN)
	tests := []struct {
		ctx  context.Context
		n    int
		want string
	}{
		{id, 1234, "1.234 tagihan"},
		{id, 1, "1 tagihan"},
		{en, 1, "1 invoice"},
		{en, 2, "2 invoices"},
		{en, 0, "0 invoices"},
		{en, 1234567, "1,234,567 invoices"},
	}
	for _, tt := range tests {
		if got := Tn(tt.ctx, "invoices.total", tt.n); got != tt.want {
			t.Errorf("Tn(%s, %d) = %q, want %q", LangFrom(tt.ctx), tt.n, got, tt.want)
		}
	}
	if got := Tn(en, "login.error.limited", 1); !strings.HasSuffix(got, "in 1 minute.") {
		t.Errorf("one minute: %q", got)
	}
}

func TestCodesReadAsWords(t *testing.T) {
	id := context.Background()
	en := WithLang(id, LangEN)
	if got := ResponseWords(id, "2000000"); got != "berhasil" {
		t.Errorf("2000000 = %q", got)
	}
	if got := ResponseWords(id, "4034714"); got != "saldo tidak cukup" {
		t.Errorf("4034714 = %q (service code must not matter)", got)
	}
	if got := ResponseWords(id, "4039999"); got != "ditolak" {
		t.Errorf("unknown 403 case = %q, want the class word", got)
	}
	if got := ResponseWords(id, "timeout"); got != "" {
		t.Errorf("not a code = %q", got)
	}
	words, code := FailureWords(id, "4045408 Invalid Merchant")
	if words != "merchant tidak dikenal" || code != "4045408" {
		t.Errorf("failure = %q, %q", words, code)
	}
	if words, code := FailureWords(en, "closed by Netzme"); words != "closed by Netzme" || code != "" {
		t.Errorf("own reason = %q, %q", words, code)
	}
	if words, _ := FailureWords(id, "timeout"); words != "Netzme tidak menjawab tepat waktu" {
		t.Errorf("timeout = %q", words)
	}
	for s, want := range map[string]string{"paid": "Lunas", "SUCCESS": "Berhasil", "success": "Berhasil", "WEIRD": "weird"} {
		if got := TxStatus(id, s); got != want {
			t.Errorf("TxStatus(%q) = %q, want %q", s, got, want)
		}
	}
	if got := TxType(id, "TOP_UP"); got != "Isi deposit" {
		t.Errorf("TOP_UP = %q", got)
	}
	if got := EventSentence(id, "lapak", "unknown"); strings.Contains(got, "intent") || !strings.Contains(got, "Lapak mencatat") {
		t.Errorf("timeline step = %q", got)
	}
}

func TestAuditLineReadsAsASentenceWithFacts(t *testing.T) {
	id := context.Background()
	if got := AuditSentence(id, "withdrawal.answer"); got != "Netzme menjawab penarikan" {
		t.Errorf("sentence = %q", got)
	}
	if got := AuditSentence(id, "brand.new"); got != "brand.new" {
		t.Errorf("unknown code = %q, want the code itself", got)
	}
	facts := AuditFacts(id, `{"partner_reference_no":"LPK-1","amount":"25000.00","status":"success","user_id":7,"second_approver":true}`)
	var got []string
	for _, f := range facts {
		got = append(got, f.Label+"="+f.Value)
	}
	want := "Referensi=LPK-1 Jumlah=Rp 25.000 Status=Berhasil Persetujuan pemilik kedua=Ya"
	if strings.Join(got, " ") != want {
		t.Errorf("facts %q, want %q", strings.Join(got, " "), want)
	}
	if AuditFacts(id, "not json") != nil {
		t.Error("facts from a non-JSON detail")
	}
}

// The audit page shows the sentence and facts, the raw JSON only as detail.
func TestAuditPageInIndonesian(t *testing.T) {
	p := Page{Title: "Audit", Signed: true, MerchantName: "Toko", Role: "owner"}
	v := AuditView{Page: 1, Rows: []AuditRow{{At: time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC), UserEmail: "a@b.c",
		Action: "invoice.create", Detail: `{"partner_reference_no":"LPK-9","amount":"1234567.00"}`}}}
	doc := render(t, context.Background(), AuditPage(p, v))
	if got := doc.Find(`[data-testid=audit-action]`).Text(); got != "Membuat tagihan" {
		t.Errorf("action %q", got)
	}
	if got := doc.Find(`[data-testid=audit-facts]`).Text(); !strings.Contains(got, "Jumlah: Rp 1.234.567") || !strings.Contains(got, "LPK-9") {
		t.Errorf("facts %q", got)
	}
}
