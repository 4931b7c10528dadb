package views

// Messages of the keyset-paged lists and the invoice search (issue 11).
func init() {
	addMessages(map[string]message{
		"pager.bad": {"Tautan halaman ini rusak atau sudah diubah, jadi halamannya tidak bisa ditampilkan. Buka daftarnya lagi dari halaman pertama.",
			"This page link is broken or was changed, so the page cannot be shown. Open the list again from its first page."},
		"pager.restart": {"Buka halaman pertama", "Go to the first page"},
		"search.short": {"Ketik minimal 3 huruf atau angka untuk mencari teks (atau sebuah nominal, misalnya 25.000). Daftar di bawah belum disaring dengan kata itu.",
			"Type at least 3 letters or digits to search text (or an amount, e.g. 25.000). The list below is not filtered by that word."},
		"search.hint": {"Referensi, ID Netzme, keterangan, nama/telepon/e-mail pelanggan, atau nominal (25.000)",
			"Reference, Netzme id, description, customer name/phone/e-mail, or an amount (25.000)"},
	})
}
