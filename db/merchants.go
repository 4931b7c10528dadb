package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Merchant is one shop using Lapak, and (once linked) its Netzme identity.
type Merchant struct {
	ID           int64
	Name         string
	NetzmeCustID string // custIdMerchant; "" until linked
	City         string
	NMID         string // national merchant id from the QRIS
	Phone        string // the merchant's phone registered with Netzme
	StaticQRIS   string // the merchant's static QRIS payload
	CreatedAt    time.Time
}

// NewMerchant is what CreateMerchant needs.
type NewMerchant struct {
	Name, NetzmeCustID, City, NMID, Phone, StaticQRIS string
}

const merchantColumns = `id, name, netzme_cust_id, city, nmid, phone, static_qris, created_at`

func scanMerchant(row interface{ Scan(...any) error }) (Merchant, error) {
	var m Merchant
	var created string
	if err := row.Scan(&m.ID, &m.Name, &m.NetzmeCustID, &m.City, &m.NMID, &m.Phone, &m.StaticQRIS, &created); err != nil {
		return Merchant{}, err
	}
	t, err := parseTime(created)
	m.CreatedAt = t
	return m, err
}

// CreateMerchant inserts a merchant. It returns ErrConflict when another
// merchant is already linked to the same custIdMerchant.
func (d *DB) CreateMerchant(ctx context.Context, nm NewMerchant) (Merchant, error) {
	return createMerchant(ctx, d.w, d.now(), nm)
}

// CreateMerchant is DB.CreateMerchant inside a transaction.
func (tx *Tx) CreateMerchant(ctx context.Context, nm NewMerchant) (Merchant, error) {
	return createMerchant(ctx, tx.tx, tx.now, nm)
}

func createMerchant(ctx context.Context, q queryer, now time.Time, nm NewMerchant) (Merchant, error) {
	row := q.QueryRowContext(ctx,
		`INSERT INTO merchants (name, netzme_cust_id, city, nmid, phone, static_qris, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+merchantColumns,
		strings.TrimSpace(nm.Name), strings.TrimSpace(nm.NetzmeCustID), nm.City, nm.NMID, nm.Phone, nm.StaticQRIS,
		formatTime(now))
	m, err := scanMerchant(row)
	if isUniqueViolation(err) {
		return Merchant{}, fmt.Errorf("db: create merchant %q: %w", nm.Name, ErrConflict)
	} else if err != nil {
		return Merchant{}, fmt.Errorf("db: create merchant %q: %w", nm.Name, err)
	}
	return m, nil
}

// Merchant returns the merchant with the given id, or ErrNotFound. It does not
// check who is asking: handlers resolve the merchant from a verified membership.
func (d *DB) Merchant(ctx context.Context, id int64) (Merchant, error) {
	m, err := scanMerchant(d.sql.QueryRowContext(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE id = ?`, id))
	if err != nil {
		return Merchant{}, notFound(err, fmt.Sprintf("merchant %d", id))
	}
	return m, nil
}

// MerchantByNetzmeCustID returns the merchant linked to a Netzme
// custIdMerchant, or ErrNotFound. Callbacks use it to find whose books to touch.
func (d *DB) MerchantByNetzmeCustID(ctx context.Context, custID string) (Merchant, error) {
	if custID == "" {
		return Merchant{}, fmt.Errorf("db: merchant by custIdMerchant: empty id: %w", ErrNotFound)
	}
	m, err := scanMerchant(d.sql.QueryRowContext(ctx,
		`SELECT `+merchantColumns+` FROM merchants WHERE netzme_cust_id = ?`, custID))
	if err != nil {
		return Merchant{}, notFound(err, "merchant by custIdMerchant "+custID)
	}
	return m, nil
}

// Merchants returns every merchant by name. For administrators only.
func (d *DB) Merchants(ctx context.Context) ([]Merchant, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+merchantColumns+` FROM merchants ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("db: merchants: %w", err)
	}
	defer rows.Close()
	var out []Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, fmt.Errorf("db: merchants: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: merchants: %w", err)
	}
	return out, nil
}

// CountMerchants returns how many merchants exist (0 on a fresh install).
func (d *DB) CountMerchants(ctx context.Context) (int, error) {
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM merchants`).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count merchants: %w", err)
	}
	return n, nil
}

// UpdateMerchantNetzme stores what Netzme says about the merchant (Get
// Merchant Detail). ErrConflict if the custIdMerchant is linked elsewhere.
func (d *DB) UpdateMerchantNetzme(ctx context.Context, id int64, custID, name, city, nmid, phone, staticQRIS string) error {
	res, err := d.w.ExecContext(ctx,
		`UPDATE merchants SET netzme_cust_id = ?, name = ?, city = ?, nmid = ?, phone = ?, static_qris = ? WHERE id = ?`,
		strings.TrimSpace(custID), strings.TrimSpace(name), city, nmid, phone, staticQRIS, id)
	if isUniqueViolation(err) {
		return fmt.Errorf("db: link merchant %d to %s: %w", id, custID, ErrConflict)
	} else if err != nil {
		return fmt.Errorf("db: link merchant %d to %s: %w", id, custID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("db: link merchant %d: %w", id, ErrNotFound)
	}
	return nil
}
