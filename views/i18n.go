package views

import (
	"context"
	"fmt"
)

// Lang is a UI language. Lapak speaks Bahasa Indonesia by default because its
// users are Indonesian merchants and cashiers; English is selectable.
type Lang string

// The supported languages; anything else falls back to LangID.
const (
	LangID Lang = "id"
	LangEN Lang = "en"
)

// ParseLang returns the language named by s ("id" or "en") and whether s
// named a supported language.
func ParseLang(s string) (Lang, bool) {
	switch Lang(s) {
	case LangID, LangEN:
		return Lang(s), true
	}
	return LangID, false
}

type langKey struct{}

// WithLang returns a context whose pages render in lang.
func WithLang(ctx context.Context, lang Lang) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

// LangFrom returns the language stored by WithLang, or LangID when none is.
func LangFrom(ctx context.Context) Lang {
	if l, ok := ctx.Value(langKey{}).(Lang); ok {
		return l
	}
	return LangID
}

// message is one catalogue entry in both languages.
type message struct{ id, en string }

// T translates key into the context's language. With args, the message is a
// fmt format and args fill it. An unknown key renders as the key itself so a
// missing translation is visible on the page; tests keep that from shipping.
func T(ctx context.Context, key string, args ...any) string {
	m, ok := catalogue[key]
	if !ok {
		return key
	}
	s := m.id
	if LangFrom(ctx) == LangEN {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// HasMessage reports whether key is in the catalogue; handlers' tests use it
// to check the keys they store in flashes and field errors.
func HasMessage(key string) bool {
	_, ok := catalogue[key]
	return ok
}

// catalogue holds every UI string. Keys are dotted by page or purpose.
var catalogue = map[string]message{
	// Navigation and chrome.
	"nav.label":           {"Menu utama", "Main menu"},
	"nav.dashboard":       {"Dasbor", "Dashboard"},
	"nav.invoices":        {"Tagihan", "Invoices"},
	"nav.qris":            {"QRIS", "QRIS"},
	"nav.balance":         {"Saldo", "Balance"}, // history has its own item
	"nav.withdrawals":     {"Penarikan", "Withdrawals"},
	"nav.deposits":        {"Deposit", "Deposits"},
	"nav.members":         {"Pengguna", "Users"},
	"nav.menu":            {"Menu", "Menu"},
	"nav.kasir":           {"Kasir", "Till"},
	"nav.reconciliation":  {"Rekonsiliasi", "Reconciliation"},
	"nav.group.sales":     {"Jualan", "Sales"},
	"nav.group.money":     {"Uang", "Money"},
	"nav.group.shop":      {"Toko", "Shop"},
	"nav.group.admin":     {"Admin", "Admin"},
	"nav.admin.merchants": {"Semua toko", "All shops"},
	"nav.admin.users":     {"Semua pengguna", "All users"},
	"nav.admin.audit":     {"Catatan audit instalasi", "Installation audit log"},

	// Dashboard tiles: one line on what each page is for.
	"quick.kasir":          {"Terima pembayaran di kasir", "Take a payment at the till"},
	"quick.invoices":       {"Buat tagihan atau lihat yang sudah lunas", "Create an invoice or see what is paid"},
	"quick.qris":           {"QRIS toko, QR nominal tetap, cek stiker", "The shop's QRIS, fixed-amount codes, sticker check"},
	"quick.cvs":            {"Nomor bayar untuk Alfamart/Alfamidi", "Payment numbers for Alfamart/Alfamidi"},
	"quick.balance":        {"Saldo dan pemasukan hari ini", "Balance and today's takings"},
	"quick.history":        {"Semua transaksi per tanggal", "Every transaction by date"},
	"quick.reconciliation": {"Cocokkan catatan Lapak dengan Netzme", "Match Lapak's records with Netzme"},
	"quick.withdrawals":    {"Tarik saldo ke rekening bank", "Withdraw the balance to the bank"},
	"quick.audit":          {"Siapa melakukan apa, kapan", "Who did what, when"},
	"quick.notifications":  {"Pemberitahuan pembayaran dari Netzme", "Payment notifications from Netzme"},
	"quick.adminmerchants": {"Tambah dan lihat toko", "Add and view shops"},
	"quick.adminusers":     {"Tambah pengguna, atur akses", "Add users, manage access"},
	"nav.logout":           {"Keluar", "Log out"},
	"nav.sandbox":          {"Sandbox Netzme", "Netzme sandbox"},
	"nav.skip":             {"Lewati ke isi", "Skip to content"},
	"lang.label":           {"Bahasa", "Language"},
	"lang.id":              {"Bahasa Indonesia", "Bahasa Indonesia"},
	"lang.en":              {"English", "English"},
	"merchant.label":       {"Toko", "Shop"},
	"merchant.switch":      {"Ganti toko", "Switch shop"},
	"user.signedin":        {"Masuk sebagai %s", "Signed in as %s"},

	// Roles.
	"role.owner":   {"Pemilik", "Owner"},
	"role.cashier": {"Kasir", "Cashier"},
	"role.auditor": {"Auditor", "Auditor"},
	"role.admin":   {"Administrator", "Administrator"},

	// Login.
	"login.title":           {"Masuk ke Lapak", "Log in to Lapak"},
	"login.intro":           {"Kantor belakang untuk toko Netzme Anda.", "The back office for your Netzme shop."},
	"login.submit":          {"Masuk", "Log in"},
	"login.error.invalid":   {"Email atau kata sandi salah.", "Wrong e-mail or password."},
	"login.error.disabled":  {"Akun ini dinonaktifkan. Hubungi administrator Anda.", "This account is disabled. Contact your administrator."},
	"login.error.limited":   {"Terlalu banyak percobaan yang gagal. Coba lagi dalam %s.", "Too many failed attempts. Try again in %s."},
	"login.error.required":  {"Isi email dan kata sandi.", "Enter your e-mail and password."},
	"flash.loggedout":       {"Anda sudah keluar.", "You have logged out."},
	"flash.session.expired": {"Silakan masuk lagi.", "Please log in again."},

	// Fields.
	"field.name":     {"Nama", "Name"},
	"field.email":    {"Email", "E-mail"},
	"field.password": {"Kata sandi", "Password"},
	"field.initialpassword": {
		"Kata sandi awal (min. 10 karakter; hanya untuk pengguna baru)",
		"Initial password (min. 10 characters; new users only)",
	},
	"field.merchant":   {"Toko", "Shop"},
	"field.nomerchant": {"— tanpa toko —", "— no shop —"},
	"field.role":       {"Peran", "Role"},
	"field.admin":      {"Administrator instalasi", "Installation administrator"},
	"field.custid":     {"ID merchant Netzme (custIdMerchant)", "Netzme merchant ID (custIdMerchant)"},
	"field.city":       {"Kota", "City"},
	"field.nmid":       {"NMID", "NMID"},
	"field.phone":      {"Nomor HP terdaftar", "Registered phone number"},
	"field.status":     {"Status", "Status"},
	"field.created":    {"Dibuat", "Created"},
	"field.optional":   {"(opsional)", "(optional)"},

	// Field and form errors (keys stored by handlers in view models).
	"err.form":           {"Periksa isian yang ditandai.", "Please check the marked fields."},
	"err.required":       {"Wajib diisi.", "Required."},
	"err.email":          {"Alamat email tidak valid.", "Not a valid e-mail address."},
	"err.password.short": {"Kata sandi minimal 10 karakter.", "The password needs at least 10 characters."},
	"err.role":           {"Pilih peran yang valid.", "Choose a valid role."},
	"err.merchant":       {"Pilih toko yang valid.", "Choose a valid shop."},
	"err.email.taken":    {"Email ini sudah terdaftar.", "This e-mail is already registered."},
	"err.custid.taken":   {"ID merchant Netzme ini sudah dipakai toko lain.", "Another shop already uses this Netzme merchant ID."},
	"err.lastowner":      {"Toko harus tetap punya setidaknya satu pemilik.", "A shop must keep at least one owner."},
	"err.toolong":        {"Terlalu panjang.", "Too long."},
	"err.self":           {"Anda tidak bisa menonaktifkan akun Anda sendiri.", "You cannot disable your own account."},
	"err.member.exists":  {"Pengguna ini sudah anggota toko ini.", "This user is already a member of this shop."},
	"err.switch":         {"Anda bukan anggota toko itu.", "You are not a member of that shop."},

	// Common actions and states.
	"action.save":       {"Simpan", "Save"},
	"action.add":        {"Tambah", "Add"},
	"action.remove":     {"Hapus dari toko", "Remove from shop"},
	"action.changerole": {"Ubah peran", "Change role"},
	"action.disable":    {"Nonaktifkan", "Disable"},
	"action.enable":     {"Aktifkan", "Enable"},
	"action.open":       {"Buka", "Open"},
	"action.back":       {"Kembali", "Back"},
	"confirm.remove":    {"Hapus pengguna ini dari toko?", "Remove this user from the shop?"},
	"confirm.disable":   {"Nonaktifkan pengguna ini? Sesi mereka langsung berakhir.", "Disable this user? Their sessions end at once."},
	"status.active":     {"Aktif", "Active"},
	"status.disabled":   {"Nonaktif", "Disabled"},
	"yes":               {"Ya", "Yes"},
	"no":                {"Tidak", "No"},

	// Dashboard.
	"dashboard.title":      {"Dasbor", "Dashboard"},
	"dashboard.role":       {"Peran Anda: %s", "Your role: %s"},
	"dashboard.actions":    {"Tindakan cepat", "Quick actions"},
	"dashboard.noactions":  {"Halaman untuk peran ini sedang disiapkan.", "Pages for this role are on their way."},
	"dashboard.admin":      {"Administrasi", "Administration"},
	"nomerchant.title":     {"Belum ada toko", "No shop yet"},
	"nomerchant.body":      {"Akun Anda belum terhubung ke toko mana pun. Minta administrator Anda untuk menambahkan Anda ke sebuah toko.", "Your account does not belong to any shop yet. Ask your administrator to add you to a shop."},
	"nomerchant.adminbody": {"Anda administrator instalasi ini. Tambahkan toko dan pengguna, lalu jadikan diri Anda anggota toko untuk memakai halaman toko.", "You administer this installation. Add shops and users, then make yourself a member of a shop to use its pages."},

	// Administration.
	"admin.merchants":        {"Toko", "Shops"},
	"admin.users":            {"Pengguna", "Users"},
	"admin.merchant.add":     {"Tambah toko", "Add shop"},
	"admin.user.add":         {"Tambah pengguna", "Add user"},
	"admin.merchants.empty":  {"Belum ada toko. Tambahkan toko pertama di bawah.", "No shops yet. Add the first one below."},
	"admin.users.empty":      {"Belum ada pengguna.", "No users yet."},
	"admin.user.memberships": {"Keanggotaan toko", "Shop memberships"},
	"admin.user.nomember":    {"Pengguna ini belum anggota toko mana pun.", "This user does not belong to any shop yet."},
	"admin.user.addmember":   {"Tambahkan ke toko", "Add to a shop"},
	"admin.user.account":     {"Akun", "Account"},
	"flash.merchant.created": {"Toko %s ditambahkan.", "Shop %s added."},
	"flash.user.created":     {"Pengguna %s ditambahkan.", "User %s added."},
	"flash.user.disabled":    {"Pengguna %s dinonaktifkan.", "User %s disabled."},
	"flash.user.enabled":     {"Pengguna %s diaktifkan.", "User %s enabled."},
	"flash.role.changed":     {"Peran %s diubah.", "Role of %s changed."},
	"flash.member.added":     {"%s ditambahkan ke toko.", "%s added to the shop."},
	"flash.member.removed":   {"%s dihapus dari toko.", "%s removed from the shop."},
	"flash.merchant.switch":  {"Sekarang bekerja di %s.", "Now working in %s."},
	"flash.lang":             {"Bahasa diganti.", "Language changed."},

	// Audit log.
	"nav.audit":    {"Catatan audit", "Audit log"},
	"audit.title":  {"Catatan audit", "Audit log"},
	"audit.empty":  {"Belum ada catatan.", "No entries yet."},
	"audit.when":   {"Waktu", "When"},
	"audit.who":    {"Oleh", "By"},
	"audit.action": {"Tindakan", "Action"},
	"audit.detail": {"Rincian", "Detail"},
	"audit.from":   {"Alamat", "Address"},
	"audit.system": {"sistem", "system"},
	"pager.prev":   {"← Sebelumnya", "← Previous"},
	"pager.next":   {"Berikutnya →", "Next →"},

	// Shop users (owner).
	"members.title": {"Pengguna toko", "Shop users"},
	"members.intro": {"Orang yang bisa memakai Lapak untuk %s.", "People who can use Lapak for %s."},
	"members.add":   {"Tambah atau undang pengguna", "Add or invite a user"},
	"members.addhint": {
		"Jika email sudah terdaftar, pengguna itu ditambahkan ke toko ini dengan peran yang dipilih.",
		"If the e-mail is already registered, that user joins this shop with the chosen role.",
	},
	"members.empty": {"Belum ada pengguna lain di toko ini.", "No other users in this shop yet."},
	"members.you":   {"(Anda)", "(you)"},

	// Error pages: they say what happened in the user's terms, never why internally.
	"error.back":      {"Kembali ke dasbor", "Back to the dashboard"},
	"error.requestid": {"Kode permintaan: %s", "Request code: %s"},
	"error.400.title": {"Permintaan tidak valid", "Invalid request"},
	"error.400.body":  {"Permintaan ini tidak bisa diproses. Muat ulang halaman lalu coba lagi.", "This request could not be processed. Reload the page and try again."},
	"error.403.title": {"Akses ditolak", "Access denied"},
	"error.403.body":  {"Anda tidak punya izin untuk halaman atau tindakan ini.", "You are not allowed to use this page or action."},
	"error.404.title": {"Halaman tidak ditemukan", "Page not found"},
	"error.404.body":  {"Halaman atau data yang Anda cari tidak ada.", "The page or record you asked for does not exist."},
	"error.405.title": {"Metode tidak diizinkan", "Method not allowed"},
	"error.405.body":  {"Halaman ini tidak menerima permintaan seperti itu.", "This page does not accept that kind of request."},
	"error.413.title": {"Data terlalu besar", "Request too large"},
	"error.413.body":  {"Data yang dikirim melebihi batas ukuran.", "The data you sent is larger than allowed."},
	"error.422.title": {"Isian belum benar", "Please check the form"},
	"error.422.body":  {"Beberapa isian belum benar.", "Some fields are not valid."},
	"error.429.title": {"Terlalu banyak percobaan", "Too many attempts"},
	"error.429.body":  {"Tunggu sebentar lalu coba lagi.", "Wait a moment and try again."},
	"error.500.title": {"Terjadi kesalahan", "Something went wrong"},
	"error.500.body":  {"Kami tidak bisa menyelesaikan permintaan ini. Coba lagi sebentar lagi; jika masih gagal, sebutkan kode di bawah kepada administrator.", "We could not complete this request. Try again shortly; if it keeps failing, give the code below to your administrator."},
}
