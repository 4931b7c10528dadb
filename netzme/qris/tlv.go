package qris

import (
	"fmt"
	"strconv"
)

// object is one TLV data object. Templates keep their raw value too, so that
// re-encoding never alters bytes we did not mean to change.
type object struct {
	id    string
	value string
	off   int // offset of the ID in the trimmed payload, for error messages
}

// decodeTLV splits s into data objects. base is the offset of s inside the
// whole payload and path the enclosing tag ("" at root, "62" inside tag 62),
// both only used to make errors point at the problem.
func decodeTLV(s string, base int, path string) ([]object, error) {
	var objs []object
	seen := make(map[string]bool)
	for i := 0; i < len(s); {
		if len(s)-i < 4 {
			return nil, &Error{Err: ErrSyntax, Tag: path, Offset: base + i,
				Msg: fmt.Sprintf("%d stray characters %q where a tag (ID and length, 4 digits) was expected", len(s)-i, s[i:])}
		}
		id, ln := s[i:i+2], s[i+2:i+4]
		if !isDigits(id) {
			return nil, &Error{Err: ErrSyntax, Tag: path, Offset: base + i,
				Msg: fmt.Sprintf("tag ID %q is not two digits", id)}
		}
		tag := joinTag(path, id)
		if !isDigits(ln) {
			return nil, &Error{Err: ErrSyntax, Tag: tag, Offset: base + i + 2,
				Msg: fmt.Sprintf("length %q is not two digits", ln)}
		}
		n, _ := strconv.Atoi(ln)
		if i+4+n > len(s) {
			return nil, &Error{Err: ErrSyntax, Tag: tag, Offset: base + i,
				Msg: fmt.Sprintf("length %d runs past the end of the data (%d characters left)", n, len(s)-i-4)}
		}
		if seen[id] {
			return nil, &Error{Err: ErrDuplicate, Tag: tag, Offset: base + i,
				Msg: "appears twice"}
		}
		seen[id] = true
		objs = append(objs, object{id: id, value: s[i+4 : i+4+n], off: base + i})
		i += 4 + n
	}
	return objs, nil
}

// encodeTLV serializes objects with fresh two-digit lengths. Callers check
// that every value is at most 99 characters before encoding.
func encodeTLV(objs []object) string {
	var b []byte
	for _, o := range objs {
		b = append(b, o.id...)
		b = append(b, byte('0'+len(o.value)/10), byte('0'+len(o.value)%10))
		b = append(b, o.value...)
	}
	return string(b)
}

// withCRC appends the CRC object to a serialized payload body.
func withCRC(body string) string {
	body += "6304"
	return body + crcHex(CRC16([]byte(body)))
}

func joinTag(path, id string) string {
	if path == "" {
		return id
	}
	return path + "." + id
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
