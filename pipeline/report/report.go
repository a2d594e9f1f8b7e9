package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Report accumulates the sections, tables and figures of one HTML report.
// Figures are drawn from copies of their data as soon as they are added,
// several at a time in goroutines of their own, and the report keeps only
// their encoded images. A Report is not safe for concurrent use.
type Report struct {
	// Title heads the page and names it in the browser.
	Title string
	// Time is the generation time printed under the title (New sets it to
	// the current time; set it for reproducible output, or to the zero
	// time to print none).
	Time time.Time
	// DPI is the resolution of PNG figures (default 96).
	DPI int
	// Format selects the figure encoding: "png", "svg" or "auto" (the
	// default: SVG for figures made of few shapes, such as bar charts,
	// PNG for the others).
	Format string
	// Workers is how many figures may be drawn at once, each in a
	// goroutine of its own (0: runtime.GOMAXPROCS; 1: each figure is
	// drawn by the call that adds it). A figure method blocks while
	// Workers figures are being drawn. The output does not depend on it.
	Workers int

	items   []item
	nfig    int
	nsec    int
	sem     chan struct{}  // one token per figure being drawn
	pending sync.WaitGroup // figures being drawn
}

type itemKind int

const (
	kindSection itemKind = iota
	kindText
	kindPre
	kindTable
	kindFigure
	kindError
)

// item is one block of the page. Its fields are read by the template.
type item struct {
	Kind    itemKind
	ID      string
	Title   string
	Text    string
	Header  []string
	Rows    [][]string
	Num     int
	Caption string
	Img     template.HTML // the <img> element, built by imgTag
	Bytes   int

	fig *rendered // a figure's drawing, until settle reads it
	err error     // why a kindError figure could not be drawn
}

// New returns an empty report with the given title, stamped with the
// current time (UTC).
func New(title string) *Report {
	return &Report{Title: title, Time: time.Now().UTC(), DPI: 96, Format: "auto"}
}

// Section starts a new section; it is listed in the table of contents.
func (r *Report) Section(title string) {
	r.nsec++
	r.items = append(r.items, item{Kind: kindSection, ID: "sec-" + strconv.Itoa(r.nsec), Title: title})
}

// Text adds a paragraph of plain text.
func (r *Report) Text(text string) {
	r.items = append(r.items, item{Kind: kindText, Text: text})
}

// Pre adds preformatted text (a configuration, a log excerpt) under an
// optional caption.
func (r *Report) Pre(caption, text string) {
	r.items = append(r.items, item{Kind: kindPre, Caption: caption, Text: text})
}

// Table adds a table. Rows shorter than the header are padded with
// empty cells.
func (r *Report) Table(caption string, header []string, rows [][]string) {
	width := len(header)
	for _, row := range rows {
		width = max(width, len(row))
	}
	pad := func(s []string) []string {
		if len(s) == width {
			return s
		}
		out := make([]string, width)
		copy(out, s)
		return out
	}
	var h []string
	if len(header) > 0 {
		h = pad(header)
	}
	rs := make([][]string, len(rows))
	for i, row := range rows {
		rs[i] = pad(row)
	}
	r.items = append(r.items, item{Kind: kindTable, Caption: caption, Header: h, Rows: rs})
}

// KV is one row of a KeyValues table.
type KV struct{ Key, Value string }

// KeyValues adds a two-column table of names and values, in order.
func (r *Report) KeyValues(caption string, kvs []KV) {
	rows := make([][]string, len(kvs))
	for i, kv := range kvs {
		rows[i] = []string{kv.Key, kv.Value}
	}
	r.Table(caption, nil, rows)
}

// Err returns the errors met while adding figures (each one is also shown
// in the report in place of its figure), or nil. It waits for the figures
// being drawn.
func (r *Report) Err() error {
	r.settle()
	var errs []error
	for _, it := range r.items {
		if it.err != nil {
			errs = append(errs, it.err)
		}
	}
	return errors.Join(errs...)
}

// settle waits for the figures being drawn and puts their images, or
// their errors, in their items.
func (r *Report) settle() {
	r.pending.Wait()
	for i := range r.items {
		it := &r.items[i]
		f := it.fig
		if f == nil {
			continue
		}
		it.fig = nil
		if f.err != nil {
			*it = errorItem(it.Num, it.Title, f.err)
			continue
		}
		it.Img = imgTag(f.src, f.wpx, f.hpx, it.Title)
		it.Bytes = f.n
	}
}

// NumFigures returns the number of figures added so far (including those
// that could not be drawn).
func (r *Report) NumFigures() int { return r.nfig }

// fail records a figure that could not be drawn.
func (r *Report) fail(title string, err error) {
	r.items = append(r.items, errorItem(r.nfig, title, err))
}

// errorItem is the notice shown in place of figure num.
func errorItem(num int, title string, err error) item {
	err = fmt.Errorf("report: figure %d (%s): %w", num, title, err)
	return item{Kind: kindError, Num: num, Title: title, Text: err.Error(), err: err}
}

type tocEntry struct{ ID, Title string }

type page struct {
	Title string
	Time  string
	TOC   []tocEntry
	Items []item
}

// Render writes the report's HTML to w, once every figure is drawn.
func (r *Report) Render(w io.Writer) error {
	r.settle()
	p := page{Title: r.Title, Items: r.items}
	if !r.Time.IsZero() {
		p.Time = r.Time.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	for _, it := range r.items {
		if it.Kind == kindSection {
			p.TOC = append(p.TOC, tocEntry{it.ID, it.Title})
		}
	}
	return pageTemplate.Execute(w, p)
}

// WriteFile writes the report to path atomically: to a temporary file in
// the same directory, synced and renamed over path, so that readers see
// either the old file or the complete new one. Errors name the path.
func (r *Report) WriteFile(path string) (err error) {
	var buf bytes.Buffer
	if err := r.Render(&buf); err != nil {
		return fmt.Errorf("report: rendering %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	return nil
}

const css = `
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;margin:0;background:#fafafa;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:1em 2em 3em;background:#fff;box-shadow:0 0 6px rgba(0,0,0,.08)}
h1{font-size:1.6em;margin:.4em 0 .1em}
h2{font-size:1.25em;border-bottom:2px solid #3b6ea5;padding-bottom:.15em;margin-top:2em}
.stamp{color:#777;font-size:.9em;margin:0 0 1em}
nav{background:#f2f5f9;border:1px solid #dde3ea;padding:.5em 1.2em;margin:1em 0;display:inline-block}
nav ol{margin:.3em 0;padding-left:1.4em}
nav a{color:#2a5b8f;text-decoration:none}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}
caption{text-align:left;font-weight:600;padding:.2em 0}
th,td{border:1px solid #d7dce2;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#eef2f6}
tr:nth-child(even) td{background:#f8f9fb}
figure{margin:1.2em 0}
figure img{max-width:100%;height:auto;border:1px solid #e3e6ea}
figcaption{font-size:.9em;color:#444;margin-top:.3em}
pre{background:#f4f4f4;border:1px solid #e0e0e0;padding:.6em;overflow-x:auto;font-size:.85em}
.error{background:#fdecea;border:1px solid #f5c2c0;color:#8a1f17;padding:.5em .8em}
`

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>` + css + `</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{if .Time}}<p class="stamp">Generated {{.Time}}</p>
{{end}}{{if .TOC}}<nav><strong>Contents</strong>
<ol>
{{range .TOC}}<li><a href="#{{.ID}}">{{.Title}}</a></li>
{{end}}</ol>
</nav>
{{end}}{{range .Items}}{{if eq .Kind 0}}<h2 id="{{.ID}}">{{.Title}}</h2>
{{else if eq .Kind 1}}<p>{{.Text}}</p>
{{else if eq .Kind 2}}{{if .Caption}}<p><strong>{{.Caption}}</strong></p>
{{end}}<pre>{{.Text}}</pre>
{{else if eq .Kind 3}}<table>
{{if .Caption}}<caption>{{.Caption}}</caption>
{{end}}{{if .Header}}<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
{{end}}<tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{else if eq .Kind 4}}<figure id="fig-{{.Num}}">
{{.Img}}
<figcaption><strong>Figure {{.Num}}.</strong> {{.Title}}{{if .Caption}} — {{.Caption}}{{end}}</figcaption>
</figure>
{{else if eq .Kind 5}}<div class="error" id="fig-{{.Num}}"><strong>Figure {{.Num}} ({{.Title}}) could not be drawn:</strong> {{.Text}}</div>
{{end}}{{end}}</main>
</body>
</html>
`))

// imgTag returns the <img> element of an encoded figure. It is built
// here rather than by the template because html/template would escape
// every '+' of the base64 data as "&#43;"; src holds only the data URI's
// safe characters, and the alternative text is escaped.
func imgTag(src string, w, h int, alt string) template.HTML {
	return template.HTML(fmt.Sprintf(`<img src="%s" width="%d" height="%d" alt="%s">`, src, w, h, html.EscapeString(alt)))
}

// escapeCheck guards the assumption that template kinds match the
// constants above.
var _ = [1]struct{}{}[kindError-5]

// plainLabel shortens a label used inside a figure (gonum/plot draws it
// as plain text, so only its length matters).
func plainLabel(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
