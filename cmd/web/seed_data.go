package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// What seeded rows say: Indonesian shops, buyers and goods. Customer names
// are letters and spaces only, as Netzme requires (§3.12 fullname).

var seedShops = []struct{ name, city, postal string }{
	{"Warung Makan Bu Sri", "JAKARTA", "10110"},
	{"Toko Kelontong Berkah", "BANDUNG", "40111"},
	{"Kopi Senja Nusantara", "YOGYAKARTA", "55211"},
	{"Batik Larasati", "SOLO", "57111"},
	{"Bengkel Motor Jaya Abadi", "SURABAYA", "60111"},
	{"Apotek Sehat Sentosa", "SEMARANG", "50132"},
	{"Toko Roti Mawar", "MALANG", "65111"},
	{"Laundry Kilat Bersih", "DEPOK", "16411"},
	{"Sate Madura Cak Mat", "BEKASI", "17111"},
	{"Toko Bangunan Sumber Rejeki", "MEDAN", "20111"},
	{"Salon Cantik Ayu", "DENPASAR", "80111"},
	{"Kedai Bakso Pak Kumis", "BOGOR", "16111"},
	{"Toko Buku Cahaya Ilmu", "MAKASSAR", "90111"},
	{"Konter Pulsa Mandiri Cell", "PALEMBANG", "30111"},
	{"Martabak Manis Bangka", "TANGERANG", "15111"},
	{"Distro Kaos Anak Muda", "BALIKPAPAN", "76111"},
}

var seedFirstNames = []string{
	"Budi", "Siti", "Agus", "Dewi", "Andi", "Rina", "Joko", "Sri", "Ahmad", "Putri", "Rudi", "Wulan", "Hendra",
	"Ayu", "Bayu", "Fitri", "Dedi", "Indah", "Eko", "Nur", "Yusuf", "Ratna", "Arif", "Lestari", "Fajar", "Maya",
	"Galih", "Intan", "Hadi", "Kartika", "Irfan", "Mega", "Teguh", "Novi", "Wahyu", "Yanti", "Rizky", "Anisa",
	"Dimas", "Sari", "Gilang", "Tari", "Bambang", "Endang", "Surya", "Dian", "Taufik", "Ningsih",
}

var seedLastNames = []string{
	"Santoso", "Rahmawati", "Wijaya", "Lestari", "Saputra", "Hidayat", "Kusuma", "Pratama", "Setiawan", "Nugroho",
	"Siregar", "Hasibuan", "Wibowo", "Susanto", "Permana", "Purnomo", "Halim", "Gunawan", "Kurniawan", "Utami",
	"Nasution", "Simanjuntak", "Sitompul", "Tanjung", "Harahap", "Firmansyah", "Maharani", "Anggraini",
	"Suryadi", "Salim",
}

// seedGoods are things a small shop sells, with a typical unit price in
// whole rupiah.
var seedGoods = []struct {
	name  string
	price int64
}{
	{"Nasi goreng spesial", 25000}, {"Mie ayam bakso", 18000}, {"Es teh manis", 5000}, {"Kopi susu gula aren", 22000},
	{"Sate ayam 10 tusuk", 30000}, {"Martabak telur", 35000}, {"Roti sobek cokelat", 15000}, {"Beras 5 kg", 72000},
	{"Minyak goreng 2 liter", 38000}, {"Gula pasir 1 kg", 17500}, {"Telur ayam 1 kg", 29000}, {"Pulsa 50rb", 51500},
	{"Token listrik 100rb", 102500}, {"Kaos polos hitam L", 65000}, {"Kemeja batik lengan panjang", 185000},
	{"Sarung tenun", 120000}, {"Servis motor ringan", 85000}, {"Ganti oli mesin", 60000}, {"Cuci kiloan 3 kg", 21000},
	{"Potong rambut", 35000}, {"Obat flu dan batuk", 24000}, {"Vitamin C 30 tablet", 45000}, {"Buku tulis 1 pak", 42000},
	{"Semen 50 kg", 68000}, {"Cat tembok 5 kg", 135000}, {"Paket nasi kotak 20 porsi", 500000},
	{"Kue lapis legit", 250000}, {"Keripik singkong balado", 20000}, {"Air mineral 1 dus", 48000},
	{"Sepatu sekolah anak", 175000}, {"Tas ransel", 210000}, {"Jasa desain undangan", 350000},
}

var seedEmailDomains = []string{"gmail.com", "yahoo.co.id", "outlook.com", "mail.com"}

// seedPick returns a random element of xs.
func seedPick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// seedBuyer returns a buyer's name, phone (+62…) and e-mail; some buyers
// leave phone or e-mail (or everything) empty, as at a real counter.
func seedBuyer(r *rand.Rand) (name, phone, email string) {
	if r.IntN(100) < 25 {
		return "", "", ""
	}
	first, last := seedPick(r, seedFirstNames), seedPick(r, seedLastNames)
	name = first + " " + last
	if r.IntN(100) < 80 {
		phone = "+628" + strconv.Itoa(1+r.IntN(9)) + seedDigits(r, 8+r.IntN(3))
	}
	if r.IntN(100) < 55 {
		email = strings.ToLower(first) + "." + strings.ToLower(last) + strconv.Itoa(r.IntN(100)) + "@" + seedPick(r, seedEmailDomains)
	}
	return name, phone, email
}

// seedSale returns a description and an amount in sen: one to a few of a
// thing, at its price give or take, rounded to Rp 500.
func seedSale(r *rand.Rand) (string, int64) {
	g := seedPick(r, seedGoods)
	qty := int64(1)
	if r.IntN(100) < 30 {
		qty = 2 + r.Int64N(4)
	}
	price := g.price * int64(90+r.IntN(21)) / 100
	price = max(500, (price+250)/500*500)
	desc := g.name
	if qty > 1 {
		desc = strconv.FormatInt(qty, 10) + " x " + g.name
	}
	return desc, qty * price * 100
}

func seedDigits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

const seedHexDigits = "0123456789ABCDEF"

func seedHex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = seedHexDigits[r.IntN(16)]
	}
	return string(b)
}
