package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"lapak/db"
	"lapak/internal/clocktest"
)

// crashChildEnv makes the test binary, re-executed by
// TestKillNineLosesNoAcknowledgedCallback, run Lapak as main does.
const crashChildEnv = "LAPAK_TEST_KILL9_CHILD"

// crashQRISBody is a static-QRIS payment callback (§3.16) of rrn.
func crashQRISBody(rrn string) string {
	return fmt.Sprintf(`{"originalReferenceNo":%q,"amount":{"value":"10000.00","currency":"IDR"},"netAmount":{"value":"9930.00","currency":"IDR"},
"feeAmount":{"value":"70.00","currency":"IDR"},"latestTransactionStatus":"00","transactionStatusDesc":"Success",
"additionalInfo":{"invoiceNumber":"1","custIdMerchant":"M_KILL0001","buyerFullname":"Pembeli","issuerName":"Netzme",
"type":"pay_qris","rrn":%q,"localTrasactionDate":"20261121","issuerId":"93600814"}}`, rrn, rrn)
}

// Lapak is killed with SIGKILL while callbacks pour in (some of them sent
// twice, concurrently). Reopened, the database holds every callback that was
// acknowledged with 2000000, each applied exactly once: one payment per
// acknowledged event, none left half-done.
func TestKillNineLosesNoAcknowledgedCallback(t *testing.T) {
	if os.Getenv(crashChildEnv) == "1" {
		err := run(context.Background(), []string{"lapak"}, os.Getenv)
		fmt.Fprintln(os.Stderr, "lapak child:", err)
		os.Exit(3)
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "lapak.db")
	const token = "a2lsbC1uaW5lLWNhbGxiYWNrLXRva2VuLTAwMQ"
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillNineLosesNoAcknowledgedCallback$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1",
		"LAPAK_ADDR=127.0.0.1:0", "LAPAK_SANDBOX_ADDR=127.0.0.1:0", "LAPAK_DB="+dbPath,
		"LAPAK_ADMIN_EMAIL=admin@toko.test", "LAPAK_ADMIN_PASSWORD=rahasia-sekali-123",
		"NETZME_BASE_URL=", "NETZME_MERCHANT_ID=M_KILL0001", "NETZME_CALLBACK_TOKEN="+token,
		"LAPAK_LOG_FORMAT=json", "LAPAK_LOG_LEVEL=error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	urlc := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u := re.FindString(sc.Text()); u != "" {
				urlc <- u
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case base = <-urlc:
	case <-time.After(60 * time.Second):
		t.Fatalf("the child did not start:\n%s", stderr.String())
	}

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	send := func(rrn string) (bool, error) {
		req, _ := http.NewRequest(http.MethodPost, base+"/callbacks/netzme/qris", strings.NewReader(crashQRISBody(rrn)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-callback-token", token)
		res, err := client.Do(req)
		if err != nil {
			return false, err
		}
		defer res.Body.Close()
		var ack struct {
			ResponseCode string `json:"responseCode"`
		}
		if err := json.NewDecoder(res.Body).Decode(&ack); err != nil {
			return false, err
		}
		return res.StatusCode == 200 && ack.ResponseCode == "2000000", nil
	}
	var (
		mu        sync.Mutex
		acked     = map[string]bool{}
		nAcked    atomic.Int64
		refused   atomic.Int64 // answered, but not 2000000
		cutOff    atomic.Int64 // no answer: in flight when the process died
		wg        sync.WaitGroup
		enough    = make(chan struct{})
		enoughOne sync.Once
	)
	const senders, target = 32, 400
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				rrn := fmt.Sprintf("K%02d%09d", g, i)
				copies := 1
				if i%4 == 0 {
					copies = 2 // the same event delivered twice at once
				}
				var inner sync.WaitGroup
				var stop atomic.Bool
				for range copies {
					inner.Add(1)
					go func() {
						defer inner.Done()
						ok, err := send(rrn)
						switch {
						case err != nil:
							cutOff.Add(1)
							stop.Store(true)
						case !ok:
							refused.Add(1)
						default:
							mu.Lock()
							acked[rrn] = true
							mu.Unlock()
							if nAcked.Add(1) >= target {
								enoughOne.Do(func() { close(enough) })
							}
						}
					}()
				}
				inner.Wait()
				if stop.Load() {
					return
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(120 * time.Second):
		t.Fatalf("only %d callbacks acknowledged in 2 minutes:\n%s", nAcked.Load(), stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	cmd.Wait()
	wg.Wait()
	if refused.Load() != 0 {
		t.Errorf("%d callbacks answered without 2000000 before the kill", refused.Load())
	}
	if cutOff.Load() == 0 {
		t.Fatal("no callback was in flight when the process died: the kill did not land mid-flight")
	}

	d, err := db.Open(t.Context(), dbPath, clocktest.Running(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var check string
	if err := d.SQL().QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	payments := map[string]int{}
	rows, err := d.SQL().Query(`SELECT rrn, count(*) FROM payments GROUP BY rrn`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var rrn string
		var n int
		rows.Scan(&rrn, &n)
		payments[rrn] = n
	}
	rows.Close()
	taken := map[string]int{}
	rows, err = d.SQL().Query(`SELECT reference_no, status, reason FROM callbacks`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var rrn, status, reason string
		rows.Scan(&rrn, &status, &reason)
		switch {
		case status == "needs_review" && reason == "static_qris":
			taken[rrn]++
		case status == "duplicate":
		default:
			t.Errorf("callback %s left %s/%s", rrn, status, reason)
		}
	}
	rows.Close()
	lost := 0
	for rrn := range acked {
		if payments[rrn] != 1 || taken[rrn] != 1 {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged event %s: %d payments, %d callbacks applying it; want 1 and 1", rrn, payments[rrn], taken[rrn])
			}
		}
	}
	for rrn, n := range payments {
		if n != 1 || taken[rrn] != 1 {
			t.Errorf("event %s: %d payments, %d callbacks applying it; want 1 and 1", rrn, n, taken[rrn])
		}
	}
	t.Logf("%d events acknowledged, %d stored (some committed but cut off before their answer), %d requests cut off by the kill",
		len(acked), len(payments), cutOff.Load())
}
