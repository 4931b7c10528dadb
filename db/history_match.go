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
// reconciliation state: it returns the SQL expression of the state of the
// ledger transaction of the history's statements (alias t), which the page, the filter, the export and
// the totals all read, and — while that expression is the same for every
// row — that state as constant ("" once it varies).
//
// Until reconciliation's outcomes are stored, every transaction reads
// "unmatched": the match filter then keeps every row for "unmatched" and
// none for any other state, and totals still come from the daily totals.
// To wire reconciliation in, return an expression over its table, e.g.
//
//	coalesce((SELECT m.outcome FROM <its matches> m WHERE m.ledger_transaction_id = t.id), 'unmatched')
//
// with constant "": the filter then reads the expression (give it an index
// to seek by outcome if lists filtered by one must stay fast at 1M rows),
// and totals with a match filter are summed row by row (HistoryTotalsCap).
func historyMatch() (expr string, constant MatchState) {
	return `'` + string(MatchUnmatched) + `'`, MatchUnmatched
}
