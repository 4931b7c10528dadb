package db

// MatchState is what reconciliation (issue 12 §3) says of a ledger
// transaction: the history's match column and filter.
type MatchState string

// Match states: the reconciliation outcomes of the stable interface, and
// "unmatched" for a transaction reconciliation has not looked at yet.
const (
	MatchUnmatched     MatchState = "unmatched"
	MatchMatched       MatchState = "matched"
	MatchLapakOnly     MatchState = "lapak_only"
	MatchNetzmeOnly    MatchState = "netzme_only"
	MatchAmountDiffers MatchState = "amount_differs"
	MatchWaiting       MatchState = "waiting"
)

// MatchStates lists the states in the order the filter offers them.
var MatchStates = []MatchState{MatchUnmatched, MatchMatched, MatchLapakOnly, MatchNetzmeOnly, MatchAmountDiffers, MatchWaiting}

// historyMatch is the one place the history learns a transaction's
// reconciliation state: the SQL expression of the state of the ledger
// transaction of the history's statements (alias t), which the page, the
// filter, the export and the totals all read, and — while that expression is
// the same for every row — that state as a constant ("" once it varies).
//
// The state is the outcome reconciliation stored for the transaction
// (recon_items, one per ledger transaction: its unique index on ledger_id is
// the seek), "unmatched" until the reconciler has looked at it. Because it
// varies by row, a match filter reads it row by row inside the page's date
// range, and totals with a match filter are summed row by row
// (HistoryTotalsCap).
func historyMatch() (expr string, constant MatchState) {
	return `coalesce((SELECT m.outcome FROM recon_items m WHERE m.ledger_id = t.id), '` + string(MatchUnmatched) + `')`, ""
}
