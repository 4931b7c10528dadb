package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the load test's settings; -quick swaps in tiny ones.
type config struct {
	Small, Big      int // invoices in the two databases
	Merchants, Days int
	Levels          []int         // callback concurrency levels
	IngestFor       time.Duration // per level
	IngestSettle    time.Duration // pause between Lapak's level and the baseline's
	Clients         int
	ClientsFor      time.Duration
	Reps            int // requests per page probe
	ProbeFor        time.Duration
	Dir             string
	Keep            bool
	Lapak           string // a built Lapak; "" = go build ./cmd/web
	Out             string
	Timeout         time.Duration
	Postgres        string // a PostgreSQL server: Lapak runs on PostgreSQL (postgres.go)
}

// Who signs in to the seeded databases.
const (
	ownerEmail    = "pemilik@lapak.test"
	ownerPassword = "loadtest-rahasia-123"
	callbackToken = "loadtest-callback-token-0123456789abcdef"
)

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var quick bool
	var levels string
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&quick, "quick", false, "tiny sizes and durations (a smoke test; flags given too still win)")
	fs.IntVar(&c.Small, "small", 10_000, "invoices in the small database")
	fs.IntVar(&c.Big, "big", 1_000_000, "invoices in the big database")
	fs.IntVar(&c.Merchants, "merchants", 1, "shops in each database (1: every list holds every row)")
	fs.IntVar(&c.Days, "days", 365, "days of history in each database")
	fs.StringVar(&levels, "levels", "1,16,64", "callback ingest concurrency levels")
	fs.DurationVar(&c.IngestFor, "ingest-for", 10*time.Second, "callback ingest time per level (Lapak and baseline each)")
	fs.DurationVar(&c.IngestSettle, "ingest-settle", 11*time.Second,
		"pause after Lapak's ingest at each level before the baseline's (Lapak's background checkpoint of it runs within 10 s)")
	fs.IntVar(&c.Clients, "clients", 50, "signed-in clients loading dashboard + list")
	fs.DurationVar(&c.ClientsFor, "clients-for", 20*time.Second, "how long the clients run, per database")
	fs.IntVar(&c.Reps, "reps", 20, "requests per page probe")
	fs.DurationVar(&c.ProbeFor, "probe-for", 30*time.Second, "time limit of one page probe (at least 3 requests)")
	fs.StringVar(&c.Dir, "dir", "", "work directory (default: a new temporary one)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the work directory; a database already there is used as it is, not seeded again")
	fs.StringVar(&c.Lapak, "lapak", "", "Lapak binary to test (default: go build ./cmd/web)")
	fs.StringVar(&c.Out, "out", "", "also write the table to this file")
	fs.DurationVar(&c.Timeout, "timeout", 2*time.Hour, "stop everything after this long")
	fs.StringVar(&c.Postgres, "postgres", "", "PostgreSQL server (postgres://… or host=/socket/dir user=…) on which to create the databases: "+
		"Lapak runs on PostgreSQL, the baseline inserts into it, and 2 instances are measured against 1; "+
		"it creates databases lapak_loadtest_* there, replacing any of that name, and drops them at the end unless -keep")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		q := config{Small: 400, Big: 1500, Days: 20, IngestFor: time.Second, Clients: 4, ClientsFor: 2 * time.Second,
			Reps: 3, ProbeFor: 5 * time.Second, Timeout: 10 * time.Minute}
		for name, apply := range map[string]func(){
			"small": func() { c.Small = q.Small }, "big": func() { c.Big = q.Big }, "days": func() { c.Days = q.Days },
			"ingest-for": func() { c.IngestFor = q.IngestFor }, "ingest-settle": func() { c.IngestSettle = q.IngestSettle },
			"clients": func() { c.Clients = q.Clients }, "clients-for": func() { c.ClientsFor = q.ClientsFor },
			"reps": func() { c.Reps = q.Reps }, "probe-for": func() { c.ProbeFor = q.ProbeFor },
			"timeout": func() { c.Timeout = q.Timeout },
		} {
			if !set[name] {
				apply()
			}
		}
	}
	for _, s := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return c, fmt.Errorf("-levels %q: want numbers 1 to 1024", levels)
		}
		c.Levels = append(c.Levels, n)
	}
	switch {
	case c.Small < 100 || c.Big < c.Small:
		return c, errors.New("-small must be at least 100 and -big at least -small")
	case c.Clients < 1 || c.Clients > 500:
		return c, errors.New("-clients: 1 to 500")
	case c.Reps < 1:
		return c, errors.New("-reps: at least 1")
	}
	return c, nil
}

// run is the whole load test; it returns the report it printed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (*report, error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if cfg.Dir == "" {
		if cfg.Dir, err = os.MkdirTemp("", "lapak-loadtest-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(cfg.Dir)
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "loadtest: "+format+"\n", a...) }
	lt := &loadTest{cfg: cfg, say: say, rep: &report{}}
	defer lt.dropPostgres()
	if err := lt.all(ctx); err != nil {
		return lt.rep, err
	}
	table := lt.rep.markdown(cfg)
	fmt.Fprint(stdout, table)
	if cfg.Out != "" {
		if err := os.WriteFile(cfg.Out, []byte(table), 0o644); err != nil {
			return lt.rep, err
		}
	}
	return lt.rep, nil
}

// loadTest holds one run's state.
type loadTest struct {
	cfg   config
	say   func(string, ...any)
	rep   *report
	bin   string
	sizes [2]*dbSize // small, big

	ingestBudget int      // callbacks per ingest level: the open invoices there are to pay, shared out
	pgDatabases  []string // PostgreSQL databases this run created (-postgres)
}

// dbSize is one seeded database and what was measured on it.
type dbSize struct {
	label    string // "10k", "1M"
	invoices int
	path     string
	seed     seedResult
	url      string     // its PostgreSQL copy (-postgres), else ""
	copied   copyResult // how the copy went
	cold     time.Duration
	idleRSS  int64
	pages    map[string]sample
	clients  sample
	export   exportResult
}

func (lt *loadTest) all(ctx context.Context) error {
	var err error
	if lt.bin, err = buildLapak(ctx, lt.cfg, lt.say); err != nil {
		return err
	}
	lt.sizes = [2]*dbSize{
		{label: sizeLabel(lt.cfg.Small), invoices: lt.cfg.Small, path: filepath.Join(lt.cfg.Dir, "small.db")},
		{label: sizeLabel(lt.cfg.Big), invoices: lt.cfg.Big, path: filepath.Join(lt.cfg.Dir, "big.db")},
	}
	for _, s := range lt.sizes {
		if s.seed, err = seedDatabase(ctx, lt.bin, s.path, s.invoices, lt.cfg, lt.say); err != nil {
			return err
		}
	}
	// The seed writes without fsync; gigabytes of its pages would otherwise
	// still be on their way to the disk while the first measurements run,
	// and every commit (fsync'd) would wait behind them.
	lt.say("flushing the seeded files to disk")
	syscall.Sync()
	if lt.cfg.Postgres != "" {
		if err := lt.toPostgres(ctx); err != nil {
			return err
		}
	}
	for i, s := range lt.sizes {
		if err := lt.measureSize(ctx, s, i == 1); err != nil {
			return err
		}
	}
	lt.rep.build(lt)
	return nil
}

func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// measureSize starts Lapak on one database and measures it; on the big
// one also the export under load and callback ingest (against the
// baseline), which come last because ingest pays the seeded open invoices.
func (lt *loadTest) measureSize(ctx context.Context, s *dbSize, big bool) error {
	lt.say("starting Lapak on the %s database", s.label)
	app, err := startApp(ctx, lt.bin, s.path, lt.cfg.Dir, "app-"+s.label, s.appEnv()...)
	if err != nil {
		return err
	}
	defer app.stop()
	s.cold = app.coldStart
	time.Sleep(2 * time.Second) // let start-up work (resolver pass) settle
	if rss, _, err := app.memory(); err == nil {
		s.idleRSS = rss
	}
	env, err := newProbeEnv(ctx, app, s.path)
	if err != nil {
		return err
	}
	lt.say("%s: page probes", s.label)
	s.pages = map[string]sample{}
	for _, p := range pageProbes {
		smp, err := env.probe(ctx, p, lt.cfg.Reps, lt.cfg.ProbeFor)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", s.label, p.name, err)
		}
		s.pages[p.name] = smp
		lt.rep.errors += smp.errs
	}
	// The export alone comes before the clients: its peak memory is the
	// export's, not what fifty sign-ins (argon2id, 19 MiB each) and their
	// pages left the heap holding.
	lt.say("%s: export", s.label)
	if s.export, err = env.exportAlone(ctx, app); err != nil {
		return err
	}
	lt.say("%s: %d clients for %s", s.label, lt.cfg.Clients, lt.cfg.ClientsFor)
	if s.clients, err = env.clients(ctx, lt.cfg.Clients, lt.cfg.ClientsFor); err != nil {
		return err
	}
	lt.rep.errors += s.clients.errs
	if !big {
		return nil
	}
	feed, err := loadPending(ctx, s.path, time.Now())
	if err != nil {
		return err
	}
	lt.say("%s: export with /healthz and callbacks alongside (%d open invoices to pay)", s.label, feed.left())
	if s.export.during, err = env.exportUnderProbes(ctx, feed); err != nil {
		return err
	}
	lt.rep.errors += s.export.during.health.errs + s.export.during.callbacks.errs
	shares := len(lt.cfg.Levels)
	if lt.cfg.Postgres != "" {
		shares++ // and the two instances
	}
	lt.ingestBudget = feed.left() / max(1, shares) // the same share for every level
	if err := lt.ingestLevels(ctx, s.label, app, env.base, feed); err != nil {
		return err
	}
	if lt.cfg.Postgres != "" {
		return lt.twoInstances(ctx, s, app, feed)
	}
	return nil
}

// ingestLevels runs the callback load level by level, Lapak's and then the
// bare baseline's at each level, with the same time and the same cap. One
// level's two measurements are seconds apart, not minutes (the baseline
// used to run after every level of Lapak), so that a machine whose load
// changes meanwhile — this one is shared — weighs on both sides of a
// ratio alike. Between the two, a pause lets Lapak's background
// checkpoint of its level run before the baseline's starts, not during it.
func (lt *loadTest) ingestLevels(ctx context.Context, label string, app *appProc, base string, f *feed) error {
	lt.say("baseline: bare net/http + one insert")
	pg, err := lt.baselinePostgres(ctx)
	if err != nil {
		return err
	}
	b, err := startBaseline(ctx, lt.cfg.Dir, pg)
	if err != nil {
		return err
	}
	defer b.stop()
	for _, c := range lt.cfg.Levels {
		lt.say("%s: callback ingest at c=%d for %s (at most %d callbacks), then the baseline's", label, c, lt.cfg.IngestFor, lt.ingestBudget)
		smp := ingest(ctx, app.cmd.Process.Pid, c, lt.cfg.IngestFor, lt.ingestBudget, lapakCallback(base, f))
		lt.rep.lapakIngest = append(lt.rep.lapakIngest, smp)
		lt.rep.errors += smp.errs
		select {
		case <-time.After(lt.cfg.IngestSettle):
		case <-ctx.Done():
			return ctx.Err()
		}
		smp = ingest(ctx, b.cmd.Process.Pid, c, lt.cfg.IngestFor, lt.ingestBudget, baselineCallback(b.url))
		lt.rep.baselineIngest = append(lt.rep.baselineIngest, smp)
		lt.rep.errors += smp.errs
	}
	return nil
}
