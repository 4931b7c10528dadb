package handlers

import (
	"encoding/json"
	"net/http"

	"lapak/snap"
)

// writeSNAP is the one writer of answers to a provider's SNAP request
// (Netzme's callbacks, NICEPAY's token, inquiry and payment): body (JSON)
// under status, with the X-TIMESTAMP header and no caching.
func (h *Handler) writeSNAP(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-TIMESTAMP", snap.Timestamp(h.now()))
	w.WriteHeader(status)
	w.Write(body)
}

// snapJSON marshals v; our response types always marshal.
func snapJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return snapError(http.StatusInternalServerError, "00", "General Error")
	}
	return b
}

// snapError is the body of a SNAP refusal of a request Lapak serves:
// responseCode built from the HTTP status, service code "00" (Lapak's
// callback endpoints have no service code of their own, §2.9) and the SNAP
// case code, and the message.
func snapError(httpStatus int, caseCode, message string) []byte {
	b, _ := json.Marshal(snap.Response{ResponseCode: snap.MakeCode(httpStatus, "00", caseCode), ResponseMessage: message})
	return b
}
