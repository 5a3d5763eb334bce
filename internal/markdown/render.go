package markdown

import (
	"bufio"
	"bytes"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// headingShift is added to a heading's level: # becomes h3.
const headingShift = 2

// rel is given to every link.
const rel = "noopener noreferrer nofollow"

// maxLinkBytes bounds the bytes of link and image destinations and titles
// of a document beyond its own length. References repeat them: a 50,000
// character definition used 10,000 times would be 500 MB of HTML. Past the
// bound a link is rendered as its text.
const maxLinkBytes = 256 << 10

// transformer shifts heading levels, drops every attribute from the tree and
// applies maxLinkBytes. Nothing in the parser's configuration sets attributes
// (no heading IDs, no {#id .class} syntax): dropping them is a guard against
// a future option or extension that would.
type transformer struct{}

func (transformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	linkBytes := len(reader.Source()) + maxLinkBytes
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if n.Attributes() != nil {
			n.RemoveAttributes()
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = min(n.Level+headingShift, 6)
		case *ast.Link:
			linkBytes -= len(n.Destination) + len(n.Title)
			if linkBytes < 0 {
				n.Destination, n.Title = nil, nil
			}
		case *ast.Image:
			linkBytes -= len(n.Destination) + len(n.Title)
			if linkBytes < 0 {
				n.Destination, n.Title = nil, nil
			}
		}
		return ast.WalkContinue, nil
	})
}

// nodeRenderer replaces goldmark's HTML renderer for the nodes whose output
// it restricts; the rest keep goldmark's renderer. It takes the same options
// (the text writer set by the CJK extension in particular).
type nodeRenderer struct {
	html.Config
}

func newNodeRenderer() renderer.NodeRenderer {
	return &nodeRenderer{Config: html.NewConfig()}
}

func (r *nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, r.renderLink)
	reg.Register(ast.KindAutoLink, r.renderAutoLink)
	reg.Register(ast.KindImage, r.renderImage)
	reg.Register(ast.KindRawHTML, r.renderRawHTML)
	reg.Register(ast.KindHTMLBlock, r.renderHTMLBlock)
}

// openLink writes the start tag of a link to the escaped URL u.
func openLink(w util.BufWriter, u []byte) {
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML(u))
	_, _ = w.WriteString(`" rel="` + rel + `"`)
}

// renderLink writes an allowed link as <a>, and a refused one as its text
// alone (goldmark writes it with an empty href, a link to the page itself).
func (r *nodeRenderer) renderLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	dest := util.URLEscape(n.Destination, true)
	if !allowedURL(dest) {
		return ast.WalkContinue, nil
	}
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	openLink(w, dest)
	if n.Title != nil {
		_, _ = w.WriteString(` title="`)
		r.Writer.Write(w, n.Title)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}

// renderAutoLink writes <https://…>, <user@example.com> and GFM's bare
// URLs and addresses. <scheme:…> autolinks of other schemes are refused.
func (r *nodeRenderer) renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	u := util.URLEscape(n.URL(source), false)
	if n.AutoLinkType == ast.AutoLinkEmail && !hasPrefixFold(u, "mailto:") {
		u = append([]byte("mailto:"), u...)
	}
	label := util.EscapeHTML(n.Label(source))
	if !allowedURL(u) || insideLink(n) {
		_, _ = w.Write(label)
		return ast.WalkSkipChildren, nil
	}
	openLink(w, u)
	_ = w.WriteByte('>')
	_, _ = w.Write(label)
	_, _ = w.WriteString("</a>")
	return ast.WalkSkipChildren, nil
}

// renderImage writes an image as a link to it, labelled with its alternative
// text (or its URL when that is empty), and never as <img>. Inside a link, or
// when its URL is refused, it is the label alone.
func (r *nodeRenderer) renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	dest := util.URLEscape(n.Destination, true)
	label := textOf(r.Writer, source, n)
	allowed := allowedURL(dest)
	if len(bytesTrimSpace(label)) == 0 && allowed {
		label = util.EscapeHTML(dest)
	}
	if !allowed || insideLink(n) {
		_, _ = w.Write(label)
		return ast.WalkSkipChildren, nil
	}
	openLink(w, dest)
	if n.Title != nil {
		_, _ = w.WriteString(` title="`)
		r.Writer.Write(w, n.Title)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	_, _ = w.Write(label)
	_, _ = w.WriteString("</a>")
	return ast.WalkSkipChildren, nil
}

// renderRawHTML writes inline HTML as the escaped text the author typed.
func (r *nodeRenderer) renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.RawHTML)
	for i := range n.Segments.Len() {
		seg := n.Segments.At(i)
		r.Writer.RawWrite(w, seg.Value(source))
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlock writes an HTML block as a paragraph of the escaped text
// the author typed.
func (r *nodeRenderer) renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.HTMLBlock)
	var body []byte
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		body = append(body, seg.Value(source)...)
	}
	if n.HasClosure() {
		body = append(body, n.ClosureLine.Value(source)...)
	}
	body = bytesTrimSpace(body)
	if len(body) == 0 {
		return ast.WalkSkipChildren, nil
	}
	_, _ = w.WriteString("<p>")
	r.Writer.RawWrite(w, body)
	_, _ = w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}

// insideLink reports whether n is within a link, where another <a> would be
// invalid HTML.
func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.Kind() {
		case ast.KindLink, ast.KindAutoLink:
			return true
		}
	}
	return false
}

// writeText writes the text of n's descendants, HTML-escaped, as the label
// of an image or (through plainText) as plain text: Markdown syntax dropped,
// code and raw HTML as typed, autolinks as their label, soft line breaks as
// a newline except between two East Asian wide characters.
func writeText(tw html.Writer, w util.BufWriter, source []byte, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Segment.Value(source)
			if c.IsRaw() {
				tw.RawWrite(w, v)
			} else {
				tw.Write(w, v)
			}
			if c.HardLineBreak() {
				_ = w.WriteByte('\n')
			} else if c.SoftLineBreak() && !eastAsianBreak(v, c.NextSibling(), source) {
				_ = w.WriteByte('\n')
			}
		case *ast.String:
			switch {
			case c.IsCode():
				_, _ = w.Write(c.Value) // already HTML
			case c.IsRaw():
				tw.RawWrite(w, c.Value)
			default:
				tw.Write(w, c.Value)
			}
		case *ast.AutoLink:
			tw.RawWrite(w, c.Label(source))
		case *ast.RawHTML:
			for i := range c.Segments.Len() {
				seg := c.Segments.At(i)
				tw.RawWrite(w, seg.Value(source))
			}
		default:
			writeText(tw, w, source, c)
		}
	}
}

// textOf returns what writeText writes.
func textOf(tw html.Writer, source []byte, n ast.Node) []byte {
	var buf bytes.Buffer
	bw := bufio.NewWriterSize(&buf, 64) // small: a body may have many images
	writeText(tw, bw, source, n)
	_ = bw.Flush()
	return buf.Bytes()
}

// eastAsianBreak reports whether a soft line break after text v is dropped,
// as the CJK extension's simple style does in HTML: when the characters on
// both sides of it are East Asian wide characters.
func eastAsianBreak(v []byte, next ast.Node, source []byte) bool {
	t, ok := next.(*ast.Text)
	if !ok || len(v) == 0 {
		return false
	}
	nv := t.Segment.Value(source)
	if len(nv) == 0 {
		return false
	}
	last, _ := utf8.DecodeLastRune(v)
	first, _ := utf8.DecodeRune(nv)
	return util.IsEastAsianWideRune(last) && util.IsEastAsianWideRune(first)
}

func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

func bytesTrimSpace(b []byte) []byte {
	return util.TrimRightSpace(util.TrimLeftSpace(b))
}
