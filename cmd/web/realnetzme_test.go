package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lapak/internal/clocktest"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/netzme/sandbox/sandboxtest"
)

// Pointing Lapak at another Netzme is configuration only: with NETZME_BASE_URL
// set, no embedded sandbox starts and every call goes to that host with the
// NETZME_* credentials. A separately served sandbox plays "the real Netzme".
func TestNetzmeBaseURLPointsLapakAtAnotherServer(t *testing.T) {
	// "The real Netzme" keeps the same time as Lapak: both start at the base.
	remote := sandboxtest.NewServer(t, func(o *sandbox.Options) { o.Now = clocktest.Running(t) })
	id := remote.Sandbox.Identity()
	keyFile := filepath.Join(t.TempDir(), "netzme.pem")
	if err := os.WriteFile(keyFile, id.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	demo := remote.Sandbox.DemoMerchant()
	a := startTestApp(t, map[string]string{
		"NETZME_BASE_URL":         remote.URL,
		"NETZME_CLIENT_ID":        id.ClientID,
		"NETZME_CLIENT_SECRET":    id.ClientSecret,
		"NETZME_PRIVATE_KEY_FILE": keyFile,
		"NETZME_CALLBACK_TOKEN":   "token-from-netzme",
		"NETZME_CHANNEL_ID":       sandbox.ChannelID,
		"NETZME_MERCHANT_ID":      demo.CustID,
		"LAPAK_MERCHANT_NAME":     "Toko Sungguhan",
	})
	if a.sandbox != nil {
		t.Fatal("an embedded sandbox started although NETZME_BASE_URL is set")
	}
	if a.callbackToken != "token-from-netzme" {
		t.Errorf("callback token = %q, want NETZME_CALLBACK_TOKEN", a.callbackToken)
	}
	m, err := a.db.MerchantByNetzmeCustID(t.Context(), demo.CustID)
	if err != nil || m.Name != "Toko Sungguhan" {
		t.Fatalf("provisioned merchant = %+v, %v", m, err)
	}
	// A signed call with the configured credentials reaches the remote host
	// and is recorded in api_calls.
	before := len(remote.Sandbox.Requests())
	if _, err := a.netzme.BalanceDetail(t.Context(), netzme.BalanceRequest{PartnerReferenceNo: "LPK-TEST-1", CustIDMerchant: m.NetzmeCustID}); err != nil {
		t.Fatalf("balance detail against the configured host: %v", err)
	}
	if after := len(remote.Sandbox.Requests()); after <= before {
		t.Errorf("the remote host saw no request (before %d, after %d)", before, after)
	}
	calls, err := a.db.APICalls(t.Context(), 0, 10)
	if err != nil || len(calls) < 2 { // token + balance
		t.Fatalf("api_calls = %+v, %v; want the token and balance calls", calls, err)
	}
	if calls[0].PartnerReferenceNo != "LPK-TEST-1" || calls[0].ResponseCode != "2001100" {
		t.Errorf("last api call = %+v", calls[0])
	}
}

func TestBadPrivateKeyStopsStartUpWithAClearMessage(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(keyFile, []byte("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"), 0o600)
	cfg, err := parseConfig([]string{"lapak"}, func(k string) string {
		return map[string]string{
			"LAPAK_ADDR": "127.0.0.1:0", "LAPAK_DB": filepath.Join(t.TempDir(), "l.db"),
			"NETZME_BASE_URL": "https://tokoapisnap-stg.netzme.com", "NETZME_CLIENT_ID": "c", "NETZME_CLIENT_SECRET": "s",
			"NETZME_PRIVATE_KEY_FILE": keyFile, "NETZME_CALLBACK_TOKEN": "t",
		}[k]
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newApp(t.Context(), cfg, clocktest.Running(t), slog.New(slog.DiscardHandler), &syncBuffer{})
	if err == nil {
		t.Fatal("Lapak started with an unparsable private key")
	}
	if got := err.Error(); !strings.Contains(got, "NETZME_PRIVATE_KEY_FILE") {
		t.Errorf("error %q does not name NETZME_PRIVATE_KEY_FILE", got)
	}
}
