package stix

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Limits bound what an EnvelopeReader accepts. Zero fields take the defaults.
type Limits struct {
	MaxObjectSize int // bytes of one object; a larger one is skipped with an ObjectError
	MaxObjects    int // objects in one envelope; one more stops the reading with an error
	MaxDepth      int // nesting of arrays and objects inside the document
}

// The default limits.
const (
	DefaultMaxObjectSize = 1 << 20
	DefaultMaxObjects    = 100_000
	DefaultMaxDepth      = 128
)

// Codes of per-object and whole-document reading failures.
const (
	CodeTooLarge       Code = "object_too_large"  // per object: over MaxObjectSize
	CodeMalformedJSON  Code = "malformed_json"    // the document: not valid JSON (or not UTF-8)
	CodeNotEnvelope    Code = "not_envelope"      // the document: neither an envelope nor a bundle
	CodeTooManyObjects Code = "too_many_objects"  // the document: over MaxObjects
	CodeTooDeep        Code = "too_deeply_nested" // the document: nesting over MaxDepth
)

// ObjectError is a failure of one entry of "objects"; reading goes on with the next.
type ObjectError struct {
	Index   int // position in "objects", from 0
	Code    Code
	Message string
}

func (e *ObjectError) Error() string { return fmt.Sprintf("object %d: %s", e.Index, e.Message) }

// EnvelopeError stops the reading of a whole document: malformed JSON, a document that is
// not an envelope or bundle, or a limit reached. Objects already returned stay valid.
type EnvelopeError struct {
	Offset  int64 // position of the offending byte, counting from 1 (the length at an early end)
	Code    Code
	Message string
}

func (e *EnvelopeError) Error() string {
	return fmt.Sprintf("at byte %d: %s", e.Offset, e.Message)
}

// Envelope is what a document said besides its objects, known once Next returned io.EOF.
type Envelope struct {
	Bundle      bool   // the document was a STIX bundle ("type": "bundle")
	BundleID    string // its id
	More        bool   // TAXII envelope "more"
	Next        string // TAXII envelope "next"
	SpecVersion string // a STIX 2.0 bundle's spec_version, if any
}

// EnvelopeReader reads the objects of a TAXII envelope ({"more":..,"next":..,"objects":[..]})
// or a STIX bundle ({"type":"bundle","id":..,"objects":[..]}) one at a time from a stream.
// It checks the whole document's JSON syntax as it goes and never holds more than one
// object (at most MaxObjectSize bytes) in memory.
type EnvelopeReader struct {
	s         scanner
	lim       Limits
	env       Envelope
	seen      map[string]bool // top-level keys read so far
	inObjects bool            // between the [ and ] of "objects"
	firstKey  bool            // no member of the document read yet
	firstElem bool            // no element of "objects" read yet
	index     int
	err       error // sticky: a fatal error, or io.EOF at the end
}

// NewEnvelopeReader reads from r with the limits.
func NewEnvelopeReader(r io.Reader, lim Limits) *EnvelopeReader {
	if lim.MaxObjectSize <= 0 {
		lim.MaxObjectSize = DefaultMaxObjectSize
	}
	if lim.MaxObjects <= 0 {
		lim.MaxObjects = DefaultMaxObjects
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultMaxDepth
	}
	er := &EnvelopeReader{lim: lim, seen: map[string]bool{}}
	er.s = scanner{r: bufio.NewReaderSize(r, 64<<10), maxDepth: lim.MaxDepth}
	return er
}

// Next returns the bytes of the next object, exactly as they appear in the document. A
// *ObjectError is about one entry only: call Next again for the rest. io.EOF ends a good
// document; an *EnvelopeError or an I/O error ends a bad one, and Next keeps returning it.
func (er *EnvelopeReader) Next() ([]byte, error) {
	if er.err != nil {
		return nil, er.err
	}
	raw, err := er.next()
	if err != nil {
		var oe *ObjectError
		if !errors.As(err, &oe) {
			er.err = err
		}
	}
	return raw, err
}

// Count is the number of entries of "objects" read so far, failed ones included.
func (er *EnvelopeReader) Count() int { return er.index }

// Envelope returns the document's other members; complete once Next returned io.EOF.
func (er *EnvelopeReader) Envelope() Envelope { return er.env }

func (er *EnvelopeReader) next() ([]byte, error) {
	s := &er.s
	if s.offset == 0 {
		c, err := s.skipSpace()
		if err != nil {
			return nil, er.eofIsError(err, "the document is empty")
		}
		if c != '{' {
			return nil, s.fail(CodeNotEnvelope, "an envelope or bundle must be a JSON object")
		}
		er.firstKey = true
	}
	for {
		if er.inObjects {
			raw, done, err := er.element()
			if err != nil || !done {
				return raw, err
			}
			er.inObjects = false
			continue
		}
		end, err := er.member()
		if err != nil {
			return nil, err
		}
		if end {
			return nil, er.finish()
		}
	}
}

// member reads the next top-level member; it stops at the start of "objects" or at the
// closing brace (end).
func (er *EnvelopeReader) member() (end bool, err error) {
	s := &er.s
	c, err := s.skipSpace()
	if err != nil {
		return false, er.eofIsError(err, "the document ends early")
	}
	if !er.firstKey {
		if c == '}' {
			return true, nil
		}
		if c != ',' {
			return false, s.fail(CodeMalformedJSON, "expected ',' or '}' after a member of the envelope")
		}
		if c, err = s.skipSpace(); err != nil {
			return false, er.eofIsError(err, "the document ends early")
		}
	} else if c == '}' {
		return true, nil
	}
	er.firstKey = false
	if c != '"' {
		return false, s.fail(CodeMalformedJSON, "expected a member name in double quotes")
	}
	key, err := er.captureValue(c, 1024)
	if err != nil {
		return false, er.tooLong(err, "name")
	}
	var name string
	if json.Unmarshal(key, &name) != nil {
		return false, s.fail(CodeMalformedJSON, "the member name is not a valid string")
	}
	if er.seen[name] {
		return false, s.fail(CodeNotEnvelope, fmt.Sprintf("the member %q appears twice", name))
	}
	er.seen[name] = true
	if c, err = s.skipSpace(); err != nil || c != ':' {
		return false, er.eofIsError(err, "expected ':' after a member name")
	}
	if c, err = s.skipSpace(); err != nil {
		return false, er.eofIsError(err, "the document ends early")
	}
	if name == "objects" {
		if c != '[' {
			return false, s.fail(CodeNotEnvelope, "\"objects\" must be a list")
		}
		s.depth++
		er.inObjects, er.firstElem = true, true
		return false, nil
	}
	return false, er.otherMember(name, c)
}

// otherMember reads the small members (more, next, type, id, spec_version) and skips the
// rest after checking their syntax.
func (er *EnvelopeReader) otherMember(name string, c byte) error {
	var typ string
	var dst any
	switch name {
	case "more":
		dst = &er.env.More
	case "next":
		dst = &er.env.Next
	case "id":
		dst = &er.env.BundleID
	case "spec_version":
		dst = &er.env.SpecVersion
	case "type":
		dst = &typ
	default:
		return er.s.skipValue(c)
	}
	raw, err := er.captureValue(c, 4096)
	if err != nil {
		return er.tooLong(err, name)
	}
	if json.Unmarshal(raw, dst) != nil {
		return er.s.fail(CodeNotEnvelope, fmt.Sprintf("the envelope member %q has the wrong type", name))
	}
	if name == "type" {
		if typ != "bundle" {
			return er.s.fail(CodeNotEnvelope, fmt.Sprintf("the document is a %q object, not an envelope or bundle", typ))
		}
		er.env.Bundle = true
	}
	return nil
}

// tooLong turns errOverLimit on a member of the envelope into an EnvelopeError.
func (er *EnvelopeReader) tooLong(err error, what string) error {
	if errors.Is(err, errOverLimit) {
		return er.s.fail(CodeNotEnvelope, fmt.Sprintf("the envelope member %q is too long", what))
	}
	return err
}

// element reads the next entry of "objects"; done is true at the closing bracket.
func (er *EnvelopeReader) element() (raw []byte, done bool, err error) {
	s := &er.s
	c, err := s.skipSpace()
	if err != nil {
		return nil, false, er.eofIsError(err, "the list of objects is not closed")
	}
	if c == ']' {
		s.depth--
		return nil, true, nil
	}
	if !er.firstElem {
		if c != ',' {
			return nil, false, s.fail(CodeMalformedJSON, "expected ',' or ']' after an object")
		}
		if c, err = s.skipSpace(); err != nil {
			return nil, false, er.eofIsError(err, "the list of objects is not closed")
		}
	}
	er.firstElem = false
	index := er.index
	er.index++
	if er.index > er.lim.MaxObjects {
		return nil, false, s.fail(CodeTooManyObjects, fmt.Sprintf("more than %d objects in one envelope", er.lim.MaxObjects))
	}
	if c != '{' {
		if err := s.skipValue(c); err != nil {
			return nil, false, err
		}
		return nil, false, &ObjectError{Index: index, Code: CodeNotObject, Message: "the entry is not a JSON object"}
	}
	raw, err = er.captureValue(c, er.lim.MaxObjectSize)
	if errors.Is(err, errOverLimit) {
		return nil, false, &ObjectError{Index: index, Code: CodeTooLarge,
			Message: fmt.Sprintf("the object is larger than %d bytes", er.lim.MaxObjectSize)}
	}
	return raw, false, err
}

// captureValue reads one value whose first byte c was read, returning its bytes; a value
// longer than limit is still read to its end, then errOverLimit is returned.
func (er *EnvelopeReader) captureValue(c byte, limit int) ([]byte, error) {
	s := &er.s
	s.capture, s.limit, s.over = make([]byte, 0, min(limit, 1024)), limit, false
	s.capturing = true
	s.keep(c)
	err := s.value(c)
	s.capturing = false
	raw := s.capture
	s.capture = nil
	if err != nil {
		return nil, err
	}
	if s.over {
		return nil, errOverLimit
	}
	return raw, nil
}

var errOverLimit = errors.New("value over the limit")

// finish checks that nothing follows the document.
func (er *EnvelopeReader) finish() error {
	if _, err := er.s.skipSpace(); err != io.EOF {
		if err != nil {
			return err
		}
		return er.s.fail(CodeMalformedJSON, "there is data after the end of the document")
	}
	return io.EOF
}

// eofIsError turns an early end of input into a malformed-JSON error.
func (er *EnvelopeReader) eofIsError(err error, msg string) error {
	if err == io.EOF || err == nil {
		return er.s.fail(CodeMalformedJSON, msg)
	}
	return err
}

// scanner checks JSON syntax byte by byte and copies the bytes of the value being
// captured.
type scanner struct {
	r         *bufio.Reader
	offset    int64
	depth     int
	maxDepth  int
	capturing bool
	capture   []byte
	limit     int
	over      bool
}

func (s *scanner) fail(code Code, msg string) *EnvelopeError {
	return &EnvelopeError{Offset: s.offset, Code: code, Message: msg}
}

func (s *scanner) keep(c byte) {
	if !s.capturing || s.over {
		return
	}
	if len(s.capture) >= s.limit {
		s.over = true
		s.capture = nil
		return
	}
	s.capture = append(s.capture, c)
}

// read returns the next byte, copying it when capturing.
func (s *scanner) read() (byte, error) {
	c, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	s.offset++
	s.keep(c)
	return c, nil
}

// mustRead is read where the end of input is a syntax error.
func (s *scanner) mustRead() (byte, error) {
	c, err := s.read()
	if err == io.EOF {
		return 0, s.fail(CodeMalformedJSON, "the document ends in the middle of a value")
	}
	return c, err
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the next byte that is not white space.
func (s *scanner) skipSpace() (byte, error) {
	for {
		c, err := s.read()
		if err != nil || !isSpace(c) {
			return c, err
		}
	}
}

// skipValue checks a value whose first byte was read, without copying it.
func (s *scanner) skipValue(c byte) error {
	capturing := s.capturing
	s.capturing = false
	err := s.value(c)
	s.capturing = capturing
	return err
}

// value checks one value whose first byte c was read.
func (s *scanner) value(c byte) error {
	switch {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		return s.str()
	case c == '-' || c >= '0' && c <= '9':
		return s.number(c)
	case c == 't':
		return s.literal("rue")
	case c == 'f':
		return s.literal("alse")
	case c == 'n':
		return s.literal("ull")
	}
	return s.fail(CodeMalformedJSON, fmt.Sprintf("unexpected character %q", c))
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > s.maxDepth {
		return s.fail(CodeTooDeep, fmt.Sprintf("JSON nested deeper than %d levels", s.maxDepth))
	}
	return nil
}

func (s *scanner) object() error {
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	c, err := s.skipSpace()
	if err != nil {
		return s.endOfInput(err)
	}
	if c == '}' {
		return nil
	}
	for {
		if c != '"' {
			return s.fail(CodeMalformedJSON, "expected a member name in double quotes")
		}
		if err := s.str(); err != nil {
			return err
		}
		if c, err = s.skipSpace(); err != nil || c != ':' {
			return s.endOfInputOr(err, "expected ':' after a member name")
		}
		if c, err = s.skipSpace(); err != nil {
			return s.endOfInput(err)
		}
		if err := s.value(c); err != nil {
			return err
		}
		if c, err = s.skipSpace(); err != nil {
			return s.endOfInput(err)
		}
		switch c {
		case '}':
			return nil
		case ',':
			if c, err = s.skipSpace(); err != nil {
				return s.endOfInput(err)
			}
		default:
			return s.fail(CodeMalformedJSON, "expected ',' or '}' in an object")
		}
	}
}

func (s *scanner) array() error {
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	c, err := s.skipSpace()
	if err != nil {
		return s.endOfInput(err)
	}
	if c == ']' {
		return nil
	}
	for {
		if err := s.value(c); err != nil {
			return err
		}
		if c, err = s.skipSpace(); err != nil {
			return s.endOfInput(err)
		}
		switch c {
		case ']':
			return nil
		case ',':
			if c, err = s.skipSpace(); err != nil {
				return s.endOfInput(err)
			}
		default:
			return s.fail(CodeMalformedJSON, "expected ',' or ']' in a list")
		}
	}
}

func (s *scanner) endOfInput(err error) error {
	return s.endOfInputOr(err, "the document ends in the middle of a value")
}

func (s *scanner) endOfInputOr(err error, msg string) error {
	if err == nil || err == io.EOF {
		return s.fail(CodeMalformedJSON, msg)
	}
	return err
}

// str checks a string whose opening quote was read: escapes, no control characters, and
// valid UTF-8.
func (s *scanner) str() error {
	for {
		c, err := s.mustRead()
		if err != nil {
			return err
		}
		switch {
		case c == '"':
			return nil
		case c == '\\':
			if err := s.escape(); err != nil {
				return err
			}
		case c < 0x20:
			return s.fail(CodeMalformedJSON, "a control character in a string must be escaped")
		case c >= 0x80:
			if err := s.utf8Rune(c); err != nil {
				return err
			}
		}
	}
}

func (s *scanner) escape() error {
	c, err := s.mustRead()
	if err != nil {
		return err
	}
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return nil
	case 'u':
		for range 4 {
			h, err := s.mustRead()
			if err != nil {
				return err
			}
			if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
				return s.fail(CodeMalformedJSON, "\\u must be followed by four hex digits")
			}
		}
		return nil
	}
	return s.fail(CodeMalformedJSON, fmt.Sprintf("invalid escape \\%c in a string", c))
}

// utf8Rune checks the multi-byte UTF-8 sequence that begins with lead.
func (s *scanner) utf8Rune(lead byte) error {
	var buf [4]byte
	buf[0] = lead
	n := 0
	switch {
	case lead >= 0xc2 && lead <= 0xdf:
		n = 2
	case lead >= 0xe0 && lead <= 0xef:
		n = 3
	case lead >= 0xf0 && lead <= 0xf4:
		n = 4
	default:
		return s.fail(CodeMalformedJSON, "the text is not valid UTF-8")
	}
	for i := 1; i < n; i++ {
		c, err := s.mustRead()
		if err != nil {
			return err
		}
		buf[i] = c
	}
	if !utf8.Valid(buf[:n]) {
		return s.fail(CodeMalformedJSON, "the text is not valid UTF-8")
	}
	return nil
}

// number checks -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? whose first byte c was read.
// It peeks at the byte after the number so as not to consume it.
func (s *scanner) number(c byte) error {
	if c == '-' {
		var err error
		if c, err = s.mustRead(); err != nil {
			return err
		}
	}
	if c < '0' || c > '9' {
		return s.fail(CodeMalformedJSON, "a number needs digits")
	}
	if c != '0' {
		if err := s.digits(false); err != nil {
			return err
		}
	}
	if s.peek() == '.' {
		s.mustRead()
		if err := s.digits(true); err != nil {
			return err
		}
	}
	if p := s.peek(); p == 'e' || p == 'E' {
		s.mustRead()
		if p := s.peek(); p == '+' || p == '-' {
			s.mustRead()
		}
		if err := s.digits(true); err != nil {
			return err
		}
	}
	if p := s.peek(); p >= '0' && p <= '9' {
		return s.fail(CodeMalformedJSON, "a number may not have a leading zero")
	}
	return nil
}

// digits reads a run of digits; need says at least one must be there.
func (s *scanner) digits(need bool) error {
	n := 0
	for {
		p := s.peek()
		if p < '0' || p > '9' {
			break
		}
		s.mustRead()
		n++
	}
	if need && n == 0 {
		return s.fail(CodeMalformedJSON, "a number needs digits after '.' or the exponent")
	}
	return nil
}

// peek returns the next byte without reading it, or 0 at the end of input.
func (s *scanner) peek() byte {
	b, err := s.r.Peek(1)
	if err != nil {
		return 0
	}
	return b[0]
}

func (s *scanner) literal(rest string) error {
	for i := 0; i < len(rest); i++ {
		c, err := s.mustRead()
		if err != nil {
			return err
		}
		if c != rest[i] {
			return s.fail(CodeMalformedJSON, "invalid literal: expected true, false or null")
		}
	}
	return nil
}
