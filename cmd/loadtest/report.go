package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// report is the table the load test prints.
type report struct {
	rows   []row
	notes  []string
	errors int

	lapakIngest, baselineIngest []sample
	twoIngest                   sample // -postgres: the highest level across two instances
	twoLevel                    int
}

// row is one line of the table. meets is "yes", "no" or "" (no target).
type row struct {
	what, lapak, ref, ratio, target, meets string
}

// Row names the test (and readers) rely on.
const (
	rowSeed        = "Seeding"
	rowIngest      = "Callback ingest, distinct, c=%d"
	rowLastFirst   = "%s: last page vs first page at %s"
	rowClients     = "%d signed-in clients, dashboard + list, %s"
	rowExportRate  = "/invoices.csv, rows/s"
	rowExportFirst = "/invoices.csv, first byte"
	rowExportRSS   = "/invoices.csv, peak RSS"
	rowHealthz     = "/healthz p99 while the %s export streams"
	rowCallbackDur = "Callback p99 while the %s export streams"
	rowIdleRSS     = "Idle RSS"
	rowCold        = "Cold start"
	rowCopy        = "Copy into PostgreSQL (migrate-to-postgres)"
	rowTwo         = "Callback ingest, 2 instances vs 1, c=%d"
)

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "0 ms"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func meets(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func errNote(s sample) string {
	if s.errs == 0 {
		return ""
	}
	return fmt.Sprintf(", **%d errors** (%s)", s.errs, s.firstErr)
}

// build turns the measurements into rows.
func (r *report) build(lt *loadTest) {
	small, big := lt.sizes[0], lt.sizes[1]
	sl, bl := small.label, big.label

	if big.seed.reused {
		r.rows = append(r.rows, row{rowSeed, "databases reused (-keep)", "", "", "≥ 100k rows/s", ""})
	} else {
		r.rows = append(r.rows, row{rowSeed,
			fmt.Sprintf("%s DB: %d rows in %s, %.0f rows/s", bl, big.seed.rows, big.seed.took.Round(time.Millisecond), big.seed.rate()),
			fmt.Sprintf("%s DB: %.0f rows/s", sl, small.seed.rate()), "", "≥ 100k rows/s", meets(big.seed.rate() >= 100_000)})
	}

	if big.url != "" {
		r.rows = append(r.rows, row{rowCopy,
			fmt.Sprintf("%s DB: %d rows in %s, %.0f rows/s", bl, big.copied.rows, big.copied.took.Round(time.Millisecond), big.copied.rate()),
			fmt.Sprintf("%s DB: %.0f rows/s", sl, small.copied.rate()), "", "", ""})
	}

	for i, c := range lt.cfg.Levels {
		if i >= len(r.lapakIngest) || i >= len(r.baselineIngest) {
			break
		}
		l, b := r.lapakIngest[i], r.baselineIngest[i]
		want := 1.0
		if c == 1 {
			want = 0.8
		}
		tr := l.rate() / max(b.rate(), 1e-9)
		p99 := float64(l.pct(0.99)) / max(float64(b.pct(0.99)), 1)
		r.rows = append(r.rows, row{fmt.Sprintf(rowIngest, c),
			fmt.Sprintf("%.0f req/s, p50 %s, p99 %s, CPU %s/req%s", l.rate(), ms(l.pct(0.5)), ms(l.pct(0.99)), ms(l.cpuPerReq()), errNote(l)),
			fmt.Sprintf("%.0f req/s, p50 %s, p99 %s, CPU %s/req%s", b.rate(), ms(b.pct(0.5)), ms(b.pct(0.99)), ms(b.cpuPerReq()), errNote(b)),
			fmt.Sprintf("%.2f× (p99 %.1f×)", tr, p99),
			fmt.Sprintf("≥ %.1f×, p99 ≤ 2×", want), meets(tr >= want && p99 <= 2 && l.errs == 0)})
	}

	if r.twoLevel > 0 && len(r.lapakIngest) > 0 {
		two, one := r.twoIngest, r.lapakIngest[len(r.lapakIngest)-1]
		tr := two.rate() / max(one.rate(), 1e-9)
		r.rows = append(r.rows, row{fmt.Sprintf(rowTwo, r.twoLevel),
			fmt.Sprintf("2 instances: %.0f req/s, p50 %s, p99 %s%s", two.rate(), ms(two.pct(0.5)), ms(two.pct(0.99)), errNote(two)),
			fmt.Sprintf("1 instance: %.0f req/s, p50 %s, p99 %s", one.rate(), ms(one.pct(0.5)), ms(one.pct(0.99))),
			fmt.Sprintf("%.2f×", tr), "", ""})
	}

	for _, p := range pageProbes {
		s, b := small.pages[p.name], big.pages[p.name]
		rt := float64(b.pct(0.5)) / max(float64(s.pct(0.5)), 1)
		r.rows = append(r.rows, row{p.name + " (p50)",
			fmt.Sprintf("%s: %s%s", bl, ms(b.pct(0.5)), errNote(b)), fmt.Sprintf("%s: %s%s", sl, ms(s.pct(0.5)), errNote(s)),
			fmt.Sprintf("%.2f×", rt), "≤ 3×", meets(rt <= 3 && b.errs == 0 && s.errs == 0)})
	}
	for _, pair := range [][3]string{{"Invoices", probeInvoicesLast, probeInvoicesFirst}, {"Notifications", probeNotifLast, probeNotifFirst},
		{"Audit log", probeAuditLast, probeAuditFirst}} {
		last, first := big.pages[pair[1]].pct(0.5), big.pages[pair[2]].pct(0.5)
		rt := float64(last) / max(float64(first), 1)
		r.rows = append(r.rows, row{fmt.Sprintf(rowLastFirst, pair[0], bl), "last: " + ms(last), "first: " + ms(first),
			fmt.Sprintf("%.2f×", rt), "≤ 1.5×", meets(rt <= 1.5)})
	}

	cb, cs := big.clients, small.clients
	rt := cb.rate() / max(cs.rate(), 1e-9)
	r.rows = append(r.rows, row{fmt.Sprintf(rowClients, lt.cfg.Clients, lt.cfg.ClientsFor),
		fmt.Sprintf("%s: %.1f req/s, p99 %s, %d errors", bl, cb.rate(), ms(cb.pct(0.99)), cb.errs),
		fmt.Sprintf("%s: %.1f req/s, p99 %s, %d errors", sl, cs.rate(), ms(cs.pct(0.99)), cs.errs),
		fmt.Sprintf("%.2f×", rt), "≥ 0.7×, 0 errors", meets(rt >= 0.7 && cb.errs == 0 && cs.errs == 0)})
	if cb.errs+cs.errs > 0 {
		r.notes = append(r.notes, "clients' first error: "+cb.firstErr+cs.firstErr)
	}

	xb, xs := big.export, small.export
	r.rows = append(r.rows,
		row{rowExportRate, fmt.Sprintf("%s: %d rows in %s, %.0f rows/s", bl, xb.rows, ms(xb.took), xb.rate()),
			fmt.Sprintf("%s: %.0f rows/s", sl, xs.rate()), "", "≥ 200k rows/s", meets(xb.rate() >= 200_000)},
		row{rowExportFirst, bl + ": " + ms(xb.firstByte), sl + ": " + ms(xs.firstByte), "", "< 200 ms", meets(xb.firstByte < 200*time.Millisecond)},
		row{rowExportRSS, bl + ": " + mb(xb.peakRSS) + " (" + mb(xb.rssBefore) + " before)",
			sl + ": " + mb(xs.peakRSS) + " (" + mb(xs.rssBefore) + " before)", "", "< 64 MB", meets(xb.peakRSS > 0 && xb.peakRSS < 64<<20)})
	if xb.rssNote != "" {
		r.notes = append(r.notes, "export peak RSS: "+xb.rssNote)
	}
	d := xb.during
	r.rows = append(r.rows,
		row{fmt.Sprintf(rowHealthz, bl), fmt.Sprintf("%s (%d requests in %s)%s", ms(d.health.pct(0.99)), d.health.n, ms(d.exportTook), errNote(d.health)),
			"", "", "< 100 ms", meets(d.health.n > 0 && d.health.errs == 0 && d.health.pct(0.99) < 100*time.Millisecond)},
		row{fmt.Sprintf(rowCallbackDur, bl), fmt.Sprintf("%s (%d callbacks)%s", ms(d.callbacks.pct(0.99)), d.callbacks.n, errNote(d.callbacks)),
			"", "", "< 200 ms", meets(d.callbacks.n > 0 && d.callbacks.errs == 0 && d.callbacks.pct(0.99) < 200*time.Millisecond)},
		row{rowIdleRSS, bl + ": " + mb(big.idleRSS), sl + ": " + mb(small.idleRSS), "", "< 40 MB", meets(big.idleRSS > 0 && big.idleRSS < 40<<20)},
		row{rowCold, bl + ": " + ms(big.cold), sl + ": " + ms(small.cold), "", "< 0.5 s", meets(big.cold < 500*time.Millisecond)},
	)
}

// markdown renders the table with the run's conditions.
func (r *report) markdown(cfg config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Lapak load test (%s, %d CPUs, GOMAXPROCS %d, %s)\n\n", time.Now().Format("2006-01-02 15:04 MST"),
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	engine := "baseline = bare net/http + one INSERT, WAL, synchronous=FULL"
	if cfg.Postgres != "" {
		engine = fmt.Sprintf("**Lapak on PostgreSQL** (the seeded files copied with `lapak migrate-to-postgres`), "+
			"baseline = bare net/http + one INSERT into PostgreSQL through %d connections", pgWriterPool)
	}
	fmt.Fprintf(&b, "Databases: %d and %d invoices at %d shop(s) over %d days (`lapak seed`). Callback ingest: %s per level, "+
		"Lapak on the big database, then (after %s) the baseline, level by level: %s. "+
		"CPU/req: the server process's CPU time (all threads) over the requests it answered. Pages: p50 of %d requests. "+
		"The export alone streams after the page probes and before the clients; its peak RSS is VmHWM while it streams "+
		"(reset just before), next to the RSS just before it. Lapak runs as a child process; RSS and CPU time from /proc.\n\n",
		cfg.Small, cfg.Big, cfg.Merchants, cfg.Days, cfg.IngestFor, cfg.IngestSettle, engine, cfg.Reps)
	b.WriteString("| What | Lapak | Baseline / reference | Ratio | Target | Meets |\n|---|---|---|---|---|---|\n")
	for _, x := range r.rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", x.what, x.lapak, x.ref, x.ratio, x.target, x.meets)
	}
	for _, n := range r.notes {
		fmt.Fprintf(&b, "\n- %s", n)
	}
	fmt.Fprintf(&b, "\nFailed requests: %d\n", r.errors)
	return b.String()
}
