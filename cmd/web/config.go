package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"lapak/db"
	"lapak/handlers"
	"lapak/netzme"
)

// config is every setting of Lapak. Each one is a flag with an environment
// fallback (flag wins); the README's table lists them. Secrets are better
// given in the environment or in files: flags show in `ps`.
type config struct {
	Addr          string
	DBPath        string
	DatabaseURL   string // LAPAK_DATABASE_URL: PostgreSQL instead of the SQLite file DBPath
	PublicURL     string
	AdminEmail    string
	AdminPassword string
	MerchantID    string // NETZME_MERCHANT_ID: provision this merchant on a start with none
	MerchantName  string
	LogFormat     string // auto | text | json
	LogLevel      string

	NetzmeBaseURL        string // "" = the embedded sandbox
	NetzmeClientID       string
	NetzmeClientSecret   string
	NetzmePrivateKeyFile string
	NetzmeCallbackToken  string
	NetzmePublicKeyFile  string // Netzme's key for SNAP QRIS callbacks (§3.19)
	NetzmeChannelID      string
	NetzmeTimeout        time.Duration
	NetzmeHistoryPath    string // §3.4 Get Transaction List variant: documented | qa (netzme.TransactionListVariant)

	// Issue 7 (othersnap): NICEPAY calls Lapak; Lapak calls SpeedCash.
	// NICEPAY_CLIENT_ID "" = NICEPAY simulated; SPEEDCASH_BASE_URL "" = simulator.
	NicepayClientID, NicepayClientSecret, NicepayPublicKeyFile string
	NicepayPartnerServiceID, NicepaySignature                  string
	SpeedCashBaseURL, SpeedCashClientID, SpeedCashClientSecret string
	SpeedCashPrivateKeyFile, SpeedCashChannelID                string

	SandboxAddr string // where the embedded sandbox listens
	SandboxDB   string // its own state file, next to DBPath by default

	ShutdownTimeout time.Duration
	// DrainDelay is how long /readyz answers 503 before the server stops
	// accepting (issue 11 §9): time for a load balancer to notice.
	DrainDelay time.Duration

	// The operator's listener (issue 11 §9): pprof and Prometheus metrics.
	DebugAddr        string        // "" = off
	DebugAllowRemote string        // "yes" lets DebugAddr be a non-loopback address
	SyncEvery        time.Duration // how often each merchant's Netzme statements are synced

	// Several instances on one database (issue 14 §4).
	TrustedProxies string        // LAPAK_TRUSTED_PROXIES: CIDRs/IPs whose X-Forwarded-For is believed
	LeaseTTL       time.Duration // how long a background job's lease lasts without renewal
	ReconGrace     time.Duration // how long a one-sided record waits for its other side (reconciliation)
}

// setting describes one flag/env pair, so the parser and the README table
// cannot drift apart.
type setting struct {
	flag, env, help string
	dst             any // *string or *time.Duration
	def             string
}

func (c *config) settings() []setting {
	return []setting{
		{"addr", "LAPAK_ADDR", "address the web server listens on", &c.Addr, "127.0.0.1:8080"},
		{"db", "LAPAK_DB", "path of the SQLite database file", &c.DBPath, "lapak.db"},
		{"database-url", "LAPAK_DATABASE_URL", "PostgreSQL connection string (postgres://user@host/db or host=/socket/dir dbname=…): run on PostgreSQL instead of LAPAK_DB", &c.DatabaseURL, ""},
		{"public-url", "LAPAK_PUBLIC_URL", "base URL at which browsers and Netzme reach Lapak (default http://<addr>)", &c.PublicURL, ""},
		{"admin-email", "LAPAK_ADMIN_EMAIL", "e-mail of the first administrator, created when no user exists", &c.AdminEmail, ""},
		{"admin-password", "LAPAK_ADMIN_PASSWORD", "password of that administrator (unset: a random one is printed once)", &c.AdminPassword, ""},
		{"merchant-id", "NETZME_MERCHANT_ID", "Netzme custIdMerchant to provision on a start with no merchants", &c.MerchantID, ""},
		{"merchant-name", "LAPAK_MERCHANT_NAME", "name of that provisioned merchant", &c.MerchantName, ""},
		{"log-format", "LAPAK_LOG_FORMAT", "auto (text on a terminal, JSON otherwise), text or json", &c.LogFormat, "auto"},
		{"log-level", "LAPAK_LOG_LEVEL", "debug, info, warn or error", &c.LogLevel, "info"},
		{"netzme-base-url", "NETZME_BASE_URL", "Netzme vSNAP host, e.g. https://tokoapisnap-stg.netzme.com (empty: embedded sandbox)", &c.NetzmeBaseURL, ""},
		{"netzme-client-id", "NETZME_CLIENT_ID", "client id issued by Netzme (X-PARTNER-ID)", &c.NetzmeClientID, ""},
		{"netzme-client-secret", "NETZME_CLIENT_SECRET", "client secret issued by Netzme (HMAC key)", &c.NetzmeClientSecret, ""},
		{"netzme-private-key-file", "NETZME_PRIVATE_KEY_FILE", "PEM file with the RSA private key whose public half Netzme has", &c.NetzmePrivateKeyFile, ""},
		{"netzme-callback-token", "NETZME_CALLBACK_TOKEN", "x-callback-token Netzme sends with callbacks", &c.NetzmeCallbackToken, ""},
		{"netzme-public-key-file", "NETZME_PUBLIC_KEY_FILE", "PEM or base64 file with Netzme's RSA public key, to verify SNAP QRIS callbacks (empty: refuse them)", &c.NetzmePublicKeyFile, ""},
		{"netzme-channel-id", "NETZME_CHANNEL_ID", "CHANNEL-ID header value agreed with Netzme", &c.NetzmeChannelID, "95221"},
		{"netzme-timeout", "NETZME_TIMEOUT", "time limit of one call to Netzme", &c.NetzmeTimeout, "30s"},
		{"netzme-history-path", "NETZME_HISTORY_PATH", "Get Transaction List call: documented (/api-qris/v2.0/...) or qa (/api/v1.0/..., as Netzme's QA tool calls it)", &c.NetzmeHistoryPath, "documented"},
		{"nicepay-client-id", "NICEPAY_CLIENT_ID", "client id Lapak gave NICEPAY for CVS inquiries (empty: NICEPAY simulated)", &c.NicepayClientID, ""},
		{"nicepay-client-secret", "NICEPAY_CLIENT_SECRET", "client secret Lapak gave NICEPAY (needed for NICEPAY_SIGNATURE=hmac-sha512 or any)", &c.NicepayClientSecret, ""},
		{"nicepay-public-key-file", "NICEPAY_PUBLIC_KEY_FILE", "PEM or base64 file with NICEPAY's RSA public key", &c.NicepayPublicKeyFile, ""},
		{"nicepay-partner-service-id", "NICEPAY_PARTNER_SERVICE_ID", "4-digit payNo prefix assigned by NICEPAY (simulator: 7015)", &c.NicepayPartnerServiceID, ""},
		{"nicepay-signature", "NICEPAY_SIGNATURE", "inquiry/payment X-SIGNATURE recipe: rsa-clientid (documented), hmac-sha512, rsa-service or any (UAT)", &c.NicepaySignature, "rsa-clientid"},
		{"speedcash-base-url", "SPEEDCASH_BASE_URL", "SpeedCash QRIS MPM API base URL (empty: SpeedCash simulator)", &c.SpeedCashBaseURL, ""},
		{"speedcash-client-id", "SPEEDCASH_CLIENT_ID", "client id issued by SpeedCash (X-PARTNER-ID)", &c.SpeedCashClientID, ""},
		{"speedcash-client-secret", "SPEEDCASH_CLIENT_SECRET", "client secret issued by SpeedCash (HMAC key)", &c.SpeedCashClientSecret, ""},
		{"speedcash-private-key-file", "SPEEDCASH_PRIVATE_KEY_FILE", "PEM file with the RSA private key whose public half SpeedCash has", &c.SpeedCashPrivateKeyFile, ""},
		{"speedcash-channel-id", "SPEEDCASH_CHANNEL_ID", "channel id agreed with SpeedCash", &c.SpeedCashChannelID, "23412"},
		{"sandbox-addr", "LAPAK_SANDBOX_ADDR", "address of the embedded Netzme sandbox", &c.SandboxAddr, defaultSandboxAddr},
		{"sandbox-db", "LAPAK_SANDBOX_DB", "state file of the embedded sandbox (default: next to LAPAK_DB)", &c.SandboxDB, ""},
		{"shutdown-timeout", "LAPAK_SHUTDOWN_TIMEOUT", "how long to wait for requests in flight on SIGINT/SIGTERM", &c.ShutdownTimeout, "15s"},
		{"drain-delay", "LAPAK_DRAIN_DELAY", "on SIGINT/SIGTERM, how long /readyz answers 503 while requests are still served, before shutting down", &c.DrainDelay, "0s"},
		{"debug-addr", "LAPAK_DEBUG_ADDR", "address of the operator's listener with /metrics and /debug/pprof/, loopback only (empty: off)", &c.DebugAddr, ""},
		{"debug-allow-remote", "LAPAK_DEBUG_ALLOW_REMOTE", "yes: let LAPAK_DEBUG_ADDR be a non-loopback address (the profiler shows memory contents)", &c.DebugAllowRemote, "no"},
		{"sync-every", "LAPAK_SYNC_EVERY", "interval of the background sync of Netzme's statements (first pass a minute after start)", &c.SyncEvery, "6h"},
		{"trusted-proxies", "LAPAK_TRUSTED_PROXIES", "comma-separated CIDRs or IPs of the reverse proxies whose X-Forwarded-For gives the client address (empty: the direct peer is the client)", &c.TrustedProxies, ""},
		{"lease-ttl", "LAPAK_LEASE_TTL", "lease time of a background job: its instance renews it every third of this; another instance takes the job over this long after that instance dies", &c.LeaseTTL, "15s"},
		{"recon-grace", "LAPAK_RECON_GRACE", "how long a payment seen on one side only (Lapak's books or Netzme's list) waits for the other before reconciliation calls it an exception", &c.ReconGrace, "30m"},
	}
}

// parseConfig reads flags from args (args[0] is the program name) with
// getenv as the fallback for every flag not given.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet(progName(args), flag.ContinueOnError)
	fs.SetOutput(stderr)
	ss := c.settings()
	for _, s := range ss {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		help := s.help + " (env " + s.env + ")"
		switch dst := s.dst.(type) {
		case *string:
			fs.StringVar(dst, s.flag, def, help)
		case *time.Duration:
			d, err := time.ParseDuration(def)
			if err != nil {
				return c, fmt.Errorf("config: %s=%q: %w", s.env, def, err)
			}
			fs.DurationVar(dst, s.flag, d, help)
		}
	}
	var rest []string
	if len(args) > 1 {
		rest = args[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	if err := c.finish(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

func progName(args []string) string {
	if len(args) == 0 {
		return "lapak"
	}
	return filepath.Base(args[0])
}

// finish derives defaults and checks the combination of settings.
func (c *config) finish() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("LAPAK_ADDR %q: %w", c.Addr, err)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return fmt.Errorf("LAPAK_PUBLIC_URL %q must start with http:// or https://", c.PublicURL)
	}
	if c.SandboxDB == "" {
		c.SandboxDB = defaultSandboxDB(c.DBPath)
	}
	if c.DatabaseURL != "" && !db.IsPostgres(c.DatabaseURL) {
		return errors.New("LAPAK_DATABASE_URL must be a postgres:// URL or a host=… connection string")
	}
	switch c.DebugAllowRemote {
	case "yes", "no", "":
	default:
		return fmt.Errorf("LAPAK_DEBUG_ALLOW_REMOTE %q: want yes or no", c.DebugAllowRemote)
	}
	if c.DebugAddr != "" {
		if err := checkDebugAddr(c.DebugAddr, c.DebugAllowRemote == "yes"); err != nil {
			return err
		}
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		return fmt.Errorf("LAPAK_LOG_FORMAT %q: want auto, text or json", c.LogFormat)
	}
	if _, err := handlers.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("LAPAK_TRUSTED_PROXIES: %w", err)
	}
	if c.LeaseTTL < minLeaseTTL {
		return fmt.Errorf("LAPAK_LEASE_TTL %v: want at least %v (renewals every third of it must fit in it)", c.LeaseTTL, minLeaseTTL)
	}
	if _, err := netzme.ParseTransactionListVariant(c.NetzmeHistoryPath); err != nil {
		return fmt.Errorf("NETZME_HISTORY_PATH %q: want documented or qa", c.NetzmeHistoryPath)
	}
	if c.NetzmeBaseURL != "" {
		var missing []string
		for env, v := range map[string]string{
			"NETZME_CLIENT_ID": c.NetzmeClientID, "NETZME_CLIENT_SECRET": c.NetzmeClientSecret,
			"NETZME_PRIVATE_KEY_FILE": c.NetzmePrivateKeyFile, "NETZME_CALLBACK_TOKEN": c.NetzmeCallbackToken,
		} {
			if v == "" {
				missing = append(missing, env)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			return fmt.Errorf("NETZME_BASE_URL is set, so these are needed too: %s", strings.Join(missing, ", "))
		}
	}
	return nil
}

// database is what db.Open opens: the PostgreSQL database of
// LAPAK_DATABASE_URL when it is set, else the SQLite file LAPAK_DB.
func (c config) database() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return c.DBPath
}

// databaseName names the database in messages and logs (never the
// connection string: it may hold a password).
func (c config) databaseName() string {
	if c.DatabaseURL != "" {
		return "PostgreSQL (LAPAK_DATABASE_URL)"
	}
	return c.DBPath
}

// defaultSandboxDB is the embedded sandbox's state file next to the
// database at dbPath: lapak.db -> lapak-sandbox.db.
func defaultSandboxDB(dbPath string) string {
	ext := filepath.Ext(dbPath)
	if ext == "" {
		return dbPath + "-sandbox.db"
	}
	return strings.TrimSuffix(dbPath, ext) + "-sandbox" + ext
}

// minLeaseTTL is the shortest LAPAK_LEASE_TTL: a renewal (one write) must
// comfortably fit in a third of it, even on a busy database.
const minLeaseTTL = time.Second

// defaultSandboxAddr is LAPAK_SANDBOX_ADDR's default: the address the
// seeded invoices' payment links point at.
const defaultSandboxAddr = "127.0.0.1:8090"

// publicURL is the base URL for links and callbacks once the listener's real
// address is known (LAPAK_ADDR may use port 0).
func (c *config) publicURL(ln net.Addr) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + ln.String()
}
