// Package views holds Lapak's templ pages, their view models, the message
// catalogue (Bahasa Indonesia by default, English selectable) and the
// formatting helpers every page uses for money and time. It imports nothing
// of Lapak's own: handlers build the view models and pass them in.
package views

//go:generate go tool templ generate
