package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// buildLapak builds cmd/web into the work directory (or takes -lapak).
func buildLapak(ctx context.Context, cfg config, say func(string, ...any)) (string, error) {
	if cfg.Lapak != "" {
		return cfg.Lapak, nil
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	if root == "." || root == "" {
		return "", errors.New("run the load test inside the Lapak module (or pass -lapak)")
	}
	bin := filepath.Join(cfg.Dir, "lapak")
	say("building Lapak (go build ./cmd/web)")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/web")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/web: %w\n%s", err, b)
	}
	return bin, nil
}

// childEnv is the environment of Lapak and the baseline: only what a
// process needs to run, so that no NETZME_* or LAPAK_* of the caller's
// shell changes what is measured.
func childEnv(extra ...string) []string {
	env := []string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// seedResult is what `lapak seed` reported.
type seedResult struct {
	rows    int64
	took    time.Duration
	reused  bool
	summary string
}

func (s seedResult) rate() float64 {
	if s.took <= 0 {
		return 0
	}
	return float64(s.rows) / s.took.Seconds()
}

var seedLine = regexp.MustCompile(`(\d+) rows in (\S+) \(`)

// seedDatabase runs `lapak seed` unless -keep left a database there.
func seedDatabase(ctx context.Context, bin, path string, invoices int, cfg config, say func(string, ...any)) (seedResult, error) {
	if _, err := os.Stat(path); err == nil && cfg.Keep {
		say("using the database already in %s", path)
		return seedResult{reused: true}, nil
	}
	say("seeding %d invoices into %s", invoices, path)
	cmd := exec.CommandContext(ctx, bin, "seed", "-db", path, "-invoices", strconv.Itoa(invoices), "-merchants",
		strconv.Itoa(cfg.Merchants), "-days", strconv.Itoa(cfg.Days), "-owner", ownerEmail, "-password", ownerPassword)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return seedResult{}, fmt.Errorf("lapak seed: %w\n%s", err, out)
	}
	m := seedLine.FindStringSubmatch(string(out))
	if m == nil {
		return seedResult{}, fmt.Errorf("lapak seed: unexpected output:\n%s", out)
	}
	rows, _ := strconv.ParseInt(m[1], 10, 64)
	took, err := time.ParseDuration(m[2])
	if err != nil {
		return seedResult{}, fmt.Errorf("lapak seed: duration %q: %w", m[2], err)
	}
	say("%s", strings.TrimSpace(string(out)))
	return seedResult{rows: rows, took: took, summary: strings.TrimSpace(string(out))}, nil
}

// appProc is Lapak running as a child process.
type appProc struct {
	cmd       *exec.Cmd
	base      string
	coldStart time.Duration
	log       *os.File
	exited    chan struct{}
}

// freePort asks the kernel for a free loopback port.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startApp runs Lapak on the database at path with the embedded sandbox,
// both on loopback, logging to a file in dir, and waits until it is ready;
// extra is more environment (LAPAK_DATABASE_URL).
// coldStart is the time from exec to the first 200 from /readyz (or
// /healthz on a build without it).
func startApp(ctx context.Context, bin, path, dir, name string, extra ...string) (*appProc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = childEnv(append([]string{"LAPAK_ADDR=" + addr, "LAPAK_SANDBOX_ADDR=127.0.0.1:0", "LAPAK_DB=" + path,
		"LAPAK_LOG_FORMAT=json", "NETZME_CALLBACK_TOKEN=" + callbackToken, "LAPAK_SHUTDOWN_TIMEOUT=5s"}, extra...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	p := &appProc{cmd: cmd, base: "http://" + addr, log: logf, exited: make(chan struct{})}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start Lapak: %w", err)
	}
	go func() { cmd.Wait(); close(p.exited) }()
	probe := "/readyz"
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		res, err := c.Get(p.base + probe)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				p.coldStart = time.Since(start)
				return p, nil
			}
			if res.StatusCode == http.StatusNotFound && probe == "/readyz" {
				probe = "/healthz"
				continue
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("Lapak exited during start-up; see %s", logf.Name())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("Lapak not ready after 3 minutes; see %s", logf.Name())
		}
	}
}

// stop sends SIGTERM, as an operator would, and kills after 20 s.
func (p *appProc) stop() {
	if p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
	p.log.Close()
}

// memory reads the process's resident set and its peak (VmRSS, VmHWM), in
// bytes, from /proc.
func (p *appProc) memory() (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, sc.Err()
}

// resetPeak resets VmHWM to the current RSS (Linux 4.0+, writing 5 to
// clear_refs), so that a peak can be read for one phase.
func (p *appProc) resetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}
