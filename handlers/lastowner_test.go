package handlers

import (
	"strconv"
	"sync"
	"testing"

	"lapak/db"
	"lapak/db/dbtest"
)

// Two owners removing each other at the same moment must not leave the shop
// without an owner: the last-owner check and the removal share one
// transaction. Repeated, because the unsafe order only loses sometimes.
func TestOwnersRemovingEachOtherAtOnceKeepAnOwner(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, ownersRemovingEachOther)
}

func ownersRemovingEachOther(t *testing.T, e dbtest.Engine) {
	app := newTestApp(t, onEngine(e))
	for round := range 15 {
		m := app.newMerchant(t, "Toko Kembar "+strconv.Itoa(round))
		a := app.newUser(t, "a"+strconv.Itoa(round)+"@kembar.test", false, m.ID, db.RoleOwner)
		b := app.newUser(t, "b"+strconv.Itoa(round)+"@kembar.test", false, m.ID, db.RoleOwner)
		ca, cb := app.client(), app.client()
		ca.mustLogin(t, a.Email)
		cb.mustLogin(t, b.Email)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		wg.Go(func() { codes[0] = ca.post("/members/"+strconv.FormatInt(b.ID, 10)+"/remove", nil).Code })
		wg.Go(func() { codes[1] = cb.post("/members/"+strconv.FormatInt(a.ID, 10)+"/remove", nil).Code })
		wg.Wait()

		members, err := app.DB.MerchantMembers(t.Context(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		owners := 0
		for _, x := range members {
			if x.Role == db.RoleOwner {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("round %d: %d owners left after both removed each other (answers %v), want exactly 1", round, owners, codes)
		}
		removed := 0
		for _, e := range app.auditActions(t) {
			if e.Action == "membership.remove" && e.MerchantID == m.ID {
				removed++
			}
		}
		if removed != 1 {
			t.Fatalf("round %d: %d membership.remove audit lines, want 1 (the one removal that happened)", round, removed)
		}
	}
}
