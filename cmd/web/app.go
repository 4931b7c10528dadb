package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"lapak/db"
	"lapak/handlers"
	"lapak/money"
	"lapak/netzme"
	"lapak/netzme/sandbox"
	"lapak/snap"
)

// app is one running Lapak: the listener, the database, the Netzme client and,
// with no NETZME_BASE_URL, the embedded sandbox. Tests build one with newApp
// on 127.0.0.1:0 exactly as main does.
type app struct {
	cfg     config
	log     *slog.Logger
	now     func() time.Time // the one clock: db, handlers, Netzme client, sandbox, simulators
	db      *db.DB
	ln      net.Listener
	baseURL string
	handler http.Handler

	netzme        *netzme.Client
	callbackToken string
	money         *money.Service // the money use cases and the resolver

	sandbox    *sandbox.Sandbox // nil when talking to a real Netzme
	sandboxLn  net.Listener
	sandboxURL string

	holder string // this instance in the job leases (leases.go)

	ready   *readiness   // /readyz
	metrics *metrics     // nil unless LAPAK_DEBUG_ADDR is set
	debugLn net.Listener // the operator's listener (pprof, /metrics)
}

// newApp opens everything Lapak needs and prepares (but does not start)
// serving. now is the clock of everything it wires (main passes time.Now:
// cmd/web is the one place that reads the wall clock). stdout receives the
// few lines meant for the person who started Lapak: the URL and, on a first
// start, the administrator's password.
func newApp(ctx context.Context, cfg config, now func() time.Time, logger *slog.Logger, stdout io.Writer) (_ *app, err error) {
	a := &app{cfg: cfg, log: logger, now: now, holder: holderID()}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("listen on %s (LAPAK_ADDR): %w", cfg.Addr, err)
	}
	a.baseURL = cfg.publicURL(a.ln.Addr())

	if a.db, err = db.Open(ctx, cfg.database(), a.now); err != nil {
		return nil, err
	}
	if cfg.DebugAddr != "" {
		if a.debugLn, err = net.Listen("tcp", cfg.DebugAddr); err != nil {
			return nil, fmt.Errorf("listen on %s (LAPAK_DEBUG_ADDR): %w", cfg.DebugAddr, err)
		}
		a.metrics = newMetrics()
		a.metrics.AddDBPool("writer", a.db.SQL().Stats)
		a.metrics.AddDBPool("read", a.db.ReadStats)
		a.metrics.AddWriter(a.db.WriterStats)
	}
	admin, err := bootstrapAdmin(ctx, a.db, cfg, stdout)
	if err != nil {
		return nil, err
	}

	var ncfg netzme.Config
	var demo *sandbox.Merchant
	if cfg.NetzmeBaseURL == "" {
		if ncfg, demo, err = a.startSandbox(ctx); err != nil {
			return nil, err
		}
	} else {
		if ncfg, err = realNetzmeConfig(cfg); err != nil {
			return nil, err
		}
		a.callbackToken = cfg.NetzmeCallbackToken
	}
	ncfg.Now = a.now
	ncfg.HTTPClient = &http.Client{Timeout: cfg.NetzmeTimeout}
	ncfg.TransactionList = netzme.TransactionListVariant(cfg.NetzmeHistoryPath) // checked by parseConfig
	ncfg.Observer = money.Recorder{DB: a.db, Logger: logger, Now: a.now}
	if a.metrics != nil {
		ncfg.Observer = observers{ncfg.Observer, a.metrics}
	}
	if a.netzme, err = netzme.New(ncfg); err != nil {
		return nil, fmt.Errorf("netzme: %w", err)
	}
	if err := provisionMerchant(ctx, a.db, cfg, admin, demo); err != nil {
		return nil, err
	}

	// guess, spec §3.19: Netzme's callback key and its format are not
	// documented; snap.ParsePublicKey takes PEM or bare base64 DER.
	var netzmePub *rsa.PublicKey
	if cfg.NetzmePublicKeyFile != "" {
		raw, err := os.ReadFile(cfg.NetzmePublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("NETZME_PUBLIC_KEY_FILE: %w", err)
		}
		if netzmePub, err = snap.ParsePublicKey(raw); err != nil {
			return nil, fmt.Errorf("NETZME_PUBLIC_KEY_FILE %s: %w", cfg.NetzmePublicKeyFile, err)
		}
	}
	other, err := otherSNAP(ctx, cfg, a.now, a.baseURL, a.db, logger)
	if err != nil {
		return nil, err
	}
	a.money = money.New(money.Deps{DB: a.db, Netzme: a.netzme, SpeedCash: other.SpeedCash, Now: a.now, Logger: logger,
		Reconcile: money.ReconcileOptions{Grace: cfg.ReconGrace}})
	// A database made before the ledger existed gets its journal filled from
	// its records once, before anything is served (idempotent).
	if _, _, err := a.money.StartLedger(ctx); err != nil {
		return nil, fmt.Errorf("ledger backfill: %w", err)
	}
	// Callbacks stored but never applied (left "received") are applied
	// before serving, so none waits for an administrator.
	if n, err := a.money.ApplyReceivedCallbacks(ctx); err != nil {
		return nil, fmt.Errorf("apply stored callbacks: %w", err)
	} else if n > 0 {
		logger.Info("applied callbacks left received", "count", n)
	}
	proxies, err := handlers.ParseTrustedProxies(cfg.TrustedProxies) // checked by parseConfig
	if err != nil {
		return nil, fmt.Errorf("LAPAK_TRUSTED_PROXIES: %w", err)
	}
	sessions := handlers.NewSessionManager(a.db, strings.HasPrefix(a.baseURL, "https://"))
	routes := handlers.New(handlers.Deps{
		DB:              a.db,
		Sessions:        sessions,
		Logger:          logger,
		Now:             a.now,
		SandboxURL:      a.sandboxURL,
		SecureCookies:   strings.HasPrefix(a.baseURL, "https://"),
		Netzme:          a.netzme,
		CallbackToken:   a.callbackToken,
		OtherSNAP:       other,
		NetzmePublicKey: netzmePub,
		Money:           a.money,
		PublicURL:       a.baseURL,
		TrustedProxies:  proxies,
	}).Routes()
	if a.metrics != nil {
		routes = a.metrics.instrument(routes)
	}
	if a.ready, err = newReadiness(a); err != nil {
		return nil, err
	}
	a.handler = withReadyz(a.ready, routes)
	fmt.Fprintf(stdout, "Lapak berjalan di %s — buka alamat ini di browser.\n", a.baseURL)
	if a.sandbox != nil {
		fmt.Fprintf(stdout, "Netzme sandbox (simulasi, tanpa uang sungguhan): %s/sandbox/\n", a.sandboxURL)
	}
	if a.debugLn != nil {
		fmt.Fprintf(stdout, "Operator (metrics, pprof): http://%s/\n", a.debugLn.Addr())
	}
	return a, nil
}

// startSandbox serves the embedded Netzme simulator on LAPAK_SANDBOX_ADDR,
// with its state in its own file, and returns the client configuration for it
// and its demo merchant. Any NETZME_* credential that is set overrides the
// generated one, so a harness or a demo can know it.
func (a *app) startSandbox(ctx context.Context) (netzme.Config, *sandbox.Merchant, error) {
	cfg := a.cfg
	var err error
	if a.sandboxLn, err = net.Listen("tcp", cfg.SandboxAddr); err != nil {
		return netzme.Config{}, nil, fmt.Errorf("embedded Netzme sandbox: listen on %s (LAPAK_SANDBOX_ADDR): %w", cfg.SandboxAddr, err)
	}
	a.sandboxURL = "http://" + a.sandboxLn.Addr().String()
	opts := sandbox.Options{
		StatePath:       cfg.SandboxDB,
		ClientID:        cfg.NetzmeClientID,
		ClientSecret:    cfg.NetzmeClientSecret,
		CallbackToken:   cfg.NetzmeCallbackToken,
		CallbackBaseURL: a.baseURL,
		PublicURL:       a.sandboxURL,
		Logger:          a.log.With("component", "sandbox"),
		Now:             a.now,
	}
	if cfg.NetzmePrivateKeyFile != "" {
		if opts.PrivateKeyPEM, err = os.ReadFile(cfg.NetzmePrivateKeyFile); err != nil {
			return netzme.Config{}, nil, fmt.Errorf("NETZME_PRIVATE_KEY_FILE: %w", err)
		}
	}
	if a.sandbox, err = sandbox.Open(ctx, opts); err != nil {
		return netzme.Config{}, nil, fmt.Errorf("embedded Netzme sandbox: %w", err)
	}
	a.callbackToken = a.sandbox.Identity().CallbackToken
	demo := a.sandbox.DemoMerchant()
	ncfg := a.sandbox.Config(a.sandboxURL)
	a.log.Info("embedded Netzme sandbox", "url", a.sandboxURL, "state", cfg.SandboxDB, "client_id", ncfg.ClientID)
	return ncfg, &demo, nil
}

// realNetzmeConfig builds the client configuration for a real Netzme host,
// checking the private key now so that a bad key stops start-up with a clear
// message instead of failing the first payment.
func realNetzmeConfig(cfg config) (netzme.Config, error) {
	pem, err := os.ReadFile(cfg.NetzmePrivateKeyFile)
	if err != nil {
		return netzme.Config{}, fmt.Errorf("NETZME_PRIVATE_KEY_FILE: %w", err)
	}
	key, err := snap.ParsePrivateKey(pem)
	if err != nil {
		return netzme.Config{}, fmt.Errorf("NETZME_PRIVATE_KEY_FILE %s: %w", cfg.NetzmePrivateKeyFile, err)
	}
	return netzme.Config{
		BaseURL:      strings.TrimRight(cfg.NetzmeBaseURL, "/"),
		ClientID:     cfg.NetzmeClientID,
		ClientSecret: cfg.NetzmeClientSecret,
		PrivateKey:   key,
		ChannelID:    cfg.NetzmeChannelID,
	}, nil
}

// bootstrapAdmin creates the first administrator when no user exists and
// returns the administrator to make owner of a provisioned merchant (the
// zero User when users already existed and none is an administrator).
func bootstrapAdmin(ctx context.Context, d *db.DB, cfg config, stdout io.Writer) (db.User, error) {
	n, err := d.CountUsers(ctx)
	if err != nil {
		return db.User{}, err
	}
	if n > 0 {
		users, err := d.Users(ctx)
		if err != nil {
			return db.User{}, err
		}
		for _, u := range users {
			if u.IsAdmin && !u.Disabled {
				return u, nil
			}
		}
		return db.User{}, nil
	}
	email, password, generated := cfg.AdminEmail, cfg.AdminPassword, false
	if email == "" {
		email = "admin@lapak.local"
	}
	if password == "" {
		password, generated = randomPassword(), true
	} else if len(password) < minAdminPassword {
		return db.User{}, fmt.Errorf("LAPAK_ADMIN_PASSWORD is too short: use at least %d characters", minAdminPassword)
	}
	hash, err := handlers.HashPassword(password)
	if err != nil {
		return db.User{}, err
	}
	var admin db.User
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if admin, err = tx.CreateUser(ctx, db.NewUser{Email: email, Name: "Administrator", PasswordHash: hash, IsAdmin: true}); err != nil {
			return err
		}
		return tx.Audit(ctx, db.AuditEntry{Action: "user.bootstrap_admin", Detail: fmt.Sprintf(`{"email":%q}`, admin.Email)})
	})
	if err != nil {
		return db.User{}, fmt.Errorf("create the first administrator: %w", err)
	}
	if generated {
		// Printed once, to the console only (never to the log).
		fmt.Fprintf(stdout, "\nAdministrator pertama dibuat (first administrator created):\n  email:    %s\n  password: %s\nSimpan password ini; ia tidak akan ditampilkan lagi.\n\n", admin.Email, password)
	}
	return admin, nil
}

// randomPassword returns 20 characters from an alphabet without look-alikes.
func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// provisionMerchant creates the first merchant on a start with none: the one
// named by NETZME_MERCHANT_ID, or, on the embedded sandbox, its demo merchant,
// with the bootstrap administrator as owner.
func provisionMerchant(ctx context.Context, d *db.DB, cfg config, owner db.User, demo *sandbox.Merchant) error {
	n, err := d.CountMerchants(ctx)
	if err != nil || n > 0 {
		return err
	}
	nm := db.NewMerchant{NetzmeCustID: cfg.MerchantID, Name: cfg.MerchantName}
	if demo != nil && (nm.NetzmeCustID == "" || nm.NetzmeCustID == demo.CustID) {
		nm = db.NewMerchant{NetzmeCustID: demo.CustID, Name: demo.Name, City: demo.City, NMID: demo.NMID,
			Phone: demo.Phone, StaticQRIS: demo.StaticQRIS}
		if cfg.MerchantName != "" {
			nm.Name = cfg.MerchantName
		}
	}
	if nm.NetzmeCustID == "" {
		return nil
	}
	if nm.Name == "" {
		nm.Name = "Merchant " + nm.NetzmeCustID
	}
	return d.InTx(ctx, func(tx *db.Tx) error {
		m, err := tx.CreateMerchant(ctx, nm)
		if err != nil {
			return err
		}
		if owner.ID != 0 {
			if err := tx.SetMembership(ctx, owner.ID, m.ID, db.RoleOwner); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, db.AuditEntry{MerchantID: m.ID, Action: "merchant.provision",
			Detail: fmt.Sprintf(`{"custIdMerchant":%q,"name":%q}`, m.NetzmeCustID, m.Name)})
	})
}

// serve answers HTTP until ctx is done, then shuts down gracefully.
func (a *app) serve(ctx context.Context) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	servers := []*http.Server{srv}
	errc := make(chan error, 3)
	go func() { errc <- srv.Serve(a.ln) }()
	if a.sandbox != nil {
		sb := &http.Server{Handler: a.sandbox.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
		servers = append(servers, sb)
		go func() { errc <- sb.Serve(a.sandboxLn) }()
	}
	if a.debugLn != nil {
		dbg := &http.Server{Handler: debugHandler(a.metrics), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
		servers = append(servers, dbg)
		go func() { errc <- dbg.Serve(a.debugLn) }()
	}
	// The background jobs (resolver, statement sync, callback sweep,
	// housekeeping), each in the one instance holding its lease (leases.go).
	// Waited for, and their leases handed back, before the database closes.
	defer a.startJobs(ctx)()
	a.log.Info("lapak listening", "url", a.baseURL, "db", a.cfg.databaseName(), "sandbox", a.sandbox != nil)

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	case <-ctx.Done():
	}
	// Not ready any more: a load balancer polling /readyz stops sending
	// new requests during the drain delay; then the listeners close.
	a.ready.draining.Store(true)
	if a.cfg.DrainDelay > 0 {
		a.log.Info("draining", "delay", a.cfg.DrainDelay)
		select {
		case <-time.After(a.cfg.DrainDelay):
		case err := <-errc:
			if !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
		}
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	return errors.Join(errs...)
}

// close releases everything newApp opened, the database last.
func (a *app) close() {
	if a.ln != nil {
		a.ln.Close()
	}
	if a.sandboxLn != nil {
		a.sandboxLn.Close()
	}
	if a.debugLn != nil {
		a.debugLn.Close()
	}
	if a.sandbox != nil {
		if err := a.sandbox.Close(); err != nil {
			a.log.Error("close sandbox", "err", err)
		}
	}
	if a.db != nil {
		if err := a.db.Close(); err != nil {
			a.log.Error("close database", "err", err)
		}
	}
}

// minAdminPassword mirrors the user form's minimum (handlers.minPasswordLen).
const minAdminPassword = 10
