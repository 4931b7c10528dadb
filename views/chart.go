package views

import (
	"strconv"
	"time"
)

// DaySales is one Jakarta day's sales: how many and their gross total in
// sen (reversals already taken off).
type DaySales struct {
	Day         string // YYYY-MM-DD, Asia/Jakarta
	Count       int
	AmountMinor int64
}

// SalesChart is the dashboard's chart of daily sales, drawn on the server
// as SVG (no script): one bar per day, oldest first, today last. Geometry
// is in the SVG's own units (chartWidth × chartHeight).
type SalesChart struct {
	Bars        []ChartBar
	TotalMinor  int64
	Count       int
	MaxMinor    int64
	First, Last time.Time
}

// ChartBar is one day's bar: the day, its figures and where it is drawn.
type ChartBar struct {
	Day         time.Time // midnight, Jakarta
	Count       int
	AmountMinor int64
	Today       bool
	X, Y, W, H  int
}

// The chart's drawing area: bars stand on the base line chartBase and are
// at most chartBarMax tall; labels go below it.
const (
	chartSlot   = 20 // width of one day
	chartBarW   = 16
	chartBase   = 110
	chartBarMax = 96
	chartHeight = 126
)

// NewSalesChart lays out the n days ending with today's Jakarta date, from
// days (any order; days absent had no sales; negative totals draw as none).
func NewSalesChart(today time.Time, n int, days []DaySales) SalesChart {
	by := make(map[string]DaySales, len(days))
	for _, d := range days {
		by[d.Day] = d
	}
	t := today.In(Jakarta)
	last := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Jakarta)
	c := SalesChart{First: last.AddDate(0, 0, -(n - 1)), Last: last}
	for i := range n {
		day := c.First.AddDate(0, 0, i)
		d := by[day.Format(time.DateOnly)]
		c.TotalMinor += d.AmountMinor
		c.Count += d.Count
		c.MaxMinor = max(c.MaxMinor, d.AmountMinor)
		c.Bars = append(c.Bars, ChartBar{Day: day, Count: d.Count, AmountMinor: d.AmountMinor, Today: i == n-1,
			X: i*chartSlot + (chartSlot-chartBarW)/2, W: chartBarW})
	}
	for i, b := range c.Bars {
		h := 0
		if b.AmountMinor > 0 {
			// Integer scaling; a day with any sale shows at least a sliver.
			h = max(1, int(b.AmountMinor*chartBarMax/c.MaxMinor))
		}
		c.Bars[i].H, c.Bars[i].Y = h, chartBase-h
	}
	return c
}

// Width is the SVG's width in its own units.
func (c SalesChart) Width() int { return len(c.Bars) * chartSlot }

// ViewBox is the SVG viewBox attribute.
func (c SalesChart) ViewBox() string {
	return "0 0 " + strconv.Itoa(c.Width()) + " " + strconv.Itoa(chartHeight)
}
