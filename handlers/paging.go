package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"lapak/db"
	"lapak/views"
)

// Lists page by cursor (issue 11 §3): "Sebelumnya / Berikutnya" links carry
// the position of the row they continue from in the query key `cursor`, an
// opaque token made by db. The filters of a list keep their own query keys.
// The old `page=N` key is ignored, so a stale link shows the first page.

// cursorParam is the query key of a list position.
const cursorParam = "cursor"

// pageCursor is the cursor token of the request ("" = the first page).
func pageCursor(r *http.Request) string { return r.URL.Query().Get(cursorParam) }

// pagerFor builds the paging links of p: path with the list's filters in
// keep, and the cursor of the page before or after.
func pagerFor[T any](path string, keep url.Values, p db.Page[T]) views.Pager {
	link := func(token string) string {
		if token == "" {
			return ""
		}
		q := url.Values{}
		for k, vs := range keep {
			if k != cursorParam && k != "page" {
				q[k] = vs
			}
		}
		q.Set(cursorParam, token)
		return path + "?" + q.Encode()
	}
	return views.Pager{PrevURL: link(p.Prev), NextURL: link(p.Next)}
}

// listError answers a failed list read: a cursor that db refused (edited,
// cut short, from another list) is 400 with a message saying so and a link
// to the list's first page (firstPage, filters kept); anything else is 500.
func (h *Handler) listError(w http.ResponseWriter, r *http.Request, err error, firstPage string) {
	if errors.Is(err, db.ErrBadCursor) {
		h.renderErrorView(w, r, views.ErrorView{Status: http.StatusBadRequest, Message: "pager.bad", BackURL: firstPage})
		return
	}
	h.serverError(w, r, err)
}

// firstPageURL is path with the filters in keep and no cursor.
func firstPageURL(path string, keep url.Values) string {
	q := url.Values{}
	for k, vs := range keep {
		if k != cursorParam && k != "page" {
			q[k] = vs
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// countLabel shows a list count as db gives it: capped at db.CountCap, where
// it reads "1.000+".
func countLabel(n int) views.Counted {
	if n >= db.CountCap {
		return views.Counted{N: db.CountCap - 1, More: true}
	}
	return views.Counted{N: n}
}
