package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LoginFailures is the failed-attempt count of one throttle key. The zero
// value (Failures 0) means no recorded failure.
type LoginFailures struct {
	Key      string
	Failures int
	LastAt   time.Time // when the newest failure was counted
}

// LoginFailures returns the count of key, the zero LoginFailures (with Key
// set) when there is none. It is a Tx method so that checking the count and
// counting the attempt are one step, even for concurrent attempts.
func (tx *Tx) LoginFailures(ctx context.Context, key string) (LoginFailures, error) {
	f := LoginFailures{Key: key}
	var last string
	err := tx.tx.QueryRowContext(ctx,
		`SELECT failures, last_failure_at FROM login_throttle WHERE key = ?`, key,
	).Scan(&f.Failures, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	} else if err != nil {
		return f, fmt.Errorf("db: login failures: %w", err)
	}
	if f.LastAt, err = parseTime(last); err != nil {
		return f, err
	}
	return f, nil
}

// AddLoginFailure counts one failure of key at at.
func (tx *Tx) AddLoginFailure(ctx context.Context, key string, at time.Time) error {
	_, err := tx.tx.ExecContext(ctx,
		`INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (?, 1, ?)
		 ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = excluded.last_failure_at`,
		key, formatTime(at))
	if err != nil {
		return fmt.Errorf("db: add login failure: %w", err)
	}
	return nil
}

// ForgetLoginFailures deletes every key whose newest failure is older than
// before, so idle keys neither grow the table nor count any more.
func (tx *Tx) ForgetLoginFailures(ctx context.Context, before time.Time) error {
	if _, err := tx.tx.ExecContext(ctx,
		`DELETE FROM login_throttle WHERE last_failure_at < ?`, formatTime(before)); err != nil {
		return fmt.Errorf("db: forget login failures: %w", err)
	}
	return nil
}

// UndoLoginFailure takes back one failure that AddLoginFailure counted at
// at, because the attempt turned out not to be one (the password was
// right). The newest-failure time goes back to prev — the value before that
// AddLoginFailure — unless another failure was counted since. A key left
// with no failure is deleted.
func (d *DB) UndoLoginFailure(ctx context.Context, key string, at, prev time.Time) error {
	return d.InTx(ctx, func(tx *Tx) error {
		// Delete first: when it is the key's only failure, nothing is left to
		// decrement.
		res, err := tx.tx.ExecContext(ctx,
			`DELETE FROM login_throttle WHERE key = ? AND failures = 1 AND last_failure_at = ?`,
			key, formatTime(at))
		if err != nil {
			return fmt.Errorf("db: undo login failure: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		if _, err := tx.tx.ExecContext(ctx,
			`UPDATE login_throttle SET failures = failures - 1,
			     last_failure_at = CASE WHEN last_failure_at = ? THEN ? ELSE last_failure_at END
			 WHERE key = ? AND failures > 1`,
			formatTime(at), formatTime(prev), key); err != nil {
			return fmt.Errorf("db: undo login failure: %w", err)
		}
		return nil
	})
}

// ClearLoginFailures forgets every failure of key (after a successful sign-in).
func (d *DB) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := d.w.ExecContext(ctx, `DELETE FROM login_throttle WHERE key = ?`, key); err != nil {
		return fmt.Errorf("db: clear login failures: %w", err)
	}
	return nil
}
