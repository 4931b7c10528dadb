package handlers

import (
	"context"
	"strconv"
	"time"

	"lapak/db"
)

// Sign-in throttling (issue 13 §6). Failures are counted per key in the
// database, so a restart does not hand an attacker fresh attempts:
//
//   - acct:<email>|<address> — one account from one client address. A
//     stranger's guesses from their address never slow the owner down at
//     the counter: the owner's address has a key of its own.
//   - addr:<address> — everything from one address (password spraying over
//     many accounts).
//   - totp:<user id> — wrong second-factor codes of one account from
//     anywhere. Whoever gets here knows the password already, so slowing
//     this account down everywhere costs its owner little and stops a
//     guesser with many addresses.
//
// Past a key's free failures each attempt must wait: 1 s after the last
// failure, then 2 s, 4 s … up to 15 minutes. A key idle for an hour is
// forgotten. An attempt is counted up front (so concurrent guesses cannot
// all slip under the limit) and given back when it turns out right.
const (
	accountFailures = 5  // free failures per account and address
	addressFailures = 20 // free failures per address, over all accounts
	totpFailures    = 5  // free wrong codes per account, from anywhere

	throttleFirst  = time.Second
	throttleCap    = 15 * time.Minute
	throttleForget = time.Hour
)

// throttleKey is one counter an attempt is charged to.
type throttleKey struct {
	key  string
	free int
}

func accountAddressKey(email, ip string) throttleKey {
	return throttleKey{"acct:" + email + "|" + ip, accountFailures}
}

func addressKey(ip string) throttleKey { return throttleKey{"addr:" + ip, addressFailures} }

func totpKey(userID int64) throttleKey {
	return throttleKey{"totp:" + strconv.FormatInt(userID, 10), totpFailures}
}

// throttleDelay is how long after the newest of failures the next attempt
// must wait.
func throttleDelay(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	if n := failures - free; n < 20 {
		return min(throttleFirst<<n, throttleCap)
	}
	return throttleCap
}

// attempt is a sign-in step that passed the throttle and was counted as a
// failure on each of its keys until succeeded gives the counts back.
type attempt struct {
	h    *Handler
	at   time.Time
	keys []throttleKey
	prev []time.Time // each key's newest failure before this attempt (at when none)
}

// beginAttempt checks every key at the handler's clock. When any key must
// still wait, nothing is counted and it returns nil and the longest wait;
// otherwise the attempt is counted on every key and returned.
func (h *Handler) beginAttempt(ctx context.Context, keys ...throttleKey) (*attempt, time.Duration, error) {
	at := h.now()
	a := &attempt{h: h, at: at, keys: keys}
	var wait time.Duration
	err := h.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.ForgetLoginFailures(ctx, at.Add(-throttleForget)); err != nil {
			return err
		}
		a.prev, wait = a.prev[:0], 0 // a retried run starts over (db.DB.InTx)
		for _, k := range keys {
			f, err := tx.LoginFailures(ctx, k.key)
			if err != nil {
				return err
			}
			if f.Failures > 0 {
				wait = max(wait, f.LastAt.Add(throttleDelay(f.Failures, k.free)).Sub(at))
				a.prev = append(a.prev, f.LastAt)
			} else {
				a.prev = append(a.prev, at)
			}
		}
		if wait > 0 {
			return nil
		}
		for _, k := range keys {
			if err := tx.AddLoginFailure(ctx, k.key, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if wait > 0 {
		return nil, wait, nil
	}
	return a, 0, nil
}

// succeeded gives the attempt back on every key (it was not a guess) and
// forgets clear's failures altogether (the person proved who they are).
func (a *attempt) succeeded(ctx context.Context, clear ...throttleKey) error {
	for i, k := range a.keys {
		if err := a.h.db.UndoLoginFailure(ctx, k.key, a.at, a.prev[i]); err != nil {
			return err
		}
	}
	for _, k := range clear {
		if err := a.h.db.ClearLoginFailures(ctx, k.key); err != nil {
			return err
		}
	}
	return nil
}

// retryAfter is the Retry-After header value for wait: whole seconds,
// rounded up.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(int((wait + time.Second - 1) / time.Second))
}
