package handlers

import (
	"sync"
	"time"
)

// limiter counts failures per key in a sliding window. It lives in memory:
// a restart forgets the counts, which is acceptable for a single-process
// back office and keeps a database write out of every failed login.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, fails: map[string][]time.Time{}}
}

// take reserves one attempt for key: if key is under its limit, the attempt
// is counted now (as a failure until undone) and take returns true; else it
// returns false and how long until an attempt frees up. Counting before the
// password check means concurrent requests cannot all slip under the limit.
func (l *limiter) take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	recent := l.prune(key, now)
	if len(recent) >= l.max {
		return false, recent[0].Add(l.window).Sub(now)
	}
	l.fails[key] = append(recent, now)
	l.sweep(now)
	return true, 0
}

// undo gives back the most recent attempt of key (it turned out not to be a
// failure).
func (l *limiter) undo(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ts := l.fails[key]; len(ts) > 1 {
		l.fails[key] = ts[:len(ts)-1]
	} else {
		delete(l.fails, key)
	}
}

// sweep bounds memory under a spray of distinct keys; the caller holds mu.
func (l *limiter) sweep(now time.Time) {
	if len(l.fails) > 10_000 {
		for k := range l.fails {
			if len(l.prune(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
}

// reset forgets key's failures (after a successful login for that account).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// prune drops failures older than the window; the caller holds mu.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}
