package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// User is a person who can log in. IsAdmin marks an installation
// administrator; what a user may do for a merchant is in Membership.
type User struct {
	ID           int64
	Email        string
	Name         string
	PasswordHash string // argon2id PHC string; never the password
	Locale       string // "id" or "en"
	IsAdmin      bool
	Disabled     bool
	CreatedAt    time.Time
}

// NewUser is what CreateUser needs. Email is normalised (trimmed, lower case).
type NewUser struct {
	Email        string
	Name         string
	PasswordHash string
	Locale       string // "" means "id"
	IsAdmin      bool
}

// NormalizeEmail is how e-mail addresses are stored and looked up.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

const userColumns = `id, email, name, password_hash, locale, is_admin, disabled, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created string
	var admin, disabled int
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Locale, &admin, &disabled, &created); err != nil {
		return User{}, err
	}
	u.IsAdmin, u.Disabled = admin == 1, disabled == 1
	t, err := parseTime(created)
	u.CreatedAt = t
	return u, err
}

// CreateUser inserts a user. It returns ErrConflict when the e-mail is taken.
func (d *DB) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	return createUser(ctx, d.w, nu, d.now())
}

// CreateUser is DB.CreateUser inside a transaction.
func (tx *Tx) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	return createUser(ctx, tx.tx, nu, tx.now)
}

func createUser(ctx context.Context, q queryer, nu NewUser, now time.Time) (User, error) {
	if nu.Locale == "" {
		nu.Locale = "id"
	}
	email := NormalizeEmail(nu.Email)
	row := q.QueryRowContext(ctx,
		`INSERT INTO users (email, name, password_hash, locale, is_admin, created_at)
		 VALUES (?, ?, ?, ?, ?, ?) RETURNING `+userColumns,
		email, strings.TrimSpace(nu.Name), nu.PasswordHash, nu.Locale, boolInt(nu.IsAdmin), formatTime(now))
	u, err := scanUser(row)
	if isUniqueViolation(err) {
		return User{}, fmt.Errorf("db: create user %s: %w", email, ErrConflict)
	} else if err != nil {
		return User{}, fmt.Errorf("db: create user %s: %w", email, err)
	}
	return u, nil
}

// User returns the user with the given id, or ErrNotFound.
func (d *DB) User(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(d.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return User{}, notFound(err, fmt.Sprintf("user %d", id))
	}
	return u, nil
}

// UserByEmail returns the user with that e-mail (compared normalised), or ErrNotFound.
func (d *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	email = NormalizeEmail(email)
	u, err := scanUser(d.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	if err != nil {
		return User{}, notFound(err, "user by email")
	}
	return u, nil
}

// Users returns every user, ordered by e-mail. For administrators only.
func (d *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("db: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("db: users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: users: %w", err)
	}
	return out, nil
}

// CountUsers returns how many users exist (0 on a fresh install).
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count users: %w", err)
	}
	return n, nil
}

func updateUser(ctx context.Context, q queryer, id int64, what, query string, args ...any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("db: user %d: set %s: %w", id, what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("db: user %d: set %s: %w", id, what, ErrNotFound)
	}
	return nil
}

// SetUserDisabled disables or re-enables a user. A disabled user cannot log in
// and their sessions stop working at the next request.
func (d *DB) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	return updateUser(ctx, d.w, id, "disabled", `UPDATE users SET disabled = ? WHERE id = ?`, boolInt(disabled), id)
}

// SetUserDisabled is DB.SetUserDisabled inside a transaction, so the audit
// line commits with the change.
func (tx *Tx) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	return updateUser(ctx, tx.tx, id, "disabled", `UPDATE users SET disabled = ? WHERE id = ?`, boolInt(disabled), id)
}

// SetUserPassword replaces a user's password hash.
func (d *DB) SetUserPassword(ctx context.Context, id int64, hash string) error {
	return updateUser(ctx, d.w, id, "password", `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
}

// SetUserLocale sets the user's UI language, "id" or "en".
func (d *DB) SetUserLocale(ctx context.Context, id int64, locale string) error {
	return updateUser(ctx, d.w, id, "locale", `UPDATE users SET locale = ? WHERE id = ?`, locale, id)
}
