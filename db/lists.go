package db

import (
	"context"
	"fmt"
	"strings"
)

// Keyset pages of the account lists: administrators' users and merchants,
// and an owner's members. They use the same cursors as every other list.

var (
	userKeys     = keyset{list: "users", key: "email", id: "id", kind: keyText}
	merchantKeys = keyset{list: "merchants", key: "name", id: "id", kind: keyText}
	memberKeys   = keyset{list: "members", key: "u.email", id: "u.id", kind: keyText}
)

// UsersPage returns one page of every user, by e-mail, from the position in
// cursor ("" = the first page; ErrBadCursor for a token that is not one of
// this list's). For administrators only.
func (d *DB) UsersPage(ctx context.Context, cursor string, limit int) (Page[User], error) {
	return queryPage(ctx, d.sql, userKeys, cursor, limit, `SELECT `+userColumns+` FROM users`, nil, nil,
		func(s scanner) (User, error) { return scanUser(s) },
		func(u User) Cursor { return Cursor{Key: u.Email, ID: u.ID} })
}

// MerchantsPage returns one page of every merchant, by name, from the
// position in cursor. For administrators only.
func (d *DB) MerchantsPage(ctx context.Context, cursor string, limit int) (Page[Merchant], error) {
	return queryPage(ctx, d.sql, merchantKeys, cursor, limit, `SELECT `+merchantColumns+` FROM merchants`, nil, nil,
		func(s scanner) (Merchant, error) { return scanMerchant(s) },
		func(m Merchant) Cursor { return Cursor{Key: m.Name, ID: m.ID} })
}

// MembersPage returns one page of the users of one merchant, by e-mail, from
// the position in cursor. A merchant's staff is a handful of people: the
// e-mail order is sorted per page over that merchant's memberships only.
func (d *DB) MembersPage(ctx context.Context, merchantID int64, cursor string, limit int) (Page[Membership], error) {
	return queryPage(ctx, d.sql, memberKeys, cursor, limit, membershipSelect, []string{"m.merchant_id = ?"}, []any{merchantID},
		func(s scanner) (Membership, error) { return scanMembership(s) },
		func(m Membership) Cursor { return Cursor{Key: m.UserEmail, ID: m.UserID} })
}

// MerchantNames returns the names of the merchants with the given ids (the
// ones a page shows), by id; unknown ids are left out.
func (d *DB) MerchantNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	seen := map[int64]bool{}
	var marks []string
	var args []any
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			marks, args = append(marks, "?"), append(args, id)
		}
	}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT id, name FROM merchants WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: merchant names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("db: merchant names: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}
