package views

import "time"

// Page is what the base layout needs on every page. Handlers fill it once per
// request (see handlers' page helper); page components receive it first.
type Page struct {
	// Title is the page title, already translated.
	Title string
	// Path is the current request path; the language switch returns to it.
	Path string
	// Assets are the fingerprinted static URLs.
	Assets Assets
	// Signed is true when a user is logged in; the other user fields are
	// meaningful only then.
	Signed    bool
	UserName  string
	UserEmail string
	IsAdmin   bool
	// MerchantID and MerchantName describe the current merchant (0/"" when the
	// user has none); Role is the user's role there ("owner", "cashier",
	// "auditor" or "").
	MerchantID   int64
	MerchantName string
	Role         string
	// Merchants lists every merchant the user may switch to.
	Merchants []MerchantOption
	// Nav lists the navigation groups and items this user may see, already
	// gated by role and by whether the section's pages exist.
	Nav []NavGroup
	// Flash is a one-time message from the previous request (zero = none).
	Flash Flash
	// SandboxURL links the embedded Netzme sandbox; "" hides the link.
	SandboxURL string
}

// Assets holds the URLs of the embedded static files, with a content hash so
// browsers may cache them forever.
type Assets struct{ CSS, JS, KasirCSS, KasirJS string }

// MerchantOption is one entry of the merchant switcher.
type MerchantOption struct {
	ID   int64
	Name string
	Role string
}

// NavItem is one navigation link. Key is a catalogue key; ID is used for
// data-testid="nav-<ID>". Hint is the catalogue key of a one-line
// description (dashboard tiles; "" = none).
type NavItem struct {
	ID, Key, Href string
	Hint          string
	Active        bool
}

// NavGroup is one group of the menu ("Jualan", "Uang", …). A group without
// Key holds links that stand in the bar on their own (the dashboard).
// Active says the current page is one of its items.
type NavGroup struct {
	ID, Key string
	Items   []NavItem
	Active  bool
}

// currentNav returns the item of the current page, if the menu has it.
func currentNav(groups []NavGroup) (NavItem, bool) {
	for _, g := range groups {
		for _, n := range g.Items {
			if n.Active {
				return n, true
			}
		}
	}
	return NavItem{}, false
}

// Flash is a one-time message. Kind is "ok" or "error"; Key is a catalogue
// key and Arg fills its %s, if any.
type Flash struct {
	Kind, Key, Arg string
}

// FieldErrors maps a form field name to the catalogue key of its message.
type FieldErrors map[string]string

// LoginView is the login form.
type LoginView struct {
	Email string
	// Error is a catalogue key shown above the form ("" = none); Wait
	// fills login.error.limited.
	Error string
	Wait  time.Duration
	Flash Flash
}

// DashboardView is the landing page after login.
type DashboardView struct {
	// Actions are the quick links for the user's role (only existing pages).
	Actions []NavItem
	// AdminLinks are shown to installation administrators.
	AdminLinks []NavItem
	// Balance is shown to owners and auditors (never cashiers); nil hides it.
	Balance *BalanceView
	// Proof is the balance proof (owners and auditors); nil hides it.
	Proof *BalanceProofView
}

// MerchantRow is one merchant in the administrator's list.
type MerchantRow struct {
	ID                             int64
	Name, NetzmeCustID, City, NMID string
	Phone                          string
	CreatedAt                      time.Time
}

// MerchantForm is the add-merchant form with its values and errors.
type MerchantForm struct {
	Name, NetzmeCustID, City, NMID, Phone string
	Errors                                FieldErrors
}

// AdminMerchantsView is the administrator's merchants page.
type AdminMerchantsView struct {
	Merchants []MerchantRow
	Form      MerchantForm
	Pager     Pager
}

// UserRow is one user in a list.
type UserRow struct {
	ID                int64
	Email, Name       string
	IsAdmin, Disabled bool
	Merchants         string // "Toko A (owner), Toko B (cashier)" summary
	CreatedAt         time.Time
}

// UserForm is the add-user form (administrator and owner variants).
type UserForm struct {
	Email, Name string
	MerchantID  int64
	// MerchantChosen: the administrator picked a shop or "no shop"
	// (MerchantID 0); false shows "— pilih —" selected.
	MerchantChosen bool
	Role           string
	IsAdmin        bool
	Errors         FieldErrors
}

// AdminUsersView is the administrator's users page.
type AdminUsersView struct {
	Users     []UserRow
	Merchants []MerchantOption // choices for the add form
	Form      UserForm
	Pager     Pager
}

// MembershipRow is one membership of a user, or one member of a merchant.
type MembershipRow struct {
	UserID, MerchantID int64
	MerchantName       string
	UserEmail          string
	UserName           string
	Role               string
	UserDisabled       bool
	Self               bool // the row is the viewing user
}

// AdminUserView is the administrator's page for one user.
type AdminUserView struct {
	User        UserRow
	Self        bool
	Memberships []MembershipRow
	Merchants   []MerchantOption // merchants the user can still be added to
	Form        UserForm         // the add-to-merchant form
	TwoFactor   bool             // the user has two-step verification on
}

// MembersView is an owner's page of their merchant's users.
type MembersView struct {
	Members []MembershipRow
	Form    UserForm
	Pager   Pager
}

// MemberView is an owner's page for one member of their merchant.
type MemberView struct {
	Member MembershipRow
	Errors FieldErrors
}

// ErrorView is a generic error page. Status picks the catalogue texts; the
// request id lets an administrator find the log line, nothing else leaks.
type ErrorView struct {
	Status    int
	RequestID string
	// Message is the catalogue key of a more precise body ("" = the
	// status's own), and BackURL where the way-out link goes ("" = home).
	Message, BackURL string
}

// Roles lists the merchant roles in the order forms offer them.
var Roles = []string{"owner", "cashier", "auditor"}

// AuditRow is one audit_log line as shown.
type AuditRow struct {
	At                    time.Time
	UserEmail             string // "" = the system
	Merchant              string // merchant name; "" = installation-wide
	Action, Detail        string
	RemoteAddr, RequestID string
}

// AuditView is a page of the audit log, newest first. Admin says whether
// this is the installation-wide log (with a merchant column).
type AuditView struct {
	Rows  []AuditRow
	Pager Pager
	Admin bool
}
