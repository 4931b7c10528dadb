package views

func init() {
	addMessages(map[string]message{
		"sync.title":              {"Sinkronisasi catatan Netzme", "Netzme statement sync"},
		"sync.intro":              {"Lapak menyalin catatan transaksi, deposit, dan status penarikan dari Netzme ke bukunya sendiri, hari demi hari. Halaman lain membaca salinan ini, jadi tidak perlu menunggu Netzme.", "Lapak copies Netzme's transaction, deposit and withdrawal records into its own books, day by day. Other pages read this copy, so they never wait for Netzme."},
		"sync.current":            {"Sinkronisasi terakhir", "Latest sync"},
		"sync.never":              {"Belum pernah disinkronkan.", "Never synced yet."},
		"sync.days":               {"Hari selesai", "Days done"},
		"sync.lines":              {"Baris diterima", "Lines fetched"},
		"sync.newlines":           {"Baris baru", "New lines"},
		"sync.faults":             {"Gangguan Netzme", "Netzme faults"},
		"sync.started":            {"Mulai", "Started"},
		"sync.finished":           {"Selesai pada", "Finished"},
		"sync.range":              {"Tanggal", "Dates"},
		"sync.running":            {"Sedang berjalan; angka di atas diperbarui sendiri.", "Running; the figures above update by themselves."},
		"sync.reload":             {"Muat ulang", "Reload"},
		"sync.start":              {"Sinkronkan rentang tanggal", "Sync a date range"},
		"sync.submit":             {"Sinkronkan sekarang", "Sync now"},
		"sync.hint":               {"Rentang boleh sepanjang apa pun. Hari yang sudah final dilewati; tiga hari terakhir selalu dibaca ulang untuk transaksi yang terlambat masuk.", "Any range is fine. Days already final are skipped; the last three days are always read again for late transactions."},
		"sync.recent":             {"Riwayat sinkronisasi", "Sync history"},
		"sync.status.queued":      {"Menunggu", "Queued"},
		"sync.status.running":     {"Berjalan", "Running"},
		"sync.status.done":        {"Selesai", "Done"},
		"sync.status.failed":      {"Gagal", "Failed"},
		"sync.status.interrupted": {"Terputus", "Interrupted"},
		"sync.trigger.manual":     {"diminta", "requested"},
		"sync.trigger.schedule":   {"terjadwal", "scheduled"},
		"flash.sync.started":      {"Sinkronisasi dimulai.", "Sync started."},
		"flash.sync.running":      {"Sinkronisasi sedang berjalan; tunggu sampai selesai.", "A sync is already running; wait until it ends."},
		// The sandbox lists manual adjustments (spec §3.4 documents no such type).
		"txtype.ADJUSTMENT": {"Penyesuaian", "Adjustment"},
		"err.sync.range":    {"Rentang tanggal tidak valid: tanggal akhir sebelum tanggal awal, atau tanggal awal di masa depan.", "Invalid date range: the end is before the start, or the start is in the future."},
	})
}
