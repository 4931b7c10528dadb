package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SessionStore keeps the web sessions (scs) in the sessions table, with the
// schema and SQL of scs's sqlite3store. Find reads through the read pool, so
// no page waits for the writer to learn who is signed in. Commit and Delete
// write through the group-commit writer (InBatch): scs saves the session on
// nearly every request (an idle timeout is set), and the saves of many
// clients share one commit. It satisfies scs.Store and scs.CtxStore (db does
// not import scs).
//
// Expiry is compared with the database's wall clock (SQLite's
// julianday('now'), PostgreSQL's current_timestamp), not with the DB's
// clock: scs computes every expiry from the wall clock, so the two must
// agree (as in sqlite3store and postgresstore). The expiry is stored as
// those stores do: a Julian day on SQLite, a timestamptz on PostgreSQL
// (sessionSQL).
type SessionStore struct {
	d   *DB
	sql sessionSQL
}

// sessionSQL is the store's statements on one engine.
type sessionSQL struct {
	find, save, deleteExpired string
	// expiry is the argument save stores as the expiry.
	expiry func(time.Time) any
}

var (
	sqliteSessions = sessionSQL{
		find:          `SELECT data FROM sessions WHERE token = ? AND julianday('now') < expiry`,
		save:          `REPLACE INTO sessions (token, data, expiry) VALUES (?, ?, julianday(?))`,
		deleteExpired: `DELETE FROM sessions WHERE expiry < julianday('now')`,
		expiry:        func(t time.Time) any { return t.UTC().Format("2006-01-02T15:04:05.999") },
	}
	postgresSessions = sessionSQL{
		find: `SELECT data FROM sessions WHERE token = ? AND current_timestamp < expiry`,
		save: `INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)
			ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		deleteExpired: `DELETE FROM sessions WHERE expiry < current_timestamp`,
		expiry:        func(t time.Time) any { return t.UTC() },
	}
)

// NewSessionStore returns the session store of d. With sweep > 0 a goroutine
// deletes expired sessions every sweep until d is closed; tests pass 0.
func NewSessionStore(d *DB, sweep time.Duration) *SessionStore {
	s := &SessionStore{d: d, sql: sqliteSessions}
	if d.dia.postgres {
		s.sql = postgresSessions
	}
	if sweep > 0 {
		go s.sweep(sweep)
	}
	return s
}

// FindCtx returns the data of session token; found is false when it does not
// exist or has expired.
func (s *SessionStore) FindCtx(ctx context.Context, token string) (b []byte, found bool, err error) {
	err = s.d.sql.QueryRowContext(ctx, s.sql.find, token).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("db: find session: %w", err)
	}
	return b, true, nil
}

// CommitCtx saves session token with its data until expiry, and returns once
// that is committed.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	err := s.d.InBatch(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, s.sql.save, token, b, s.sql.expiry(expiry))
		return err
	})
	if err != nil {
		return fmt.Errorf("db: save session: %w", err)
	}
	return nil
}

// DeleteCtx deletes session token (no error when it does not exist).
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	err := s.d.InBatch(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE token = ?`, token)
		return err
	})
	if err != nil {
		return fmt.Errorf("db: delete session: %w", err)
	}
	return nil
}

// Find is FindCtx without a context.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a context.
func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// DeleteExpired deletes the sessions that have expired.
func (s *SessionStore) DeleteExpired(ctx context.Context) error {
	_, err := s.d.w.ExecContext(ctx, s.sql.deleteExpired)
	if err != nil {
		return fmt.Errorf("db: delete expired sessions: %w", err)
	}
	return nil
}

func (s *SessionStore) sweep(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.d.closing:
			return
		case <-t.C:
			s.DeleteExpired(context.Background()) // an error: the next sweep tries again
		}
	}
}
