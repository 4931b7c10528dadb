package views

// Messages of the books (issue 12): the sales chart.
func init() {
	addMessages(map[string]message{
		"chart.title":        {"Penjualan %d hari terakhir", "Sales of the last %d days"},
		"chart.summary":      {"%s dari %d penjualan", "%s from %d sales"},
		"chart.aria":         {"Grafik batang penjualan harian, %d hari: total %s, hari tertinggi %s", "Bar chart of daily sales, %d days: total %s, best day %s"},
		"chart.bar":          {"%s: %s (%d penjualan)", "%s: %s (%d sales)"},
		"method.QRIS_STATIC": {"QRIS statis", "Static QRIS"},

		"sync.title":      {"Sinkronisasi catatan Netzme", "Netzme statement sync"},
		"sync.intro":      {"Lapak membaca catatan transaksi dan deposit Netzme per hari, semua halaman, agar bisa dicocokkan dengan buku Lapak. Berjalan sendiri tiap 10 menit untuk beberapa hari terakhir; di sini Anda bisa meminta rentang tanggal mana pun.", "Lapak reads Netzme's transaction and deposit records day by day, every page, to match them with Lapak's books. It runs by itself every 10 minutes for the last few days; here you can ask for any range of dates."},
		"sync.running":    {"Sedang menyinkronkan %s – %s", "Syncing %s – %s"},
		"sync.finished":   {"Sinkronisasi %s – %s selesai", "Sync of %s – %s finished"},
		"sync.days":       {"%d dari %d hari", "%d of %d days"},
		"sync.lines":      {"%d baris dibaca, %d baru atau berubah", "%d lines read, %d new or changed"},
		"sync.refreshing": {"Halaman ini memperbarui diri sendiri sampai selesai.", "This page refreshes itself until it is done."},
		"sync.finishedat": {"Selesai %s.", "Finished %s."},
		"sync.start":      {"Sinkronkan sekarang", "Sync now"},
		"sync.submit":     {"Sinkronkan sekarang", "Sync now"},

		"sync.error.netzme_unavailable": {"Netzme tidak menjawab dengan jelas; hari yang tersisa dibaca pada sinkronisasi berikutnya.", "Netzme gave no clear answer; the days left are read by the next sync."},
		"sync.error.days_failed":        {"Beberapa hari gagal dibaca dan dicoba lagi nanti.", "Some days could not be read and are retried later."},
		"sync.error.not_linked":         {"Toko ini belum terhubung ke Netzme.", "This shop is not linked to Netzme."},
		"sync.error.internal":           {"Sinkronisasi terhenti karena kesalahan di Lapak; coba lagi.", "The sync stopped on an error in Lapak; try again."},
		"method.CVS":                    {"Bayar di gerai", "Paid at a store"},
	})
}
