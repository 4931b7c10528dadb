package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/views"
)

// Owner pages for the users of the current merchant. Every query takes the
// merchant id from the session-verified membership (account.Current), and a
// member is always looked up as (user, current merchant): a user of another
// merchant is 404 here, whatever id the URL carries.

func (h *Handler) showMembers(w http.ResponseWriter, r *http.Request) {
	// The role is chosen, never defaulted (issue 13 §9).
	h.renderMembers(w, r, http.StatusOK, views.UserForm{})
}

func (h *Handler) renderMembers(w http.ResponseWriter, r *http.Request, status int, form views.UserForm) {
	a := accountFrom(r.Context())
	ms, err := h.db.MerchantMembers(r.Context(), a.Current.MerchantID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.MembersView{Form: form}
	for _, m := range ms {
		v.Members = append(v.Members, membershipRow(m, a.User.ID))
	}
	h.render(w, r, status, views.MembersPage(h.page(r, views.T(r.Context(), "members.title")), v))
}

func membershipRow(m db.Membership, self int64) views.MembershipRow {
	return views.MembershipRow{
		UserID: m.UserID, MerchantID: m.MerchantID, MerchantName: m.MerchantName,
		UserEmail: m.UserEmail, UserName: m.UserName, Role: string(m.Role),
		UserDisabled: m.UserDisabled, Self: m.UserID == self,
	}
}

// createMember adds a user to the owner's merchant: an existing account (by
// e-mail) joins with the chosen role; otherwise a new account is created
// with the initial password. Owners never create administrators.
func (h *Handler) createMember(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := accountFrom(ctx)
	mid := a.Current.MerchantID
	errs := views.FieldErrors{}
	in := readUserInput(r.PostForm, errs)
	form := views.UserForm{Email: in.Email, Name: in.Name, Role: string(in.Role), Errors: errs}
	if len(errs) > 0 {
		h.renderMembers(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	existing, err := h.db.UserByEmail(ctx, in.Email)
	switch {
	case err == nil:
		if _, err := h.db.Membership(ctx, existing.ID, mid); err == nil {
			errs["email"] = "err.member.exists"
			h.renderMembers(w, r, http.StatusUnprocessableEntity, form)
			return
		} else if !isNotFound(err) {
			h.serverError(w, r, err)
			return
		}
		err = h.db.InTx(ctx, func(tx *db.Tx) error {
			if err := tx.SetMembership(ctx, existing.ID, mid, in.Role); err != nil {
				return err
			}
			return tx.Audit(ctx, h.auditEntry(r, "membership.add", mid,
				map[string]any{"user_id": existing.ID, "email": existing.Email, "role": in.Role}))
		})
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		h.setFlash(ctx, "ok", "flash.member.added", existing.Email)
	case isNotFound(err):
		checkNewUser(in, errs)
		if len(errs) > 0 {
			h.renderMembers(w, r, http.StatusUnprocessableEntity, form)
			return
		}
		err := h.createUserWithMembership(ctx, r, in, false, mid)
		if errors.Is(err, db.ErrConflict) {
			errs["email"] = "err.email.taken"
			h.renderMembers(w, r, http.StatusUnprocessableEntity, form)
			return
		} else if err != nil {
			h.serverError(w, r, err)
			return
		}
		h.setFlash(ctx, "ok", "flash.user.created", in.Email)
	default:
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/members", http.StatusSeeOther)
}

// createUserWithMembership creates the account, its membership (merchantID 0 =
// none) and the audit row in one transaction. The password is hashed here
// and appears nowhere else.
func (h *Handler) createUserWithMembership(ctx context.Context, r *http.Request, in userInput, isAdmin bool, merchantID int64) error {
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	locale := string(views.LangFrom(ctx))
	return h.db.InTx(ctx, func(tx *db.Tx) error {
		u, err := tx.CreateUser(ctx, db.NewUser{Email: in.Email, Name: in.Name, PasswordHash: hash, Locale: locale, IsAdmin: isAdmin})
		if err != nil {
			return err
		}
		detail := map[string]any{"user_id": u.ID, "email": u.Email, "is_admin": isAdmin}
		if merchantID != 0 {
			if err := tx.SetMembership(ctx, u.ID, merchantID, in.Role); err != nil {
				return err
			}
			detail["role"] = in.Role
		}
		return tx.Audit(ctx, h.auditEntry(r, "user.create", merchantID, detail))
	})
}

// currentMember loads the member in the URL as a member of the current
// merchant; another merchant's user is ErrNotFound.
func (h *Handler) currentMember(r *http.Request) (db.Membership, error) {
	uid, ok := parseID(chi.URLParam(r, "userID"))
	if !ok {
		return db.Membership{}, db.ErrNotFound
	}
	return h.db.Membership(r.Context(), uid, accountFrom(r.Context()).Current.MerchantID)
}

func (h *Handler) showMember(w http.ResponseWriter, r *http.Request) {
	m, err := h.currentMember(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.renderMember(w, r, http.StatusOK, m, nil)
}

func (h *Handler) renderMember(w http.ResponseWriter, r *http.Request, status int, m db.Membership, errs views.FieldErrors) {
	a := accountFrom(r.Context())
	v := views.MemberView{Member: membershipRow(m, a.User.ID), Errors: errs}
	h.render(w, r, status, views.MemberPage(h.page(r, m.UserEmail), v))
}

// lastOwner reports whether m is the only owner of its merchant: a merchant
// without an owner could no longer manage its users or withdraw.
// errLastOwner stops a change that would leave a merchant without an owner.
var errLastOwner = errors.New("handlers: the merchant's last owner")

// keepAnOwner fails with errLastOwner when m is the merchant's only owner.
// It runs inside the transaction that demotes or removes m, so two owners
// removing each other at once cannot both succeed.
func keepAnOwner(ctx context.Context, tx *db.Tx, m db.Membership) error {
	if m.Role != db.RoleOwner {
		return nil
	}
	n, err := tx.OwnerCount(ctx, m.MerchantID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return errLastOwner
	}
	return nil
}

func (h *Handler) updateMemberRole(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	m, err := h.currentMember(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	role := db.Role(r.PostForm.Get("role"))
	if !role.Valid() {
		h.renderMember(w, r, http.StatusUnprocessableEntity, m, views.FieldErrors{"role": "err.role"})
		return
	}
	err = h.db.InTx(ctx, func(tx *db.Tx) error {
		if role != db.RoleOwner {
			if err := keepAnOwner(ctx, tx, m); err != nil {
				return err
			}
		}
		if err := tx.SetMembership(ctx, m.UserID, m.MerchantID, role); err != nil {
			return err
		}
		return tx.Audit(ctx, h.auditEntry(r, "membership.role", m.MerchantID,
			map[string]any{"user_id": m.UserID, "email": m.UserEmail, "from": m.Role, "to": role}))
	})
	if errors.Is(err, errLastOwner) {
		h.renderMember(w, r, http.StatusUnprocessableEntity, m, views.FieldErrors{"role": "err.lastowner"})
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	if m.UserID == accountFrom(ctx).User.ID {
		// Own privileges changed: new token, as on login.
		if err := h.sessions.RenewToken(ctx); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	h.setFlash(ctx, "ok", "flash.role.changed", m.UserEmail)
	http.Redirect(w, r, "/members", http.StatusSeeOther)
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, err := h.currentMember(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	err = h.db.InTx(ctx, func(tx *db.Tx) error {
		if err := keepAnOwner(ctx, tx, m); err != nil {
			return err
		}
		if err := tx.RemoveMembership(ctx, m.UserID, m.MerchantID); err != nil {
			return err
		}
		return tx.Audit(ctx, h.auditEntry(r, "membership.remove", m.MerchantID,
			map[string]any{"user_id": m.UserID, "email": m.UserEmail, "role": m.Role}))
	})
	if errors.Is(err, errLastOwner) {
		h.renderMember(w, r, http.StatusUnprocessableEntity, m, views.FieldErrors{"role": "err.lastowner"})
		return
	} else if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.member.removed", m.UserEmail)
	if m.UserID == accountFrom(ctx).User.ID {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/members", http.StatusSeeOther)
}
