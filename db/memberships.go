package db

import (
	"context"
	"fmt"
	"time"
)

// Role is what a user may do for one merchant.
type Role string

// The roles of issue "Foundation": owner does everything for the merchant,
// cashier takes payments but never sees balances, auditor reads everything
// and changes nothing.
const (
	RoleOwner   Role = "owner"
	RoleCashier Role = "cashier"
	RoleAuditor Role = "auditor"
)

// Roles lists the roles in the order forms show them.
var Roles = []Role{RoleOwner, RoleCashier, RoleAuditor}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleCashier || r == RoleAuditor }

// Membership ties a user to a merchant with a role, with the names pages show.
type Membership struct {
	UserID       int64
	MerchantID   int64
	Role         Role
	MerchantName string
	UserEmail    string
	UserName     string
	UserDisabled bool
}

const membershipSelect = `SELECT m.user_id, m.merchant_id, m.role, mc.name, u.email, u.name, u.disabled
	FROM memberships m JOIN merchants mc ON mc.id = m.merchant_id JOIN users u ON u.id = m.user_id`

func scanMembership(row interface{ Scan(...any) error }) (Membership, error) {
	var m Membership
	var disabled int
	err := row.Scan(&m.UserID, &m.MerchantID, &m.Role, &m.MerchantName, &m.UserEmail, &m.UserName, &disabled)
	m.UserDisabled = disabled == 1
	return m, err
}

// SetMembership makes the user a member of the merchant with role, or changes
// the role of an existing membership.
func (d *DB) SetMembership(ctx context.Context, userID, merchantID int64, role Role) error {
	return setMembership(ctx, d.w, d.now(), userID, merchantID, role)
}

// SetMembership is DB.SetMembership inside a transaction.
func (tx *Tx) SetMembership(ctx context.Context, userID, merchantID int64, role Role) error {
	return setMembership(ctx, tx.tx, tx.now, userID, merchantID, role)
}

func setMembership(ctx context.Context, q queryer, now time.Time, userID, merchantID int64, role Role) error {
	if !role.Valid() {
		return fmt.Errorf("db: membership %d/%d: invalid role %q", userID, merchantID, role)
	}
	_, err := q.ExecContext(ctx,
		`INSERT INTO memberships (user_id, merchant_id, role, created_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (user_id, merchant_id) DO UPDATE SET role = excluded.role`,
		userID, merchantID, string(role), formatTime(now))
	if err != nil {
		return fmt.Errorf("db: membership %d/%d: %w", userID, merchantID, err)
	}
	return nil
}

// RemoveMembership takes the user out of the merchant. ErrNotFound if they
// were not a member.
func (d *DB) RemoveMembership(ctx context.Context, userID, merchantID int64) error {
	return removeMembership(ctx, d.w, userID, merchantID)
}

// RemoveMembership is DB.RemoveMembership inside a transaction.
func (tx *Tx) RemoveMembership(ctx context.Context, userID, merchantID int64) error {
	return removeMembership(ctx, tx.tx, userID, merchantID)
}

// OwnerCount returns how many owners the merchant has, read inside the
// transaction: transactions take the write lock at BEGIN, so a check on it
// cannot race another removal or demotion.
func (tx *Tx) OwnerCount(ctx context.Context, merchantID int64) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE merchant_id = ? AND role = 'owner'`, merchantID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: owners of merchant %d: %w", merchantID, err)
	}
	return n, nil
}

func removeMembership(ctx context.Context, q queryer, userID, merchantID int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM memberships WHERE user_id = ? AND merchant_id = ?`, userID, merchantID)
	if err != nil {
		return fmt.Errorf("db: remove membership %d/%d: %w", userID, merchantID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("db: remove membership %d/%d: %w", userID, merchantID, ErrNotFound)
	}
	return nil
}

// Membership returns the user's membership of the merchant, or ErrNotFound
// when the user does not belong to it. This is the check that keeps merchants
// apart: handlers derive the current merchant only from it.
func (d *DB) Membership(ctx context.Context, userID, merchantID int64) (Membership, error) {
	m, err := scanMembership(d.sql.QueryRowContext(ctx,
		membershipSelect+` WHERE m.user_id = ? AND m.merchant_id = ?`, userID, merchantID))
	if err != nil {
		return Membership{}, notFound(err, fmt.Sprintf("membership %d/%d", userID, merchantID))
	}
	return m, nil
}

// UserMemberships returns the merchants a user belongs to, by merchant name.
func (d *DB) UserMemberships(ctx context.Context, userID int64) ([]Membership, error) {
	return queryMemberships(ctx, d.sql, membershipSelect+` WHERE m.user_id = ? ORDER BY mc.name, mc.id`, userID)
}

// MerchantMembers returns the users of one merchant, by e-mail.
func (d *DB) MerchantMembers(ctx context.Context, merchantID int64) ([]Membership, error) {
	return queryMemberships(ctx, d.sql, membershipSelect+` WHERE m.merchant_id = ? ORDER BY u.email`, merchantID)
}

func queryMemberships(ctx context.Context, q reader, query string, arg int64) ([]Membership, error) {
	rows, err := q.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, fmt.Errorf("db: memberships: %w", err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, fmt.Errorf("db: memberships: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: memberships: %w", err)
	}
	return out, nil
}
