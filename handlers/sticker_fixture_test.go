package handlers

import "lapak/netzme/qris"

// stickerFixtureMerchant is the shop whose static QRIS is photographed in
// testdata/sticker.webp (a lossy WebP, as an Android camera saves it).
var stickerFixtureMerchant = qris.Merchant{
	Name: "WARUNG STIKER", City: "JAKARTA", MCC: "5812", NMID: "ID1020021234567",
	GUID: "ID.CO.NETZME.WWW", PAN: "9360081700000012345",
}
