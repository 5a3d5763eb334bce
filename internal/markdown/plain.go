package markdown

import (
	"bufio"
	"bytes"
	stdhtml "html"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer/html"
)

// plainWriter decodes backslash escapes and entity references as Render's
// writer does (including the CJK extension's escaped space); its output is
// HTML-escaped and unescaped again by plainText.
var plainWriter = html.NewWriter(html.WithEscapedSpace())

// plainText returns the text of the parsed document doc; see Plain.
func plainText(doc ast.Node, source []byte) string {
	var out strings.Builder
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)

	// group is the outermost list or table being walked: the blocks
	// within one are separated by a newline, all others by a blank line.
	var group, lastGroup ast.Node
	emit := func(escaped bool) {
		_ = bw.Flush()
		s := buf.String()
		buf.Reset()
		if escaped {
			s = stdhtml.UnescapeString(s)
		}
		s = collapse(strings.ReplaceAll(s, "\x00", "\uFFFD"))
		if s == "" {
			return
		}
		if out.Len() > 0 {
			if group != nil && group == lastGroup {
				out.WriteByte('\n')
			} else {
				out.WriteString("\n\n")
			}
		}
		out.WriteString(s)
		lastGroup = group
	}
	lines := func(n ast.Node) {
		for i := range n.Lines().Len() {
			seg := n.Lines().At(i)
			_, _ = bw.Write(seg.Value(source))
		}
	}

	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.Kind() {
		case ast.KindList, east.KindTable:
			if entering && group == nil {
				group = n
			} else if !entering && group == n {
				group = nil
			}
			return ast.WalkContinue, nil
		}
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
			writeText(plainWriter, bw, source, n)
			emit(true)
		case *east.TableHeader, *east.TableRow:
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				writeText(plainWriter, bw, source, c)
				_ = bw.WriteByte(' ')
			}
			emit(true)
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			lines(n)
			emit(false)
		case *ast.HTMLBlock:
			lines(n)
			if n.HasClosure() {
				_, _ = bw.Write(n.ClosureLine.Value(source))
			}
			emit(false)
		default:
			return ast.WalkContinue, nil
		}
		return ast.WalkSkipChildren, nil
	})
	return out.String()
}
