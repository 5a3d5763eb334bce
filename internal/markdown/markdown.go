// Package markdown renders the Markdown bodies of topics and comments.
//
// Bodies are written by members of other organizations and are untrusted, so
// the rendering is restricted to what is safe to put into a page served with a
// strict Content-Security-Policy (no inline scripts or styles):
//
//   - CommonMark plus the GitHub extensions tables, strikethrough, task lists
//     and bare-URL autolinks; East Asian soft line breaks are dropped, so that
//     Japanese text wrapped in the source does not gain spaces.
//   - Raw HTML is never passed through: inline tags and HTML blocks are shown
//     as the text the author typed (escaped), so a payload quoted in a report
//     stays readable and inert.
//   - Links keep only http, https, mailto and relative targets; any other
//     scheme (javascript:, vbscript:, data:, file:, …) leaves the link text
//     without a link. Every link gets rel="noopener noreferrer nofollow" and no
//     target.
//   - Images are never loaded: an image is rendered as a link to its URL, so
//     reading a topic never makes the browser fetch a third-party URL.
//   - Headings are shifted down two levels (# is h3, capped at h6), as the page
//     already has h1 and h2; headings get no id attribute.
//   - No style or other attributes from the source: table alignment uses the
//     align attribute instead of goldmark's default inline style.
//
// Bodies are limited to 100,000 characters by the caller. goldmark alone takes
// seconds on some hostile inputs of that size; guard.go bounds its work, so
// that Render and Plain take milliseconds (see BenchmarkRender).
package markdown

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// md is safe for concurrent use: goldmark parses with a fresh context per
// call and its renderer initialises itself once.
var md = newMarkdown()

// newMarkdown assembles goldmark by hand rather than with its GFM extension,
// so that the parsers that need it run inside the guards of guard.go.
func newMarkdown() goldmark.Markdown {
	blocks, inlines := guardParsers()
	p := parser.NewParser(
		// Not parser.WithAutoHeadingID, not parser.WithAttribute: no id
		// or other attribute comes from the source.
		parser.WithBlockParsers(blocks...),
		parser.WithInlineParsers(append(inlines,
			// Priorities as in goldmark's extensions.
			util.Prioritized(extension.NewTaskCheckBoxParser(), 0),
			// The default also links ftp:, which Render would refuse.
			util.Prioritized(extension.NewLinkifyParser(
				extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"}),
			), 999),
		)...),
		parser.WithParagraphTransformers(
			util.Prioritized(linkRefGuard{}, 100),
			util.Prioritized(tableGuard{extension.NewTableParagraphTransformer()}, 200),
		),
		parser.WithASTTransformers(
			util.Prioritized(extension.NewTableASTTransformer(), 0),
			util.Prioritized(transformer{}, 1000),
		),
	)
	r := renderer.NewRenderer(renderer.WithNodeRenderers(
		// Not html.WithUnsafe, not html.WithHardWraps, not html.WithXHTML.
		util.Prioritized(html.NewRenderer(), 1000),
		util.Prioritized(extension.NewTableHTMLRenderer(
			// The default (for HTML output) is style="text-align:…",
			// which the CSP blocks.
			extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute),
		), 500),
		util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500),
		util.Prioritized(extension.NewTaskCheckBoxHTMLRenderer(), 500),
		util.Prioritized(newNodeRenderer(), 100),
	))
	return goldmark.New(
		goldmark.WithParser(p),
		goldmark.WithRenderer(r),
		// Soft line breaks between East Asian wide characters are
		// dropped; "\ " is an empty separator (for **強調**\ した).
		goldmark.WithExtensions(extension.CJK),
	)
}

// Render returns the body as safe HTML.
func Render(src string) template.HTML {
	source := []byte(strings.ToValidUTF8(src, "\uFFFD"))
	var buf bytes.Buffer
	buf.Grow(len(source) + len(source)/4)
	if err := md.Convert(source, &buf); err != nil {
		// Convert fails only when its writer does, and a bytes.Buffer
		// does not; fall back to the escaped text all the same.
		return template.HTML("<p>" + template.HTMLEscapeString(string(source)) + "</p>\n")
	}
	return template.HTML(buf.String())
}

// Plain returns the text of the body without markup, for search snippets and
// email/webhook bodies (no HTML). Each paragraph, heading, code block or HTML
// block gives one line with its runs of ASCII white space collapsed into one
// space (full-width spaces are kept); blocks are separated by a blank line,
// except that the items of a list and the rows of a table are separated by a
// single newline. Links give their text, images their alternative text,
// raw HTML the text as typed.
func Plain(src string) string {
	source := []byte(strings.ToValidUTF8(src, "\uFFFD"))
	doc := md.Parser().Parse(text.NewReader(source))
	return plainText(doc, source)
}

// allowedURL reports whether u, a destination as it will be written into an
// href attribute, is a link target to keep: http, https, mailto, or a
// relative reference. Anything else — javascript:, vbscript:, data:, file:,
// unknown schemes, an empty target — is refused.
//
// goldmark's own check (html.IsDangerousURL) is a block list that lets
// data:image/png and every unknown scheme through; this is an allow list.
func allowedURL(u []byte) bool {
	// Do as the WHATWG URL parser does before it reads the scheme: strip
	// leading and trailing C0 controls and spaces, drop tabs and newlines.
	s := strings.TrimFunc(string(u), func(r rune) bool { return r <= ' ' })
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return false
	}
	i := strings.IndexAny(s, ":/?#")
	if i < 0 || s[i] != ':' {
		return true // relative: no scheme
	}
	switch strings.ToLower(s[:i]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

// collapse turns every run of ASCII white space into one space and trims
// the ends. Other white space (U+3000 IDEOGRAPHIC SPACE, NBSP) is text.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := range len(s) {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			space = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteByte(c) // bytes of a multi-byte character are never ASCII
		}
	}
	return b.String()
}
