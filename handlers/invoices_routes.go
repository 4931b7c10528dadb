package handlers

import (
	"github.com/go-chi/chi/v5"

	"lapak/db"
)

// moneyInRoutes registers the pages of issue 4 "Money in" inside the
// signed-in group. Role limits per the issue: invoices and QRIS for owners
// and cashiers (auditors may read invoices), PIN and merchant link for
// owners, balance and history for owners and auditors — never cashiers.
func (h *Handler) moneyInRoutes(r chi.Router) {
	readers := h.requireRole(db.RoleOwner, db.RoleCashier, db.RoleAuditor)
	sellers := h.requireRole(db.RoleOwner, db.RoleCashier)

	r.With(readers).Get("/invoices", h.showInvoices)
	r.With(readers).Get("/invoices.csv", h.exportInvoices)
	r.With(readers).Get("/invoices.xlsx", h.exportInvoices)
	r.With(readers).Get("/invoices/{id}", h.showInvoice)
	r.With(sellers).Post("/invoices", h.createInvoiceHandler)
	r.With(sellers).Post("/invoices/{id}/refresh", h.refreshInvoice)

	r.With(sellers).Get("/qris", h.showQRIS)
	r.With(sellers).Post("/qris", h.createQRIS)
	r.With(sellers, limitBody(stickerBodyLimit)).Post("/qris/check", h.checkSticker)
	r.With(sellers).Get("/qris/{id:[0-9]+}", h.showQRISCode)
	r.With(sellers).Get("/qris/{id:[0-9]+}/print", h.printQRIS)
	r.With(sellers).Get("/qris/{id:[0-9]+}.png", h.downloadQRIS("png"))
	r.With(sellers).Get("/qris/{id:[0-9]+}.svg", h.downloadQRIS("svg"))

	owner := h.requireRole(db.RoleOwner)
	r.With(owner).Get("/link", h.showLink)
	r.With(owner).Post("/link", h.linkMerchant)
	r.With(owner).Get("/pin", h.showPIN)
	r.With(owner).Post("/pin", h.pinAction)

	books := h.requireRole(db.RoleOwner, db.RoleAuditor)
	r.With(books).Get("/balance", h.showBalance)
	h.booksRoutes(r) // history and settlement (history.go)
}
