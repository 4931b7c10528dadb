package views

import "fmt"

// addMessages adds a feature's catalogue entries. Each feature keeps its
// messages in its own file (`i18n_<feature>.go`, `func init() { addMessages(…) }`),
// so features are added without editing one shared map. A key defined twice
// is a programming error and panics at start-up.
func addMessages(m map[string]message) {
	for k, v := range m {
		if _, dup := catalogue[k]; dup {
			panic(fmt.Sprintf("views: message %q defined twice", k))
		}
		catalogue[k] = v
	}
}
