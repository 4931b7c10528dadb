package qris

// CRC16 returns the CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740) of data:
// polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR
// (qris §6). QRIS computes it over the whole payload up to and including
// the "6304" that introduces the CRC object. The standard library's hash/crc*
// packages have no CRC-16, hence this bitwise loop.
func CRC16(data []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, b := range data {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// crcHex formats a CRC the only way QRIS accepts on output: 4 uppercase,
// zero-padded hex digits (qris §6; unpadded CRCs are a known converter bug).
func crcHex(c uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[c>>12], digits[c>>8&0xF], digits[c>>4&0xF], digits[c&0xF]})
}
