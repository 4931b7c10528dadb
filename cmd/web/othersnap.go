package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"lapak/db"
	"lapak/handlers"
	"lapak/money"
	"lapak/snap"
	"lapak/snap/nicepay"
	"lapak/snap/speedcash"
)

// simPartnerServiceID is the payNo prefix used with the NICEPAY simulator:
// the example prefix of nicepay §3.
const simPartnerServiceID = "7015"

// otherSNAP builds issue 7's configuration. With NICEPAY_CLIENT_ID unset,
// NICEPAY is simulated: a fresh key pair plays NICEPAY's, and a store
// simulator calls Lapak's own endpoints at baseURL. With SPEEDCASH_BASE_URL
// unset, a SpeedCash simulator is served on a loopback port until ctx ends.
// now is the app's clock, given to both clients and both simulators.
func otherSNAP(ctx context.Context, cfg config, now func() time.Time, baseURL string, d *db.DB, logger *slog.Logger) (handlers.OtherSNAP, error) {
	var o handlers.OtherSNAP
	variant, err := nicepay.ParseVariant(cfg.NicepaySignature)
	if err != nil {
		return o, fmt.Errorf("NICEPAY_SIGNATURE: %w", err)
	}
	if cfg.NicepayClientID != "" {
		raw, err := os.ReadFile(cfg.NicepayPublicKeyFile)
		if err != nil {
			return o, fmt.Errorf("NICEPAY_PUBLIC_KEY_FILE (needed with NICEPAY_CLIENT_ID): %w", err)
		}
		pub, err := snap.ParsePublicKey(raw)
		if err != nil {
			return o, fmt.Errorf("NICEPAY_PUBLIC_KEY_FILE %s: %w", cfg.NicepayPublicKeyFile, err)
		}
		if !nicepay.ValidPartnerServiceID(cfg.NicepayPartnerServiceID) {
			return o, fmt.Errorf("NICEPAY_PARTNER_SERVICE_ID %q: want the 4 digits NICEPAY assigned", cfg.NicepayPartnerServiceID)
		}
		if (variant == nicepay.VariantHMAC || variant == nicepay.VariantAny) && cfg.NicepayClientSecret == "" {
			return o, fmt.Errorf("NICEPAY_SIGNATURE=%s needs NICEPAY_CLIENT_SECRET", variant)
		}
		o.NICEPAY = nicepay.Verifier{ClientID: cfg.NicepayClientID, ClientSecret: cfg.NicepayClientSecret, PublicKey: pub, Variant: variant}
		o.PartnerServiceID = cfg.NicepayPartnerServiceID
	} else {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return o, fmt.Errorf("NICEPAY simulator key: %w", err)
		}
		secret := othersnapSecret(24)
		o.NICEPAY = nicepay.Verifier{ClientID: "IONPAYTEST", ClientSecret: secret, PublicKey: &key.PublicKey, Variant: variant}
		o.PartnerServiceID = simPartnerServiceID
		if cfg.NicepayPartnerServiceID != "" {
			o.PartnerServiceID = cfg.NicepayPartnerServiceID
		}
		o.NICEPAYStore = &nicepay.Store{BaseURL: baseURL, HTTPClient: &http.Client{Timeout: 15 * time.Second}, Now: now,
			Signer: nicepay.Signer{ClientID: "IONPAYTEST", ClientSecret: secret, PrivateKey: key, Variant: variant}}
	}

	var sc speedcash.Config
	if cfg.SpeedCashBaseURL != "" {
		raw, err := os.ReadFile(cfg.SpeedCashPrivateKeyFile)
		if err != nil {
			return o, fmt.Errorf("SPEEDCASH_PRIVATE_KEY_FILE: %w", err)
		}
		key, err := snap.ParsePrivateKey(raw)
		if err != nil {
			return o, fmt.Errorf("SPEEDCASH_PRIVATE_KEY_FILE %s: %w", cfg.SpeedCashPrivateKeyFile, err)
		}
		sc = speedcash.Config{BaseURL: strings.TrimRight(cfg.SpeedCashBaseURL, "/"), ClientID: cfg.SpeedCashClientID,
			ClientSecret: cfg.SpeedCashClientSecret, PrivateKey: key, ChannelID: cfg.SpeedCashChannelID}
	} else {
		sim, err := speedcash.NewSimulator(now)
		if err != nil {
			return o, fmt.Errorf("SpeedCash simulator: %w", err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return o, fmt.Errorf("SpeedCash simulator: %w", err)
		}
		srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		context.AfterFunc(ctx, func() { srv.Close() })
		sc = sim.Config("http://" + ln.Addr().String())
		o.SpeedCashSimulated = true
		logger.Info("SpeedCash simulator", "url", sc.BaseURL)
	}
	sc.Now = now
	sc.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	sc.Observer = money.Recorder{DB: d, Logger: logger, Now: now}.SpeedCash()
	if o.SpeedCash, err = speedcash.New(sc); err != nil {
		return o, fmt.Errorf("SPEEDCASH_*: %w", err)
	}
	return o, nil
}

func othersnapSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
