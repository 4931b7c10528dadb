package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Job leases (issue 14 §4): a background job runs in the one Lapak instance
// that holds its lease. The holder renews it well before it expires; when
// the holder dies its lease runs out and another instance takes the job
// over. Taking, renewing and releasing are single statements in standard
// SQL (an upsert with a condition, `?` placeholders, no engine functions),
// so SQLite and PostgreSQL run the same text, and two instances racing for a
// free lease cannot both win: the row is the arbiter.
//
// Times come from the DB's clock (each instance's wall clock in production),
// so a lease is only as exact as the instances' clocks agree: keep them on
// NTP, and the lease time far above their skew (seconds versus
// milliseconds).

// Lease is the state of one job's lease.
type Lease struct {
	Name       string
	Holder     string    // the instance holding (or that last held) it
	AcquiredAt time.Time // when Holder took it; renewals keep it
	RenewedAt  time.Time
	ExpiresAt  time.Time // free from this instant on
}

// HeldBy reports whether holder holds l at now.
func (l Lease) HeldBy(holder string, now time.Time) bool {
	return l.Holder == holder && now.Before(l.ExpiresAt)
}

// leaseColumns is the column list scanLease reads.
const leaseColumns = `name, holder, acquired_at, renewed_at, expires_at`

func scanLease(s interface{ Scan(...any) error }) (Lease, error) {
	var l Lease
	var acquired, renewed, expires string
	if err := s.Scan(&l.Name, &l.Holder, &acquired, &renewed, &expires); err != nil {
		return Lease{}, err
	}
	var err error
	if l.AcquiredAt, err = parseTime(acquired); err != nil {
		return Lease{}, err
	}
	if l.RenewedAt, err = parseTime(renewed); err != nil {
		return Lease{}, err
	}
	if l.ExpiresAt, err = parseTime(expires); err != nil {
		return Lease{}, err
	}
	return l, nil
}

// AcquireLease takes lease name for holder until ttl from now (the DB's
// clock) when nobody holds it, or its holder let it expire, or holder holds
// it already (a renewal: AcquiredAt stays). It returns the lease as it
// stands afterwards and whether holder holds it: false with the other
// holder's lease when someone else does. ttl must be positive.
func (d *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, bool, error) {
	if ttl <= 0 || name == "" || holder == "" {
		return Lease{}, false, fmt.Errorf("db: acquire lease %q for %q: needs a name, a holder and a positive ttl (%v)", name, holder, ttl)
	}
	now := d.now()
	at, until := formatTime(now), formatTime(now.Add(ttl))
	// One statement: a free or expired lease, or our own, is (re)written;
	// anyone else's live lease makes the WHERE false and nothing changes,
	// so no row comes back.
	l, err := scanLease(d.w.QueryRowContext(ctx,
		`INSERT INTO job_leases (name, holder, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (name) DO UPDATE SET
		     holder = excluded.holder,
		     acquired_at = CASE WHEN job_leases.holder = excluded.holder AND job_leases.expires_at > excluded.renewed_at
		                        THEN job_leases.acquired_at ELSE excluded.acquired_at END,
		     renewed_at = excluded.renewed_at,
		     expires_at = excluded.expires_at
		 WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= excluded.renewed_at
		 RETURNING `+leaseColumns,
		name, holder, at, at, until))
	if err == nil {
		return l, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Lease{}, false, fmt.Errorf("db: acquire lease %s: %w", name, err)
	}
	// Held by another instance. Read on the writer: the read pool may not
	// see the row the upsert just found.
	l, err = scanLease(d.w.QueryRowContext(ctx, `SELECT `+leaseColumns+` FROM job_leases WHERE name = ?`, name))
	if err != nil {
		return Lease{}, false, notFound(err, "lease "+name)
	}
	return l, false, nil
}

// ReleaseLease ends holder's lease on name now, so another instance takes
// the job at its next try instead of waiting for the lease to run out. A
// lease held by someone else (or by nobody) is left alone. The row stays,
// naming its last holder.
func (d *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	now := formatTime(d.now())
	if _, err := d.w.ExecContext(ctx,
		`UPDATE job_leases SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?`,
		now, name, holder, now); err != nil {
		return fmt.Errorf("db: release lease %s: %w", name, err)
	}
	return nil
}

// Leases returns every lease, live or not, by name.
func (d *DB) Leases(ctx context.Context) ([]Lease, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+leaseColumns+` FROM job_leases ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("db: leases: %w", err)
	}
	defer rows.Close()
	var out []Lease
	for rows.Next() {
		l, err := scanLease(rows)
		if err != nil {
			return nil, fmt.Errorf("db: leases: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: leases: %w", err)
	}
	return out, nil
}
