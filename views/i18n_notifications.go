package views

import "context"

// reasonText is the readable form of a callback's reason word; an unknown
// word is shown as is (it is still meaningful to an administrator).
func reasonText(ctx context.Context, reason string) string {
	if HasMessage("notif.reason." + reason) {
		return T(ctx, "notif.reason."+reason)
	}
	return reason
}

func init() {
	addMessages(map[string]message{
		"nav.notifications":     {"Notifikasi Netzme", "Netzme notifications"},
		"notif.title":           {"Notifikasi Netzme", "Netzme notifications"},
		"notif.intro":           {"Setiap pemberitahuan yang dikirim Netzme ke Lapak, disimpan apa adanya sebelum diterapkan.", "Every notification Netzme sent to Lapak, stored as received before it was applied."},
		"notif.detail":          {"Notifikasi #%d", "Notification #%d"},
		"notif.kind":            {"Jenis", "Kind"},
		"notif.all":             {"Semua", "All"},
		"notif.from":            {"Dari tanggal", "From"},
		"notif.to":              {"Sampai tanggal", "To"},
		"notif.filter":          {"Saring", "Filter"},
		"notif.total":           {"%s notifikasi", "%s notifications"},
		"notif.empty":           {"Belum ada notifikasi.", "No notifications yet."},
		"notif.received":        {"Diterima", "Received"},
		"notif.reference":       {"Referensi", "Reference"},
		"notif.amount":          {"Jumlah", "Amount"},
		"notif.feenet":          {"biaya %s, bersih %s", "fee %s, net %s"},
		"notif.reason":          {"Alasan", "Reason"},
		"notif.key":             {"Kunci duplikat", "Dedupe key"},
		"notif.attempts":        {"Kali diterapkan", "Apply runs"},
		"notif.resolved":        {"Diselesaikan", "Resolved"},
		"notif.effect":          {"Yang diubah", "What it changed"},
		"notif.noeffect":        {"Tidak mengubah apa pun.", "It changed nothing."},
		"notif.invoice":         {"Tagihan #%d", "Invoice #%d"},
		"notif.body":            {"Isi", "Body"},
		"notif.headers":         {"Kepala permintaan (header)", "Headers"},
		"notif.reapply":         {"Terapkan ulang", "Re-apply"},
		"notif.reapply.hint":    {"Aman diulang: pembayaran yang sama tidak pernah dicatat dua kali.", "Safe to repeat: the same payment is never recorded twice."},
		"notif.resolve":         {"Tandai selesai", "Mark resolved"},
		"notif.note":            {"Catatan penyelesaian", "Resolution note"},
		"notif.flash.noop":      {"Tidak ada yang berubah.", "Nothing changed."},
		"notif.flash.reapplied": {"Diterapkan ulang: %s.", "Re-applied: %s."},
		"notif.flash.resolved":  {"Notifikasi ditandai selesai.", "Notification marked resolved."},

		"notif.kind.invoice":   {"Pembayaran tagihan", "Invoice payment"},
		"notif.kind.qris":      {"Pembayaran QRIS", "QRIS payment"},
		"notif.kind.snap_qris": {"Pembayaran QRIS (SNAP)", "QRIS payment (SNAP)"},
		"notif.kind.withdraw":  {"Penarikan", "Withdrawal"},

		"notif.status.received":     {"Diterima", "Received"},
		"notif.status.applied":      {"Diterapkan", "Applied"},
		"notif.status.stored":       {"Disimpan", "Stored"},
		"notif.status.duplicate":    {"Duplikat", "Duplicate"},
		"notif.status.rejected":     {"Ditolak", "Rejected"},
		"notif.status.needs_review": {"Perlu diperiksa", "Needs review"},
		"notif.status.resolved":     {"Selesai", "Resolved"},

		"notif.reason.unauthenticated":      {"token/tanda tangan tidak sah", "not authenticated"},
		"notif.reason.malformed":            {"isi tidak dapat dibaca", "unreadable body"},
		"notif.reason.too_large":            {"isi terlalu besar", "body too large"},
		"notif.reason.unreadable":           {"isi terputus", "body cut off"},
		"notif.reason.content_type":         {"format isi bukan JSON", "body is not JSON"},
		"notif.reason.same_event":           {"kejadian yang sama sudah diterima", "same event already received"},
		"notif.reason.already_paid":         {"tagihan sudah lunas", "invoice already paid"},
		"notif.reason.unknown_reference":    {"referensi tidak dikenal", "unknown reference"},
		"notif.reason.reference_mismatch":   {"referensi saling bertentangan", "references contradict"},
		"notif.reason.merchant_mismatch":    {"tagihan milik merchant lain", "invoice of another merchant"},
		"notif.reason.unknown_merchant":     {"merchant tidak dikenal", "unknown merchant"},
		"notif.reason.not_success":          {"status bukan sukses", "status is not success"},
		"notif.reason.inconsistent_amounts": {"jumlah, biaya dan bersih tidak cocok", "amount, fee and net disagree"},
		"notif.reason.amount_mismatch":      {"jumlah berbeda dari tagihan", "amount differs from the invoice"},
		"notif.reason.paid_twice":           {"tagihan sudah lunas dengan jumlah lain", "invoice already paid with another amount"},
		"notif.reason.paid_after_expiry":    {"dibayar setelah kedaluwarsa", "paid after expiry"},
		"notif.reason.paid_after_close":     {"dibayar setelah tagihan ditutup", "paid after the invoice was closed"},
		"notif.reason.static_qris":          {"pembayaran QRIS tanpa tagihan", "QRIS payment without an invoice"},
		"notif.reason.apply_failed":         {"gagal diterapkan; disimpan untuk ditinjau", "could not be applied; kept for review"},
	})
}
