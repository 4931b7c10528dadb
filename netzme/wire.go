package netzme

import (
	"encoding/json"
	"fmt"
	"time"

	"lapak/snap"
)

// money decodes an amount in any form Netzme uses: the SNAP object
// {"value":"20000.00","currency":"IDR"}, or a bare string "20000.00" /
// "IDR 10002.00" (qrDetail, §3.15; §3.14 types amount as String).
type money struct {
	set   bool
	minor int64
}

func (m *money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var v int64
	var err error
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err = json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err = snap.ParseAmount(s)
	} else {
		var a snap.Amount
		if err = json.Unmarshal(b, &a); err != nil {
			return fmt.Errorf("amount: %w", err)
		}
		v, err = a.Minor()
	}
	if err != nil {
		return err
	}
	m.set, m.minor = true, v
	return nil
}

// flexBool decodes true/false or "true"/"false".
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*f = true
	case "false", `"false"`, "null", `""`:
		*f = false
	default:
		return fmt.Errorf("want boolean, got %.20s", b)
	}
	return nil
}

// parseTime parses Netzme body timestamps, which may carry milliseconds
// ("2022-10-27T08:49:58.511+07:00", §2.11). Unparsable or empty → zero time:
// these are informational, the raw string is kept next to it.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
