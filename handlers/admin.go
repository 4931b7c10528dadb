package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"lapak/db"
	"lapak/views"
)

// Installation administrator pages: merchants and users across the whole
// installation. Routes are behind requireAdmin.

func (h *Handler) showAdminMerchants(w http.ResponseWriter, r *http.Request) {
	h.renderAdminMerchants(w, r, http.StatusOK, views.MerchantForm{})
}

func (h *Handler) renderAdminMerchants(w http.ResponseWriter, r *http.Request, status int, form views.MerchantForm) {
	ms, err := h.db.Merchants(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.AdminMerchantsView{Form: form}
	for _, m := range ms {
		v.Merchants = append(v.Merchants, views.MerchantRow{
			ID: m.ID, Name: m.Name, NetzmeCustID: m.NetzmeCustID, City: m.City, NMID: m.NMID, Phone: m.Phone, CreatedAt: m.CreatedAt,
		})
	}
	h.render(w, r, status, views.AdminMerchantsPage(h.page(r, views.T(r.Context(), "admin.merchants")), v))
}

func (h *Handler) createMerchant(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	errs := views.FieldErrors{}
	f := r.PostForm
	form := views.MerchantForm{
		Name:         trimmed(errs, "name", f.Get("name"), 200),
		NetzmeCustID: trimmed(errs, "netzme_cust_id", f.Get("netzme_cust_id"), 64),
		City:         trimmed(errs, "city", f.Get("city"), 100),
		NMID:         trimmed(errs, "nmid", f.Get("nmid"), 64),
		Phone:        trimmed(errs, "phone", f.Get("phone"), 32),
		Errors:       errs,
	}
	if form.Name == "" {
		errs["name"] = "err.required"
	}
	if len(errs) > 0 {
		h.renderAdminMerchants(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	err := h.db.InTx(ctx, func(tx *db.Tx) error {
		m, err := tx.CreateMerchant(ctx, db.NewMerchant{
			Name: form.Name, NetzmeCustID: form.NetzmeCustID, City: form.City, NMID: form.NMID, Phone: form.Phone,
		})
		if err != nil {
			return err
		}
		return tx.Audit(ctx, h.auditEntry(r, "merchant.create", m.ID,
			map[string]any{"name": m.Name, "netzme_cust_id": m.NetzmeCustID}))
	})
	if errors.Is(err, db.ErrConflict) {
		errs["netzme_cust_id"] = "err.custid.taken"
		h.renderAdminMerchants(w, r, http.StatusUnprocessableEntity, form)
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.merchant.created", form.Name)
	http.Redirect(w, r, "/admin/merchants", http.StatusSeeOther)
}

func (h *Handler) merchantOptions(r *http.Request) ([]views.MerchantOption, error) {
	ms, err := h.db.Merchants(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]views.MerchantOption, 0, len(ms))
	for _, m := range ms {
		out = append(out, views.MerchantOption{ID: m.ID, Name: m.Name})
	}
	return out, nil
}

func (h *Handler) showAdminUsers(w http.ResponseWriter, r *http.Request) {
	// No shop and no role preselected: the administrator chooses both
	// (issue 13 §9; the form used to default to Pemilik).
	h.renderAdminUsers(w, r, http.StatusOK, views.UserForm{})
}

func (h *Handler) renderAdminUsers(w http.ResponseWriter, r *http.Request, status int, form views.UserForm) {
	ctx := r.Context()
	us, err := h.db.Users(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	opts, err := h.merchantOptions(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.AdminUsersView{Merchants: opts, Form: form}
	for _, u := range us {
		ms, err := h.db.UserMemberships(ctx, u.ID)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		row := userRow(u)
		var parts []string
		for _, m := range ms {
			parts = append(parts, m.MerchantName+" ("+views.T(ctx, "role."+string(m.Role))+")")
		}
		row.Merchants = strings.Join(parts, ", ")
		v.Users = append(v.Users, row)
	}
	h.render(w, r, status, views.AdminUsersPage(h.page(r, views.T(ctx, "admin.users")), v))
}

func userRow(u db.User) views.UserRow {
	return views.UserRow{ID: u.ID, Email: u.Email, Name: u.Name, IsAdmin: u.IsAdmin, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

// createUser adds an account with an initial password and, optionally, a
// membership of one merchant, in one transaction with its audit row.
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	errs := views.FieldErrors{}
	in := readUserInput(r.PostForm, errs)
	checkNewUser(in, errs)
	isAdmin := r.PostForm.Get("is_admin") == "1"
	choice := strings.TrimSpace(r.PostForm.Get("merchant_id"))
	mid, _ := strconv.ParseInt(choice, 10, 64)
	if choice == "" {
		// Neither a shop nor "no shop" chosen: ask, and for the role too.
		errs["merchant_id"] = "err.choose"
	} else if mid == 0 {
		// Without a merchant the role means nothing; do not fail on it.
		delete(errs, "role")
	} else if _, err := h.db.Merchant(ctx, mid); isNotFound(err) {
		errs["merchant_id"] = "err.merchant"
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	form := views.UserForm{Email: in.Email, Name: in.Name, MerchantID: mid, MerchantChosen: choice != "", Role: string(in.Role),
		IsAdmin: isAdmin, Errors: errs}
	if len(errs) > 0 {
		h.renderAdminUsers(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	err := h.createUserWithMembership(ctx, r, in, isAdmin, mid)
	if errors.Is(err, db.ErrConflict) {
		errs["email"] = "err.email.taken"
		h.renderAdminUsers(w, r, http.StatusUnprocessableEntity, form)
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.user.created", in.Email)
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

// urlUser loads the user named by {userID}; ErrNotFound when there is none.
func (h *Handler) urlUser(r *http.Request) (db.User, error) {
	id, ok := parseID(chi.URLParam(r, "userID"))
	if !ok {
		return db.User{}, db.ErrNotFound
	}
	return h.db.User(r.Context(), id)
}

func (h *Handler) showAdminUser(w http.ResponseWriter, r *http.Request) {
	u, err := h.urlUser(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.renderAdminUser(w, r, http.StatusOK, u, views.UserForm{Role: string(db.RoleCashier)})
}

func (h *Handler) renderAdminUser(w http.ResponseWriter, r *http.Request, status int, u db.User, form views.UserForm) {
	ctx := r.Context()
	ms, err := h.db.UserMemberships(ctx, u.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	opts, err := h.merchantOptions(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := views.AdminUserView{User: userRow(u), Self: u.ID == accountFrom(ctx).User.ID, Form: form}
	if _, err := h.db.UserTOTP(ctx, u.ID); err == nil {
		v.TwoFactor = true
	} else if !isNotFound(err) {
		h.serverError(w, r, err)
		return
	}
	member := map[int64]bool{}
	for _, m := range ms {
		member[m.MerchantID] = true
		v.Memberships = append(v.Memberships, membershipRow(m, accountFrom(ctx).User.ID))
	}
	for _, o := range opts {
		if !member[o.ID] {
			v.Merchants = append(v.Merchants, o)
		}
	}
	h.render(w, r, status, views.AdminUserPage(h.page(r, u.Email), v))
}

func (h *Handler) disableUser(w http.ResponseWriter, r *http.Request) { h.setDisabled(w, r, true) }
func (h *Handler) enableUser(w http.ResponseWriter, r *http.Request)  { h.setDisabled(w, r, false) }

// setDisabled disables or enables a user. A disabled user's sessions stop
// working at their next request (requireUser reads the flag every time).
// Administrators cannot disable themselves, so an installation always keeps
// one way in.
func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	ctx := r.Context()
	u, err := h.urlUser(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	if u.ID == accountFrom(ctx).User.ID {
		h.setFlash(ctx, "error", "err.self", "")
		http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
		return
	}
	action, flash := "user.enable", "flash.user.enabled"
	if disabled {
		action, flash = "user.disable", "flash.user.disabled"
	}
	err = h.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.SetUserDisabled(ctx, u.ID, disabled); err != nil {
			return err
		}
		return tx.Audit(ctx, h.auditEntry(r, action, 0, map[string]any{"user_id": u.ID, "email": u.Email}))
	})
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", flash, u.Email)
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
}

// setUserMembership adds the user to a merchant or changes their role there.
func (h *Handler) setUserMembership(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	u, err := h.urlUser(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	errs := views.FieldErrors{}
	role := db.Role(r.PostForm.Get("role"))
	if !role.Valid() {
		errs["role"] = "err.role"
	}
	mid, _ := parseID(r.PostForm.Get("merchant_id"))
	if _, err := h.db.Merchant(ctx, mid); isNotFound(err) {
		errs["merchant_id"] = "err.merchant"
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(errs) > 0 {
		h.renderAdminUser(w, r, http.StatusUnprocessableEntity, u, views.UserForm{MerchantID: mid, Role: string(role), Errors: errs})
		return
	}
	var from db.Role
	if m, err := h.db.Membership(ctx, u.ID, mid); err == nil {
		from = m.Role
	} else if !isNotFound(err) {
		h.serverError(w, r, err)
		return
	}
	err = h.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.SetMembership(ctx, u.ID, mid, role); err != nil {
			return err
		}
		return tx.Audit(ctx, h.auditEntry(r, "membership.set", mid,
			map[string]any{"user_id": u.ID, "email": u.Email, "from": from, "to": role}))
	})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if u.ID == accountFrom(ctx).User.ID {
		if err := h.sessions.RenewToken(ctx); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	h.setFlash(ctx, "ok", "flash.role.changed", u.Email)
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
}

func (h *Handler) removeUserMembership(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, err := h.urlUser(r)
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	mid, ok := parseID(chi.URLParam(r, "merchantID"))
	if !ok {
		h.notFound(w, r)
		return
	}
	err = h.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.RemoveMembership(ctx, u.ID, mid); err != nil {
			return err
		}
		return tx.Audit(ctx, h.auditEntry(r, "membership.remove", mid, map[string]any{"user_id": u.ID, "email": u.Email}))
	})
	if err != nil {
		h.dbError(w, r, err)
		return
	}
	h.setFlash(ctx, "ok", "flash.member.removed", u.Email)
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
}
