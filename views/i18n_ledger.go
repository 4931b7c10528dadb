package views

// Messages of the books (issue 12): the sales chart.
func init() {
	addMessages(map[string]message{
		"chart.title":        {"Penjualan %d hari terakhir", "Sales of the last %d days"},
		"chart.summary":      {"%s dari %d penjualan", "%s from %d sales"},
		"chart.aria":         {"Grafik batang penjualan harian, %d hari: total %s, hari tertinggi %s", "Bar chart of daily sales, %d days: total %s, best day %s"},
		"chart.bar":          {"%s: %s (%d penjualan)", "%s: %s (%d sales)"},
		"method.QRIS_STATIC": {"QRIS statis", "Static QRIS"},
		"method.CVS":         {"Bayar di gerai", "Paid at a store"},
	})
}
