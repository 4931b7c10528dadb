package views

// Accounts (issue 13 §6): password change and reset, two-factor sign-in,
// sign-in throttling.
func init() {
	addMessages(map[string]message{
		"nav.account": {"Akun", "Account"},

		"wait.seconds": {"%d detik", "%d seconds"},
		"wait.minutes": {"%d menit", "%d minutes"},

		"account.title":            {"Akun saya", "My account"},
		"account.password":         {"Ganti kata sandi", "Change password"},
		"account.password.submit":  {"Ganti kata sandi", "Change password"},
		"account.password.hint":    {"Setelah diganti, semua sesi lain akun ini (perangkat lain) otomatis keluar.", "After the change, every other session of this account (other devices) is signed out."},
		"account.2fa":              {"Verifikasi dua langkah", "Two-step verification"},
		"account.2fa.on":           {"Aktif", "On"},
		"account.2fa.off":          {"Tidak aktif", "Off"},
		"account.2fa.since":        {"sejak %s.", "since %s."},
		"account.2fa.intro":        {"Dengan verifikasi dua langkah, masuk juga meminta kode 6 digit dari aplikasi autentikator di ponsel Anda.", "With two-step verification, signing in also asks for a 6-digit code from an authenticator app on your phone."},
		"account.2fa.setup":        {"Aktifkan verifikasi dua langkah", "Turn on two-step verification"},
		"account.2fa.disable":      {"Matikan verifikasi dua langkah", "Turn off two-step verification"},
		"account.2fa.recoveryleft": {"Kode pemulihan yang belum dipakai: %d.", "Unused recovery codes: %d."},

		"field.currentpassword": {"Kata sandi saat ini", "Current password"},
		"field.newpassword":     {"Kata sandi baru (minimal 10 karakter)", "New password (at least 10 characters)"},
		"field.newpassword2":    {"Ulangi kata sandi baru", "New password again"},
		"field.totpcode":        {"Kode 6 digit dari aplikasi", "6-digit code from the app"},
		"field.totporrecovery":  {"Kode 6 digit atau kode pemulihan", "6-digit code or recovery code"},

		"err.password.wrong":    {"Kata sandi salah.", "Wrong password."},
		"err.password.mismatch": {"Kedua kata sandi baru tidak sama.", "The two new passwords differ."},
		"err.password.limited":  {"Terlalu banyak percobaan yang gagal. Coba lagi nanti.", "Too many failed attempts. Try again later."},

		"flash.password.changed": {"Kata sandi diganti. Sesi lain akun ini sudah keluar.", "Password changed. The account's other sessions are signed out."},
		"flash.password.reset":   {"Kata sandi baru disimpan. Silakan masuk.", "New password saved. Please sign in."},
		"flash.2fa.on":           {"Verifikasi dua langkah aktif.", "Two-step verification is on."},
		"flash.2fa.off":          {"Verifikasi dua langkah dimatikan.", "Two-step verification is off."},
		"flash.2fa.offfor":       {"Verifikasi dua langkah %s dimatikan.", "Two-step verification of %s is off."},
		"flash.2fa.recoveryleft": {"Anda masuk dengan kode pemulihan. Sisa kode: %s.", "You signed in with a recovery code. Codes left: %s."},
		"flash.2fa.expired":      {"Waktu untuk memasukkan kode habis. Masuk lagi.", "Time to enter the code ran out. Please sign in again."},

		"twofactor.setup.scan":    {"1. Pindai kode QR ini dengan aplikasi autentikator (mis. Google Authenticator, Aegis, 2FAS).", "1. Scan this QR code with an authenticator app (e.g. Google Authenticator, Aegis, 2FAS)."},
		"twofactor.setup.type":    {"Tidak bisa memindai? Ketik kunci ini di aplikasi:", "Cannot scan? Type this key into the app:"},
		"twofactor.setup.params":  {"Berbasis waktu (TOTP), 6 digit, setiap 30 detik.", "Time-based (TOTP), 6 digits, every 30 seconds."},
		"twofactor.setup.confirm": {"2. Konfirmasi dengan kode", "2. Confirm with the code"},
		"twofactor.setup.wrong":   {"Kode salah atau kedaluwarsa. Coba kode yang sedang tampil.", "Wrong or expired code. Try the code shown now."},
		"twofactor.codes.title":   {"Kode pemulihan", "Recovery codes"},
		"twofactor.codes.intro":   {"Simpan kode-kode ini di tempat aman (dicetak atau di pengelola kata sandi). Jika ponsel hilang, setiap kode bisa dipakai satu kali sebagai pengganti kode aplikasi.", "Keep these codes somewhere safe (printed or in a password manager). If you lose your phone, each code works once instead of an app code."},
		"twofactor.codes.once":    {"Kode ini hanya ditampilkan sekarang.", "These codes are shown only now."},
		"twofactor.codes.done":    {"Sudah saya simpan", "I have saved them"},
		"twofactor.login.title":   {"Verifikasi dua langkah", "Two-step verification"},
		"twofactor.login.intro":   {"Masukkan kode 6 digit dari aplikasi autentikator Anda, atau salah satu kode pemulihan.", "Enter the 6-digit code from your authenticator app, or one of your recovery codes."},
		"twofactor.login.invalid": {"Kode salah, kedaluwarsa, atau sudah dipakai.", "Wrong, expired or already used code."},
		"twofactor.login.restart": {"Mulai lagi dari awal", "Start again"},

		"reset.title":        {"Buat kata sandi baru", "Set a new password"},
		"reset.for":          {"Untuk akun %s.", "For the account %s."},
		"reset.submit":       {"Simpan kata sandi", "Save password"},
		"reset.invalid":      {"Tautan ini tidak berlaku: sudah dipakai, kedaluwarsa, atau salah. Minta tautan baru ke administrator.", "This link does not work: it was used, has expired or is wrong. Ask your administrator for a new one."},
		"reset.tologin":      {"Ke halaman masuk", "To the sign-in page"},
		"reset.link.title":   {"Tautan atur ulang kata sandi", "Password reset link"},
		"reset.link.intro":   {"Berikan tautan ini kepada %s (secara langsung atau lewat pesan pribadi). Tautan berlaku satu kali; tautan lama untuk akun ini tidak berlaku lagi.", "Give this link to %s (in person or by private message). It works once; any older link for this account no longer works."},
		"reset.link.expires": {"Berlaku sampai %s. Tautan ini hanya ditampilkan sekarang.", "Valid until %s. The link is shown only now."},
		"action.resetlink":   {"Buat tautan atur ulang kata sandi", "Make a password reset link"},
		"confirm.2fa.off":    {"Matikan verifikasi dua langkah pengguna ini? Lakukan hanya jika Anda yakin ini memang dia.", "Turn off this user's two-step verification? Only if you are sure it is really them asking."},
	})
}
