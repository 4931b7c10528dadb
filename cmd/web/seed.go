package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"lapak/db"
	"lapak/handlers"
	"lapak/netzme/sandbox"
)

// seedUsage is the stable interface of `lapak seed` (issue 11 §7).
const seedUsage = `usage:
  lapak seed -db FILE -invoices N -merchants M -days D -owner EMAIL -password PW [-database-url URL]

Fills a fresh database FILE (and the embedded sandbox's state, FILE-sandbox.db
or LAPAK_SANDBOX_DB) with realistic demo data: N invoices over the D days
ending now at M shops, static-QRIS payments, weekly withdrawals, callbacks,
API calls and audit lines. EMAIL (password PW) owns every shop. A database
holding anything the seed did not write is refused. With -database-url (or
LAPAK_DATABASE_URL) the seeded file is then copied into that empty PostgreSQL
database, as migrate-to-postgres does.`

// seedOptions are the flags of `lapak seed`.
type seedOptions struct {
	DB        string
	SandboxDB string // from LAPAK_SANDBOX_DB, else next to DB as the server does
	Invoices  int
	Merchants int
	Days      int
	Owner     string
	Password  string
	// DatabaseURL: copy the seeded file into this PostgreSQL database ("":
	// SQLite only).
	DatabaseURL string
}

func parseSeedOptions(args []string, getenv func(string) string, stderr io.Writer) (seedOptions, error) {
	var o seedOptions
	fs := flag.NewFlagSet(progName(args)+" seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, seedUsage) }
	fs.StringVar(&o.DB, "db", "", "database file to create")
	fs.IntVar(&o.Invoices, "invoices", 10_000, "number of invoices")
	fs.IntVar(&o.Merchants, "merchants", 3, "number of shops")
	fs.IntVar(&o.Days, "days", 90, "days of history, ending now")
	fs.StringVar(&o.Owner, "owner", "", "e-mail of the user who owns every shop")
	fs.StringVar(&o.Password, "password", "", "that user's password (at least 10 characters)")
	fs.StringVar(&o.DatabaseURL, "database-url", getenv("LAPAK_DATABASE_URL"), "then copy it into this empty PostgreSQL database (env LAPAK_DATABASE_URL)")
	if err := fs.Parse(args[2:]); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("seed: unexpected argument %q\n%s", fs.Arg(0), seedUsage)
	case o.DB == "":
		return o, errors.New("seed: -db is required\n" + seedUsage)
	case strings.ContainsAny(o.DB, "?#"):
		return o, fmt.Errorf("seed: -db %q: the path may not contain '?' or '#'", o.DB)
	case o.Invoices < 0 || o.Invoices > 50_000_000:
		return o, fmt.Errorf("seed: -invoices %d: want 0 to 50000000", o.Invoices)
	case o.Merchants < 1 || o.Merchants > 1000:
		return o, fmt.Errorf("seed: -merchants %d: want 1 to 1000", o.Merchants)
	case o.Days < 1 || o.Days > 3660:
		return o, fmt.Errorf("seed: -days %d: want 1 to 3660", o.Days)
	case !strings.Contains(o.Owner, "@") || strings.HasPrefix(o.Owner, "@") || strings.HasSuffix(o.Owner, "@"):
		return o, fmt.Errorf("seed: -owner %q is not an e-mail address", o.Owner)
	case len(o.Password) < minAdminPassword:
		return o, fmt.Errorf("seed: -password is too short: use at least %d characters", minAdminPassword)
	case o.DatabaseURL != "" && !db.IsPostgres(o.DatabaseURL):
		return o, errors.New("seed: -database-url must be a postgres:// URL or a host=… connection string")
	}
	o.Owner = db.NormalizeEmail(o.Owner)
	o.SandboxDB = getenv("LAPAK_SANDBOX_DB")
	if o.SandboxDB == "" {
		o.SandboxDB = defaultSandboxDB(o.DB)
	}
	return o, nil
}

// runSeed is `lapak seed …`. now is the clock the data ends at.
func runSeed(ctx context.Context, args []string, getenv func(string) string, now func() time.Time, stdout, stderr io.Writer) error {
	o, err := parseSeedOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	if err := checkSeedTarget(ctx, o, stdout); err != nil {
		return err
	}
	started := time.Now()
	// The seed allocates fast and keeps little: collect garbage less often.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	// db.Open creates the file and applies every migration: the seed
	// writes into exactly the schema the server will run on.
	d, err := db.Open(ctx, o.DB, now)
	if err != nil {
		return err
	}
	if err := d.Close(); err != nil {
		return err
	}
	sb, err := sandbox.Open(ctx, sandbox.Options{StatePath: o.SandboxDB, Now: now, PublicURL: "http://" + defaultSandboxAddr,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("seed: sandbox state %s: %w", o.SandboxDB, err)
	}
	defer sb.Close()
	hash, err := handlers.HashPassword(o.Password)
	if err != nil {
		return err
	}
	w, err := openSeedWriter(ctx, o.DB)
	if err != nil {
		return err
	}
	defer w.close()
	s := &seedStory{r: rand.New(rand.NewPCG(uint64(o.Invoices), uint64(o.Merchants*1000+o.Days))), rows: newSeedRows(w),
		now: now().UTC().Truncate(time.Microsecond)}
	s.rows.bookedAt = s.now
	s.start = s.now.Add(-time.Duration(o.Days) * 24 * time.Hour)
	s.reqTag = seedHex(s.r, 10)
	last := time.Now()
	s.progress = func(day, days int, rows int64) {
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "seed: day %d of %d, %d rows, %.0f rows/s\n", day, days, rows, float64(rows)/time.Since(started).Seconds())
		}
	}
	if err := s.people(ctx, sb, o, hash); err != nil {
		return err
	}
	// The merchants' ledger accounts exist now (their trigger): the books
	// can be kept from here.
	if err := w.call(func(c *sql.Conn) error { return w.bulk.LoadAccounts(ctx, c) }); err != nil {
		return err
	}
	idx, err := w.bulk.NewSearchIndex(ctx, o.DB+".search-index")
	if err != nil {
		return err
	}
	defer idx.Close()
	s.search = newSeedSearch(ctx, idx)
	err = sb.Seed(ctx, func(l *sandbox.Loader) error {
		s.l = l
		return s.run(o.Invoices, o.Days)
	})
	if err != nil {
		return err
	}
	if err := s.marker(o); err != nil {
		return err
	}
	phase := func(what string) {
		fmt.Fprintf(stderr, "seed: %s after %s\n", what, time.Since(started).Round(100*time.Millisecond))
	}
	phase(fmt.Sprintf("%d rows made", w.rows))
	if err := s.search.build(); err != nil {
		return err
	}
	phase("search index built")
	w.note = phase
	if err := w.finish(idx, s.now); err != nil {
		return err
	}
	w.close()
	if err := sb.Close(); err != nil { // its state written back from the log: part of the seed
		return fmt.Errorf("seed: sandbox state %s: %w", o.SandboxDB, err)
	}
	booked := s.rows.ledger.n
	took := time.Since(started)
	c := s.counts
	fmt.Fprintf(stdout, "Seeded %s: %d invoices (%d paid, %d pending, %d expired, %d failed), %d static-QRIS payments, %d withdrawals at %d shops over %d days.\n",
		o.DB, o.Invoices, c.paid, c.pending, c.expired, c.failed, c.static, c.withdrawals, o.Merchants, o.Days)
	fmt.Fprintf(stdout, "%d rows in %s (%.0f rows/s), %d ledger transactions booked; sandbox state %s. Sign in as %s.\n",
		w.rows, took.Round(time.Millisecond), float64(w.rows)/took.Seconds(), booked, o.SandboxDB, o.Owner)
	if o.DatabaseURL != "" {
		// The bulk writer is SQLite's; PostgreSQL gets the seeded file's
		// rows through the checked copy.
		return copyToPostgres(ctx, o.DB, o.DatabaseURL, now, stdout)
	}
	return nil
}

// people writes the owner, each shop (registered at the sandbox first, so
// Lapak stores Netzme's ids and static QRIS), a cashier and an auditor per
// shop, and their memberships.
func (s *seedStory) people(ctx context.Context, sb *sandbox.Sandbox, o seedOptions, hash string) error {
	r := s.rows
	setup := s.start.Add(-48 * time.Hour)
	ownerName := strings.ToUpper(o.Owner[:1]) + strings.SplitN(o.Owner, "@", 2)[0][1:]
	s.owner = seedActor{userID: 1, email: o.Owner}
	if err := r.users.add(int64(1), o.Owner, ownerName, hash, 0, "id", seedTime(setup)); err != nil {
		return err
	}
	// Staff accounts share one hash of a random password nobody is told:
	// they exist for the member lists, not to sign in with.
	staffHash, err := handlers.HashPassword(randomPassword())
	if err != nil {
		return err
	}
	weights := make([]float64, o.Merchants)
	var sum float64
	for i := range weights {
		weights[i] = 1 / (1 + 0.5*float64(i)) // the first shops are the busiest
		sum += weights[i]
	}
	for i := range o.Merchants {
		shop := seedShops[i%len(seedShops)]
		name := shop.name
		if i >= len(seedShops) {
			name = fmt.Sprintf("%s %d", shop.name, i/len(seedShops)+1)
		}
		sm, err := sb.AddMerchant(ctx, sandbox.Merchant{Name: name, City: shop.city, PostalCode: shop.postal,
			Phone: "628" + seedDigits(s.r, 10), BankAccountName: strings.ToUpper(name), BankName: "BANK BCA", BankCode: "014"})
		if err != nil {
			return err
		}
		id := int64(i + 1)
		at := setup.Add(time.Duration(i+1) * time.Minute)
		if err := r.merchants.add(id, sm.Name, sm.CustID, sm.City, sm.NMID, sm.Phone, sm.StaticQRIS, seedTime(at)); err != nil {
			return err
		}
		owner := s.person(s.owner)
		if err := r.addAudit(at, owner, id, "merchant.create", jsonObject("custIdMerchant", sm.CustID, "name", sm.Name)); err != nil {
			return err
		}
		if err := r.memberships.add(int64(1), id, "owner", seedTime(at)); err != nil {
			return err
		}
		if err := r.qrisCodes.add(id, "static", nil, sm.StaticQRIS, int64(0), "QRIS statis", int64(1), seedTime(at)); err != nil {
			return err
		}
		m := &seedShop{id: id, sb: sm, weight: weights[i] / sum}
		for j, role := range []string{"cashier", "auditor"} {
			uid := r.users.n + 1
			first, last := seedPick(s.r, seedFirstNames), seedPick(s.r, seedLastNames)
			email := fmt.Sprintf("%s.%s.%d@lapak.test", strings.ToLower(first), strings.ToLower(last), uid)
			uat := at.Add(time.Duration(j+1) * time.Second)
			if err := r.users.add(uid, email, first+" "+last, staffHash, 0, "id", seedTime(uat)); err != nil {
				return err
			}
			if err := r.memberships.add(uid, id, role, seedTime(uat)); err != nil {
				return err
			}
			if err := r.addAudit(uat, owner, id, "membership.add", jsonObject("email", email, "role", role)); err != nil {
				return err
			}
			if role == "cashier" {
				m.cashier = seedActor{userID: uid, email: email}
			}
		}
		s.shops = append(s.shops, m)
	}
	return nil
}

// seedMarker is the detail of the "seed.run" audit line the seed writes
// last: what it made, and the highest rowid of each data table, so that a
// later run can tell a database only the seed wrote (replaced) from one
// with anything else in it (refused).
type seedMarker struct {
	Invoices  int              `json:"invoices"`
	Merchants int              `json:"merchants"`
	Days      int              `json:"days"`
	Owner     string           `json:"owner"`
	MaxRowID  map[string]int64 `json:"max_rowid"`
}

// seedDataTables are the tables whose rows make a database "in use".
var seedDataTables = []string{"users", "merchants", "invoices", "callbacks", "payments", "withdrawals", "api_calls",
	"sessions", "cvs_bills", "audit_log"}

func (s *seedStory) marker(o seedOptions) error {
	mk := seedMarker{Invoices: o.Invoices, Merchants: o.Merchants, Days: o.Days, Owner: o.Owner, MaxRowID: map[string]int64{
		"users": s.rows.users.n, "merchants": s.rows.merchants.n, "invoices": s.rows.invoices.n,
		"callbacks": s.rows.callbacks.n, "payments": s.rows.payments.n, "withdrawals": s.rows.withdraw.n,
		"api_calls": s.rows.apiCalls.n, "sessions": 0, "cvs_bills": 0,
	}}
	b, err := json.Marshal(mk)
	if err != nil {
		return err
	}
	return s.rows.addAudit(s.now, seedActor{}, 0, "seed.run", string(b))
}

// checkSeedTarget lets the seed write only into a database that does not
// exist, holds no data (e.g. only migrated), or holds only what an earlier
// seed wrote — that one is deleted with its sandbox state and made anew.
func checkSeedTarget(ctx context.Context, o seedOptions, stdout io.Writer) error {
	if _, err := os.Stat(o.DB); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	state, err := inspectSeedTarget(ctx, o.DB)
	if err != nil {
		return fmt.Errorf("seed: %s is not a Lapak database (%w); seed only a fresh database", o.DB, err)
	}
	switch {
	case state.empty:
		return nil
	case !state.seededOnly:
		return fmt.Errorf("seed: %s holds data the seed did not write (%s): refusing to touch it; seed only a fresh database (a new -db path)",
			o.DB, state.found)
	}
	fmt.Fprintf(stdout, "Replacing %s and %s: they hold only seeded data.\n", o.DB, o.SandboxDB)
	for _, p := range []string{o.DB, o.SandboxDB} {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(p + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("seed: %w", err)
			}
		}
	}
	return nil
}

type seedTargetState struct {
	empty, seededOnly bool
	found             string // e.g. "3 users, 12 invoices" (highest rowids)
}

func inspectSeedTarget(ctx context.Context, path string) (seedTargetState, error) {
	var st seedTargetState
	sqldb, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return st, err
	}
	defer sqldb.Close()
	have := map[string]int64{}
	var found []string
	for _, t := range seedDataTables {
		var n int
		if err := sqldb.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, t).Scan(&n); err != nil {
			return st, err
		}
		if n == 0 {
			continue
		}
		var maxID sql.NullInt64
		if err := sqldb.QueryRowContext(ctx, `SELECT max(rowid) FROM `+t).Scan(&maxID); err != nil {
			return st, err
		}
		if maxID.Int64 > 0 {
			have[t] = maxID.Int64
			found = append(found, fmt.Sprintf("%s up to row %d", t, maxID.Int64))
		}
	}
	st.found = strings.Join(found, ", ")
	if len(have) == 0 {
		st.empty = true
		return st, nil
	}
	var action, detail string
	err = sqldb.QueryRowContext(ctx, `SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&action, &detail)
	if err != nil || action != "seed.run" {
		return st, nil // the last thing that happened was not the seed
	}
	var mk seedMarker
	if json.Unmarshal([]byte(detail), &mk) != nil || mk.MaxRowID == nil {
		return st, nil
	}
	for t, n := range have {
		if t != "audit_log" && mk.MaxRowID[t] != n {
			return st, nil
		}
	}
	st.seededOnly = true
	return st, nil
}
