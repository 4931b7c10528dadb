package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func render(t *testing.T, ctx context.Context, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestErrorPagesHaveTexts(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 403, 404, 405, 413, 422, 429, 500} {
		for _, lang := range []Lang{LangID, LangEN} {
			doc := render(t, WithLang(context.Background(), lang), ErrorPage(Page{Title: "x"}, ErrorView{Status: status, RequestID: "req-1"}))
			title := doc.Find(`[data-testid="error-title"]`).Text()
			if title == "" || strings.HasPrefix(title, "error.") {
				t.Errorf("%d/%s: title %q", status, lang, title)
			}
			if got := doc.Find(`[data-testid="request-id"]`).Text(); !strings.Contains(got, "req-1") {
				t.Errorf("%d/%s: request id not shown: %q", status, lang, got)
			}
		}
	}
}

func TestLayoutNavAndLanguage(t *testing.T) {
	t.Parallel()
	p := Page{
		Title: "Dasbor", Path: "/", Signed: true, UserName: "Sari", UserEmail: "sari@example.com",
		MerchantID: 2, MerchantName: "Toko Sari", Role: "cashier",
		Merchants: []MerchantOption{{ID: 1, Name: "Toko A"}, {ID: 2, Name: "Toko Sari"}},
		Nav:       []NavGroup{{Items: []NavItem{{ID: "dashboard", Key: "nav.dashboard", Href: "/", Active: true}}, Active: true}},
		Flash:     Flash{Kind: "ok", Key: "flash.merchant.switch", Arg: "Toko Sari"},
		Assets:    Assets{CSS: "/static/app.css?v=1", JS: "/static/app.js?v=1"},
	}
	doc := render(t, context.Background(), DashboardPage(p, DashboardView{}))
	if lang, _ := doc.Find("html").Attr("lang"); lang != "id" {
		t.Errorf("html lang = %q, want id", lang)
	}
	if got := doc.Find(`[data-testid="nav-dashboard"]`).Text(); got != "Dasbor" {
		t.Errorf("nav item = %q", got)
	}
	if got := doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "Sekarang bekerja di Toko Sari") {
		t.Errorf("flash = %q", got)
	}
	if v, _ := doc.Find(`#merchant_id option[selected]`).Attr("value"); v != "2" {
		t.Errorf("switcher selects %q, want current merchant 2", v)
	}
	if got := doc.Find(`[data-testid="dashboard-role"]`).Text(); !strings.Contains(got, "Kasir") {
		t.Errorf("role = %q", got)
	}
	// No inline script or style: the CSP forbids them.
	if doc.Find("script:not([src]), style, [style]").Length() != 0 {
		t.Error("inline script or style rendered")
	}
	en := render(t, WithLang(context.Background(), LangEN), DashboardPage(p, DashboardView{}))
	if got := en.Find(`[data-testid="nav-dashboard"]`).Text(); got != "Dashboard" {
		t.Errorf("English nav item = %q", got)
	}
	if lang, _ := en.Find("html").Attr("lang"); lang != "en" {
		t.Errorf("html lang = %q, want en", lang)
	}
}
