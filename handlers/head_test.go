package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Monitors and link checkers send HEAD; it must answer like GET, without a body.
func TestHeadAnswersLikeGet(t *testing.T) {
	app := newTestApp(t)
	for path, want := range map[string]int{"/login": http.StatusOK, "/healthz": http.StatusOK, "/": http.StatusSeeOther} {
		res := app.client().do(httptest.NewRequest(http.MethodHead, path, nil))
		if res.Code != want || res.Body != "" {
			t.Errorf("HEAD %s = %d with %d body bytes, want %d and no body", path, res.Code, len(res.Body), want)
		}
	}
}
