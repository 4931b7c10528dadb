package views

func init() {
	addMessages(map[string]message{
		"history.source.payment":    {"QRIS statis", "Static QRIS"},
		"history.check.ok":          {"cocok dengan Netzme", "matches Netzme"},
		"history.check.mismatch":    {"jumlah berbeda di Netzme", "amount differs at Netzme"},
		"history.check.missing":     {"tidak dikenal Netzme", "unknown to Netzme"},
		"history.check.unavailable": {"belum bisa dicek", "could not be checked"},
	})
}
