package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Monitors and link checkers send HEAD; it must answer like GET, without a
// body. A real server, because a ResponseRecorder keeps HEAD bodies.
func TestHeadAnswersLikeGet(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	srv := httptest.NewServer(app.routes)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{"/login": http.StatusOK, "/healthz": http.StatusOK, "/": http.StatusSeeOther} {
		res, err := client.Head(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want || len(body) != 0 {
			t.Errorf("HEAD %s = %d with %d body bytes, want %d and no body", path, res.StatusCode, len(body), want)
		}
	}
}
