package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// readAll drains a reader: the objects, the per-object errors, and the final error.
func readAll(t testing.TB, doc string, lim Limits) (objs []string, objErrs []*ObjectError, er *EnvelopeReader, final error) {
	er = NewEnvelopeReader(strings.NewReader(doc), lim)
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("reader does not stop")
		}
		raw, err := er.Next()
		var oe *ObjectError
		switch {
		case err == nil:
			objs = append(objs, string(raw))
		case errors.As(err, &oe):
			objErrs = append(objErrs, oe)
		default:
			return objs, objErrs, er, err
		}
	}
}

func TestEnvelopeReader(t *testing.T) {
	ind := `{"type":"indicator","id":"indicator--1", "name" : "日本語 \"quoted\" \u3042"}`
	objs, objErrs, er, err := readAll(t, `{"more": true, "next": "abc", "objects": [`+ind+`, {"a":[1,2.5e-3,-0,true,false,null,{}]} ]}`, Limits{})
	if err != io.EOF || len(objErrs) > 0 {
		t.Fatalf("err %v, object errors %v", err, objErrs)
	}
	if len(objs) != 2 || objs[0] != ind || objs[1] != `{"a":[1,2.5e-3,-0,true,false,null,{}]}` {
		t.Fatalf("objects not returned exactly as received: %q", objs)
	}
	if env := er.Envelope(); !env.More || env.Next != "abc" || env.Bundle {
		t.Errorf("envelope %+v", env)
	}
	if er.Count() != 2 {
		t.Errorf("Count = %d", er.Count())
	}
	// The members may come in any order, and the reader keeps returning io.EOF.
	_, _, er, err = readAll(t, `{"objects":[], "id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "type":"bundle"}`, Limits{})
	if err != io.EOF || !er.Envelope().Bundle || er.Envelope().BundleID != "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d" {
		t.Errorf("bundle: %v %+v", err, er.Envelope())
	}
	if _, err := er.Next(); err != io.EOF {
		t.Errorf("after the end: %v", err)
	}
	for _, doc := range []string{`{}`, ` {"more":false} `, "\n{\"objects\":[]}\n", `{"x_other":{"deep":[1,{"a":"b"}]},"objects":[{}]}`} {
		if _, _, _, err := readAll(t, doc, Limits{}); err != io.EOF {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

func TestEnvelopeReaderPerObjectErrors(t *testing.T) {
	big := `{"description":"` + strings.Repeat("x", 200) + `"}`
	doc := `{"objects":[{"a":1}, "not an object", ` + big + `, 42, {"b":2}]}`
	objs, objErrs, _, err := readAll(t, doc, Limits{MaxObjectSize: 100})
	if err != io.EOF {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0] != `{"a":1}` || objs[1] != `{"b":2}` {
		t.Errorf("objects %q", objs)
	}
	want := []struct {
		index int
		code  Code
	}{{1, CodeNotObject}, {2, CodeTooLarge}, {3, CodeNotObject}}
	if len(objErrs) != len(want) {
		t.Fatalf("object errors %v", objErrs)
	}
	for i, w := range want {
		if objErrs[i].Index != w.index || objErrs[i].Code != w.code {
			t.Errorf("object error %d = %+v, want %+v", i, objErrs[i], w)
		}
	}
	// Exactly at the limit is fine.
	if objs, _, _, _ := readAll(t, `{"objects":[`+big+`]}`, Limits{MaxObjectSize: len(big)}); len(objs) != 1 {
		t.Error("an object of exactly MaxObjectSize bytes must be accepted")
	}
}

func TestEnvelopeReaderFatal(t *testing.T) {
	cases := []struct {
		doc    string
		lim    Limits
		code   Code
		offset int64
		before int // objects returned before the error
	}{
		{``, Limits{}, CodeMalformedJSON, 0, 0},
		{`   `, Limits{}, CodeMalformedJSON, 3, 0},
		{`[]`, Limits{}, CodeNotEnvelope, 1, 0},
		{`{"type":"indicator","id":"indicator--1"}`, Limits{}, CodeNotEnvelope, 19, 0},
		{`{"objects":{}}`, Limits{}, CodeNotEnvelope, 12, 0},
		{`{"objects":[],"objects":[]}`, Limits{}, CodeNotEnvelope, 23, 0},
		{`{"more":"yes","objects":[]}`, Limits{}, CodeNotEnvelope, 13, 0},
		{`{"objects":[{"a":1},{"a":2},{"a":3}]}`, Limits{MaxObjects: 2}, CodeTooManyObjects, 29, 2},
		{`{"objects":[{"a":1}`, Limits{}, CodeMalformedJSON, 19, 1},
		{`{"objects":[{"a":1} {"a":2}]}`, Limits{}, CodeMalformedJSON, 21, 1},
		{`{"objects":[{"a":1},]}`, Limits{}, CodeMalformedJSON, 21, 1},
		{`{"objects":[{"a":tru}]}`, Limits{}, CodeMalformedJSON, 21, 0},
		{`{"objects":[{"a":01}]}`, Limits{}, CodeMalformedJSON, 18, 0},
		{`{"objects":[{"a":1.}]}`, Limits{}, CodeMalformedJSON, 19, 0},
		{`{"objects":[{"a":-}]}`, Limits{}, CodeMalformedJSON, 19, 0},
		{`{"objects":[{"a":"\x"}]}`, Limits{}, CodeMalformedJSON, 20, 0},
		{`{"objects":[{"a":"\u12G4"}]}`, Limits{}, CodeMalformedJSON, 23, 0},
		{"{\"objects\":[{\"a\":\"tab\there\"}]}", Limits{}, CodeMalformedJSON, 22, 0},
		{"{\"objects\":[{\"a\":\"\xff\"}]}", Limits{}, CodeMalformedJSON, 19, 0},
		{"{\"objects\":[{\"a\":\"\xed\xa0\x80\"}]}", Limits{}, CodeMalformedJSON, 21, 0},
		{`{"objects":[{a:1}]}`, Limits{}, CodeMalformedJSON, 14, 0},
		{`{"objects":[{"a" 1}]}`, Limits{}, CodeMalformedJSON, 18, 0},
		{`{"objects":[{"a":1,}]}`, Limits{}, CodeMalformedJSON, 20, 0},
		{`{"objects":[{"a":[1 2]}]}`, Limits{}, CodeMalformedJSON, 21, 0},
		{`{"objects":[]} x`, Limits{}, CodeMalformedJSON, 16, 0},
		{`{"objects":[]}{}`, Limits{}, CodeMalformedJSON, 15, 0},
		{`{"objects":[] "more":true}`, Limits{}, CodeMalformedJSON, 15, 0},
		{`{"objects":[{"a":[[[[1]]]]}]}`, Limits{MaxDepth: 4}, CodeTooDeep, 20, 0},
		{`{"x":[[[[1]]]],"objects":[]}`, Limits{MaxDepth: 3}, CodeTooDeep, 9, 0},
		{`{"` + strings.Repeat("k", 2000) + `":1}`, Limits{}, CodeNotEnvelope, 2003, 0},
	}
	for _, tc := range cases {
		objs, _, er, err := readAll(t, tc.doc, tc.lim)
		var ee *EnvelopeError
		if !errors.As(err, &ee) {
			t.Errorf("%q: got %v, want %s", tc.doc, err, tc.code)
			continue
		}
		if ee.Code != tc.code || ee.Offset != tc.offset || len(objs) != tc.before {
			t.Errorf("%q: got %v (%s, %d objects before), want %s at %d with %d before", tc.doc, err, ee.Code, len(objs), tc.code, tc.offset, tc.before)
		}
		if _, again := er.Next(); again != err {
			t.Errorf("%q: the error is not sticky: %v", tc.doc, again)
		}
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("connection reset")
	}
	n := copy(p, `{"objects":[{"a":1},`[:min(len(p), f.n)])
	f.n = 0
	return n, nil
}

func TestEnvelopeReaderIOError(t *testing.T) {
	er := NewEnvelopeReader(&failingReader{n: 20}, Limits{})
	if raw, err := er.Next(); err != nil || string(raw) != `{"a":1}` {
		t.Fatalf("first object: %q %v", raw, err)
	}
	if _, err := er.Next(); err == nil || err.Error() != "connection reset" {
		t.Fatalf("the I/O error must come through, got %v", err)
	}
}

// TestEnvelopeReaderMemoryBounded reads an envelope far larger than the object limit
// from a generator, so memory use cannot depend on the document's size.
func TestEnvelopeReaderMemoryBounded(t *testing.T) {
	const n = 20000
	er := NewEnvelopeReader(io.MultiReader(strings.NewReader(`{"objects":[`), &objectStream{n: n},
		strings.NewReader(`]}`)), Limits{MaxObjectSize: 512, MaxObjects: n})
	count := 0
	for {
		_, err := er.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != n {
		t.Fatalf("read %d objects, want %d", count, n)
	}
}

// objectStream produces n indicator objects separated by commas.
type objectStream struct {
	n, i int
	buf  bytes.Buffer
}

func (s *objectStream) Read(p []byte) (int, error) {
	for s.buf.Len() < len(p) && s.i < s.n {
		if s.i > 0 {
			s.buf.WriteByte(',')
		}
		s.buf.Write(sampleIndicator(s.i))
		s.i++
	}
	if s.buf.Len() == 0 {
		return 0, io.EOF
	}
	return s.buf.Read(p)
}

func sampleIndicator(i int) []byte {
	return fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-17d4-4cbf-938f-98ee46b3cd3f",`+
		`"created":"2024-04-06T20:03:48.000Z","modified":"2024-04-06T20:03:48.000Z","name":"bad address %d",`+
		`"pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix","valid_from":"2024-04-06T20:03:48Z",`+
		`"object_marking_refs":["%s"]}`, i, i, (i/256)%256, i%256, TLP2Green)
}

// FuzzEnvelopeReader checks the reader against encoding/json: it never panics or loops,
// it accepts exactly the valid JSON documents it can read (UTF-8, within the limits), and
// it returns each object byte for byte. Seeds: testdata/fuzz/FuzzEnvelopeReader.
func FuzzEnvelopeReader(f *testing.F) {
	f.Add([]byte(`{"more":true,"next":"x","objects":[{"type":"indicator"},{"a":[1,-2.5E+3,true,null]}]}`))
	f.Add([]byte(`{"type":"bundle","id":"bundle--1","objects":[1,"x",{}]}`))
	f.Add([]byte(`{"objects":[{"a":"\u00e9\n\"日本"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		lim := Limits{MaxObjectSize: 64, MaxObjects: 8, MaxDepth: 16}
		objs, objErrs, _, err := readAll(t, string(doc), lim)
		if err != io.EOF {
			var ee *EnvelopeError
			if !errors.As(err, &ee) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if !json.Valid(doc) || !utf8.Valid(doc) {
			t.Fatalf("accepted invalid JSON %q", doc)
		}
		// A map, not a struct: encoding/json matches struct fields regardless of case.
		var members map[string]json.RawMessage
		var objects []json.RawMessage
		if json.Unmarshal(doc, &members) != nil ||
			(members["objects"] != nil && json.Unmarshal(members["objects"], &objects) != nil) {
			t.Fatalf("accepted %q, which is not an envelope", doc)
		}
		if len(objs)+len(objErrs) != len(objects) {
			t.Fatalf("%q: %d objects and %d errors, encoding/json sees %d", doc, len(objs), len(objErrs), len(objects))
		}
		if len(objErrs) == 0 {
			for i, o := range objs {
				if o != string(objects[i]) {
					t.Fatalf("object %d is %q, encoding/json reads %q", i, o, objects[i])
				}
			}
		}
	})
}

// BenchmarkEnvelopeReader measures reading alone (objects/s and allocations).
func BenchmarkEnvelopeReader(b *testing.B) {
	const n = 10000
	doc := envelopeOf(n)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	total := 0
	for b.Loop() {
		er := NewEnvelopeReader(bytes.NewReader(doc), Limits{})
		for {
			_, err := er.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			total++
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkEnvelopeDecode measures reading plus full validation, pattern included.
func BenchmarkEnvelopeDecode(b *testing.B) {
	const n = 10000
	doc := envelopeOf(n)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	total := 0
	for b.Loop() {
		er := NewEnvelopeReader(bytes.NewReader(doc), Limits{})
		for {
			raw, err := er.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Decode(raw); err != nil {
				b.Fatal(err)
			}
			total++
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "objects/s")
}

func envelopeOf(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"more":false,"objects":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(sampleIndicator(i))
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}
