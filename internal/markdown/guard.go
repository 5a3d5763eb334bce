package markdown

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// goldmark takes time quadratic in the input on some inputs: containers
// nested on one line (it measures the line's indentation again for each
// level), unclosed link destinations and nested brackets (each ']' scans the
// rest of the line, or walks the label), many emphasis delimiters in one
// paragraph (delimiter matching), link reference definitions and shortcut
// references in paragraphs of many lines (each looks the paragraph's lines up
// from its end), runs of tildes (each tilde scans the rest of the run), and
// tables whose rows are padded to thousands of columns. 100,000 characters of
// such input take seconds to minutes (see BenchmarkRender).
//
// The guards below wrap goldmark's own parsers and bound that work per
// document. Past a bound the construct is not recognized and its characters
// stay text, as they would in Markdown with a syntax error: the rendering
// degrades, deterministically, and only for input that no person writes.
const (
	// maxNesting is the deepest nesting of blockquotes and lists; a
	// marker deeper than that is text.
	maxNesting = 16

	// maxTableCells bounds rows × columns of a table, since rows are
	// padded to the header's columns; a larger table stays a paragraph.
	maxTableCells = 50_000

	// workBudget is the number of units (about a byte scanned or a node
	// visited) that a document's links, emphasis delimiters and link
	// reference definitions may cost beyond a linear pass. A long
	// document of ordinary Markdown spends well under a tenth of it.
	workBudget = 5_000_000

	// labelCost weighs a byte of link label, which goldmark walks as
	// inline nodes rather than bytes.
	labelCost = 8

	// maxOpenLabels bounds the link labels ('[' or '![') left open in a
	// block; past it '[' is text. Each costs goldmark a node and its
	// clean-up at the end of the block.
	maxOpenLabels = 500

	// maxLabel is CommonMark's limit on link labels; goldmark checks it
	// before it walks a label.
	maxLabel = 999
)

var budgetKey = parser.NewContextKey()

// budget is the state of one parse, kept in its parser.Context.
type budget struct {
	left int

	// Of the block whose inlines are being parsed:
	block  ast.Node
	delims int   // emphasis and strikethrough delimiters so far
	labels []int // source offsets of the link labels left open
}

func budgetOf(pc parser.Context) *budget {
	if b, ok := pc.Get(budgetKey).(*budget); ok {
		return b
	}
	b := &budget{left: workBudget}
	pc.Set(budgetKey, b)
	return b
}

// enter notes that inline parsing is in block (goldmark parses the inlines
// of one block after another).
func (b *budget) enter(block ast.Node) {
	if b.block != block {
		b.block = block
		b.delims = 0
		b.labels = b.labels[:0]
	}
}

// spend takes cost from the budget, or reports that it cannot.
func (b *budget) spend(cost int) bool {
	if cost > b.left {
		return false
	}
	b.left -= cost
	return true
}

// guardParsers returns goldmark's default block and inline parsers with the
// guards put around the ones that need them.
func guardParsers() (blocks, inlines []util.PrioritizedValue) {
	for _, v := range parser.DefaultBlockParsers() {
		switch v.Value {
		case parser.NewBlockquoteParser(), parser.NewListParser():
			v.Value = nestGuard{v.Value.(parser.BlockParser)}
		}
		blocks = append(blocks, v)
	}
	for _, v := range parser.DefaultInlineParsers() {
		switch v.Value {
		case parser.NewLinkParser():
			v.Value = linkGuard{inlineGuard{v.Value.(parser.InlineParser)}}
		case parser.NewEmphasisParser():
			v.Value = delimGuard{inlineGuard{v.Value.(parser.InlineParser)}}
		}
		inlines = append(inlines, v)
	}
	// Priority as in extension.Strikethrough.
	inlines = append(inlines, util.Prioritized(strikeGuard{delimGuard{inlineGuard{extension.NewStrikethroughParser()}}}, 500))
	return blocks, inlines
}

// nestGuard refuses to open a blockquote or list nested maxNesting deep.
// (List items are not guarded: an item always opens in a list that opened.)
type nestGuard struct {
	parser.BlockParser
}

func (g nestGuard) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	depth := 0
	for n := parent; n != nil; n = n.Parent() {
		switch n.Kind() {
		case ast.KindBlockquote, ast.KindList:
			depth++
		}
	}
	if depth >= maxNesting {
		return nil, parser.NoChildren
	}
	return g.BlockParser.Open(parent, reader, pc)
}

func (g nestGuard) SetOption(name parser.OptionName, value any) {
	if so, ok := g.BlockParser.(parser.SetOptioner); ok {
		so.SetOption(name, value)
	}
}

// inlineGuard passes on the optional methods of the inline parser it wraps.
type inlineGuard struct {
	parser.InlineParser
}

func (g inlineGuard) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	if cb, ok := g.InlineParser.(parser.CloseBlocker); ok {
		cb.CloseBlock(parent, block, pc)
	}
}

func (g inlineGuard) SetOption(name parser.OptionName, value any) {
	if so, ok := g.InlineParser.(parser.SetOptioner); ok {
		so.SetOption(name, value)
	}
}

// linkGuard charges each ']' that closes a link label for what goldmark may
// do there: walk the label, scan the rest of the line for a destination or a
// reference, and look the block's lines up from its end.
type linkGuard struct {
	inlineGuard
}

func (g linkGuard) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	b := budgetOf(pc)
	b.enter(parent)
	line, seg := block.PeekLine()
	if len(line) == 0 || line[0] != ']' {
		// '[' or '![' opens a label.
		if len(b.labels) >= maxOpenLabels {
			return nil
		}
		n := g.InlineParser.Parse(parent, block, pc)
		if n != nil {
			b.labels = append(b.labels, seg.Start)
		}
		return n
	}
	if len(b.labels) == 0 {
		// Nothing to close: goldmark returns at once.
		return g.InlineParser.Parse(parent, block, pc)
	}
	label := seg.Start - b.labels[len(b.labels)-1]
	if label > maxLabel {
		label = 1
	}
	cost := labelCost*label + len(line)
	if len(line) < 2 || line[1] != '(' {
		// A reference: looked up from the block's last line.
		lineNo, _ := block.Position()
		cost += parent.Lines().Len() - lineNo
	}
	if !b.spend(cost) {
		return nil
	}
	b.labels = b.labels[:len(b.labels)-1]
	return g.InlineParser.Parse(parent, block, pc)
}

// delimGuard charges each emphasis or strikethrough delimiter for the
// delimiters before it in the block, which goldmark may compare it with.
type delimGuard struct {
	inlineGuard
}

func (g delimGuard) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	b := budgetOf(pc)
	b.enter(parent)
	if !b.spend(b.delims) {
		return nil
	}
	n := g.InlineParser.Parse(parent, block, pc)
	if n != nil {
		b.delims++
	}
	return n
}

// strikeGuard takes a run of more than two tildes as text at once. goldmark
// refuses such a run only after scanning it, and then again from each of its
// tildes: a run of 64,000 takes seconds.
type strikeGuard struct {
	delimGuard
}

func (g strikeGuard) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	n := 0
	for n < len(line) && line[n] == '~' {
		n++
	}
	if n > 2 {
		block.Advance(n)
		return ast.NewTextSegment(seg.WithStop(seg.Start + n))
	}
	return g.delimGuard.Parse(parent, block, pc)
}

// linkRefGuard charges a paragraph that may start with link reference
// definitions for its lines times the definitions it may hold: goldmark looks
// each definition up from the paragraph's end. A definition's label ends with
// "]:", so there are no more of them than of those. Refused, the paragraph
// defines nothing.
type linkRefGuard struct{}

func (linkRefGuard) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	source := reader.Source()
	defs := 0
	for i := range lines.Len() {
		seg := lines.At(i)
		defs += bytes.Count(seg.Value(source), []byte("]:"))
	}
	if defs == 0 {
		return
	}
	if !budgetOf(pc).spend(defs * lines.Len()) {
		return
	}
	parser.LinkReferenceParagraphTransformer.Transform(node, reader, pc)
}

// tableGuard leaves a paragraph alone when the table goldmark would make of
// it has more than maxTableCells cells.
type tableGuard struct {
	parser.ParagraphTransformer
}

func (g tableGuard) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	source := reader.Source()
	cols := 0
	for i := range lines.Len() {
		seg := lines.At(i)
		if c := delimiterRowColumns(seg.Value(source)); c > cols {
			cols = c
		}
	}
	if cols == 0 || cols*lines.Len() > maxTableCells {
		return
	}
	g.ParagraphTransformer.Transform(node, reader, pc)
}

// delimiterRowColumns returns an upper bound of the columns of line if it
// may be a table's delimiter row (|:--|--:|), and 0 if it cannot be one.
func delimiterRowColumns(line []byte) int {
	pipes, dashes := 0, 0
	for _, c := range line {
		switch c {
		case '|':
			pipes++
		case '-':
			dashes++
		case ':', ' ', '\t', '\n', '\r':
		default:
			return 0
		}
	}
	if dashes == 0 {
		return 0
	}
	return pipes + 1
}
