package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Accounts (issue 13 §6): password changes and reset links, TOTP two-factor.
// Every function takes the time from its caller (the handlers' clock).

// SetUserPassword is DB.SetUserPassword inside a transaction, so the audit
// line and the end of reset links commit with the change.
func (tx *Tx) SetUserPassword(ctx context.Context, id int64, hash string) error {
	return updateUser(ctx, tx.tx, id, "password", `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
}

// PasswordReset is a one-time password reset link. The token itself is never
// stored; TokenHash is its hex SHA-256.
type PasswordReset struct {
	ID        int64
	UserID    int64
	CreatedBy int64 // 0 = the command line
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreatePasswordReset stores a reset link for userID and ends every earlier
// unused link of that user, so only the newest link handed out works.
func (tx *Tx) CreatePasswordReset(ctx context.Context, userID int64, tokenHash string, createdBy int64, at, expires time.Time) (PasswordReset, error) {
	if _, err := tx.tx.ExecContext(ctx,
		`DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL`, userID); err != nil {
		return PasswordReset{}, fmt.Errorf("db: password reset for user %d: %w", userID, err)
	}
	var id int64
	err := tx.tx.QueryRowContext(ctx,
		`INSERT INTO password_resets (user_id, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
		 RETURNING id`,
		userID, tokenHash, nullID(createdBy), formatTime(at), formatTime(expires)).Scan(&id)
	if isUniqueViolation(err) {
		return PasswordReset{}, fmt.Errorf("db: password reset for user %d: %w", userID, ErrConflict)
	} else if err != nil {
		return PasswordReset{}, fmt.Errorf("db: password reset for user %d: %w", userID, err)
	}
	return PasswordReset{ID: id, UserID: userID, CreatedBy: createdBy, CreatedAt: at, ExpiresAt: expires}, nil
}

// DeletePasswordResets ends every unused reset link of userID (the user set
// a password another way).
func (tx *Tx) DeletePasswordResets(ctx context.Context, userID int64) error {
	if _, err := tx.tx.ExecContext(ctx,
		`DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL`, userID); err != nil {
		return fmt.Errorf("db: delete password resets of user %d: %w", userID, err)
	}
	return nil
}

// OpenPasswordReset returns the reset link with that token hash if it is
// unused and not expired at at; else ErrNotFound (unknown, used and expired
// links look the same).
func (d *DB) OpenPasswordReset(ctx context.Context, tokenHash string, at time.Time) (PasswordReset, error) {
	var p PasswordReset
	var created, expires string
	var by sql.NullInt64
	err := d.sql.QueryRowContext(ctx,
		`SELECT id, user_id, created_by, created_at, expires_at FROM password_resets
		 WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, tokenHash, formatTime(at),
	).Scan(&p.ID, &p.UserID, &by, &created, &expires)
	if err != nil {
		return PasswordReset{}, notFound(err, "password reset")
	}
	p.CreatedBy = by.Int64
	if p.CreatedAt, err = parseTime(created); err != nil {
		return PasswordReset{}, err
	}
	if p.ExpiresAt, err = parseTime(expires); err != nil {
		return PasswordReset{}, err
	}
	return p, nil
}

// UsePasswordReset marks the link used at at and returns its user. Only an
// unused link not expired at at can be used, once: anything else is
// ErrNotFound, also for the loser of two concurrent uses.
func (tx *Tx) UsePasswordReset(ctx context.Context, tokenHash string, at time.Time) (int64, error) {
	var userID int64
	err := tx.tx.QueryRowContext(ctx,
		`UPDATE password_resets SET used_at = ?
		 WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`,
		formatTime(at), tokenHash, formatTime(at)).Scan(&userID)
	if err != nil {
		return 0, notFound(err, "use password reset")
	}
	return userID, nil
}

// TOTP is a user's confirmed two-factor enrolment. Secret is the raw shared
// key; it must never reach a log.
type TOTP struct {
	UserID       int64
	Secret       []byte
	LastStep     int64 // newest time step a code was accepted for
	EnabledAt    time.Time
	RecoveryLeft int // unused recovery codes
}

// UserTOTP returns the user's enrolment, or ErrNotFound when two-factor is off.
func (d *DB) UserTOTP(ctx context.Context, userID int64) (TOTP, error) {
	t := TOTP{UserID: userID}
	var enabled string
	err := d.sql.QueryRowContext(ctx,
		`SELECT secret, last_step, enabled_at,
		        (SELECT count(*) FROM totp_recovery_codes c WHERE c.user_id = t.user_id AND c.used_at IS NULL)
		 FROM user_totp t WHERE user_id = ?`, userID,
	).Scan(&t.Secret, &t.LastStep, &enabled, &t.RecoveryLeft)
	if err != nil {
		return TOTP{}, notFound(err, fmt.Sprintf("totp of user %d", userID))
	}
	if t.EnabledAt, err = parseTime(enabled); err != nil {
		return TOTP{}, err
	}
	return t, nil
}

// EnableTOTP stores a confirmed enrolment with its recovery code hashes.
// step is the time step of the code that confirmed it (used up). It returns
// ErrConflict when the user already has one.
func (tx *Tx) EnableTOTP(ctx context.Context, userID int64, secret []byte, step int64, recoveryHashes []string, at time.Time) error {
	_, err := tx.tx.ExecContext(ctx,
		`INSERT INTO user_totp (user_id, secret, last_step, enabled_at) VALUES (?, ?, ?, ?)`,
		userID, secret, step, formatTime(at))
	if isUniqueViolation(err) {
		return fmt.Errorf("db: enable totp of user %d: %w", userID, ErrConflict)
	} else if err != nil {
		return fmt.Errorf("db: enable totp of user %d: %w", userID, err)
	}
	for _, h := range recoveryHashes {
		if _, err := tx.tx.ExecContext(ctx,
			`INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, h); err != nil {
			return fmt.Errorf("db: enable totp of user %d: recovery code: %w", userID, err)
		}
	}
	return nil
}

// DisableTOTP removes the user's enrolment and its recovery codes; ErrNotFound
// when there was none.
func (tx *Tx) DisableTOTP(ctx context.Context, userID int64) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM user_totp WHERE user_id = ?`, userID)
	if err != nil {
		return fmt.Errorf("db: disable totp of user %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("db: disable totp of user %d: %w", userID, ErrNotFound)
	}
	return nil
}

// UseTOTPStep records that a code for step was accepted. It reports false
// when a code for this or a later step was already accepted (a replay, or
// the loser of two concurrent uses of one code).
func (d *DB) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := d.w.ExecContext(ctx,
		`UPDATE user_totp SET last_step = ? WHERE user_id = ? AND last_step < ?`, step, userID, step)
	if err != nil {
		return false, fmt.Errorf("db: use totp step of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseRecoveryCode marks the user's unused recovery code with that hash used
// at at. It reports false when there is no such unused code.
func (d *DB) UseRecoveryCode(ctx context.Context, userID int64, codeHash string, at time.Time) (bool, error) {
	res, err := d.w.ExecContext(ctx,
		`UPDATE totp_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		formatTime(at), userID, codeHash)
	if err != nil {
		return false, fmt.Errorf("db: use recovery code of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
