package fault_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/fault"
)

func TestKindsAreTheStableProblemSlugs(t *testing.T) {
	want := map[fault.Kind]string{
		fault.Invalid:      "validation-error",
		fault.NotFound:     "not-found",
		fault.Conflict:     "conflict",
		fault.Forbidden:    "forbidden",
		fault.Unauthorized: "unauthorized",
		fault.RateLimited:  "rate-limited",
		fault.TooLarge:     "payload-too-large",
		fault.Unsupported:  "unsupported-media-type",
		fault.Unavailable:  "unavailable",
		fault.Internal:     "internal",
	}
	for k, slug := range want {
		if string(k) != slug {
			t.Errorf("kind %q, want slug %q", k, slug)
		}
	}
}

func TestNewCarriesKindKeyAndArgumentPairs(t *testing.T) {
	e := fault.New(fault.RateLimited, "signin.throttled", "seconds", 4, "where", "ip")
	if e.Kind != fault.RateLimited || e.Key != "signin.throttled" || e.Field != "" {
		t.Fatalf("%+v", e)
	}
	if e.Args["seconds"] != 4 || e.Args["where"] != "ip" || len(e.Args) != 2 {
		t.Fatalf("args %v", e.Args)
	}
	if fault.New(fault.NotFound, "error.not_found").Args != nil {
		t.Error("no arguments should give nil Args")
	}
	// A dangling key without a value is dropped rather than paired with nothing.
	if a := fault.New(fault.Invalid, "k", "max", 3, "orphan").Args; len(a) != 1 || a["max"] != 3 {
		t.Errorf("odd arguments: %v", a)
	}
	// Non-string keys are printed.
	if a := fault.New(fault.Invalid, "k", 7, "seven").Args; a["7"] != "seven" {
		t.Errorf("numeric key: %v", a)
	}
}

func TestFieldIsAnInvalidErrorAboutOneField(t *testing.T) {
	e := fault.Field("email", "invalid.email", "value", "x")
	if e.Kind != fault.Invalid || e.Field != "email" || e.Key != "invalid.email" || e.Args["value"] != "x" {
		t.Fatalf("%+v", e)
	}
	if got := e.Error(); got != "email: validation-error: invalid.email map[value:x]" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestWithFieldReturnsACopy(t *testing.T) {
	orig := fault.New(fault.Forbidden, "user.org_not_allowed")
	withField := orig.WithField("org_id")
	if withField.Field != "org_id" || withField.Kind != fault.Forbidden || withField.Key != "user.org_not_allowed" {
		t.Fatalf("%+v", withField)
	}
	if orig.Field != "" {
		t.Fatal("WithField changed the original")
	}
}

func TestWrapHidesTheCauseBehindAnInternalError(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	e := fault.Wrap(cause, "read body")
	if e.Kind != fault.Internal || e.Key != "error.internal" {
		t.Fatalf("%+v", e)
	}
	if !errors.Is(e, cause) {
		t.Fatal("the cause is not unwrapped")
	}
	if !strings.Contains(e.Error(), "read body: unexpected EOF") {
		t.Fatalf("Error() = %q", e.Error())
	}
}

func TestAsAndIsSeeThroughWrapping(t *testing.T) {
	inner := fault.New(fault.Conflict, "token.too_many", "max", 20)
	wrapped := fmt.Errorf("creating token: %w", inner)
	if got := fault.As(wrapped); got != inner {
		t.Fatalf("As lost the fault: %v", got)
	}
	if !fault.Is(wrapped, fault.Conflict) || fault.Is(wrapped, fault.Invalid) {
		t.Fatal("Is is wrong")
	}
	plain := errors.New("disk on fire")
	if fe := fault.As(plain); fe.Kind != fault.Internal || fe.Key != "error.internal" || !errors.Is(fe, plain) {
		t.Fatalf("a plain error is not internal: %+v", fe)
	}
	if fault.Is(plain, fault.Internal) {
		t.Fatal("Is reports a kind for an error that is no fault")
	}
	if fault.Is(nil, fault.Internal) {
		t.Fatal("nil is not a fault")
	}
}

func TestListCollectsFieldErrors(t *testing.T) {
	var l fault.List
	if l.Err() != nil {
		t.Fatal("an empty list is an error")
	}
	l.Add("name_ja", "invalid.required")
	l.AddErr("kind", nil) // nothing
	l.AddErr("kind", fault.New(fault.Invalid, "invalid.org_kind", "value", "x"))
	l.AddErr("sector", fault.Field("already", "invalid.sector")) // a field already set is kept
	l.AddErr("email", errors.New("boom"))                        // a plain error becomes internal, with the field
	err := l.Err()
	if len(l) != 4 {
		t.Fatalf("%d errors: %v", len(l), err)
	}
	fields := fault.Fields(err)
	want := []struct {
		field, key string
		kind       fault.Kind
	}{
		{"name_ja", "invalid.required", fault.Invalid},
		{"kind", "invalid.org_kind", fault.Invalid},
		{"already", "invalid.sector", fault.Invalid},
		{"email", "error.internal", fault.Internal},
	}
	for i, w := range want {
		if fields[i].Field != w.field || fields[i].Key != w.key || fields[i].Kind != w.kind {
			t.Errorf("error %d: %+v, want %+v", i, fields[i], w)
		}
	}
	if fault.KindOf(err) != fault.Invalid {
		t.Errorf("a list reports as %s", fault.KindOf(err))
	}
	if !fault.Is(err, fault.Invalid) || fault.Is(err, fault.Internal) || !fault.Is(fmt.Errorf("x: %w", err), fault.Invalid) {
		t.Error("Is does not treat a list as Invalid")
	}
	if s := err.Error(); !strings.HasPrefix(s, "name_ja: validation-error: invalid.required; kind: ") || strings.Count(s, "; ") != 3 {
		t.Errorf("Error() = %q", s)
	}
	// The list survives wrapping.
	if got := fault.Fields(fmt.Errorf("ctx: %w", err)); len(got) != 4 {
		t.Errorf("wrapped list has %d fields", len(got))
	}
}

func TestFieldsAndKindOfOfSingleErrors(t *testing.T) {
	if fault.Fields(nil) != nil {
		t.Error("Fields(nil) is not empty")
	}
	one := fault.Field("email", "invalid.email")
	if got := fault.Fields(one); len(got) != 1 || got[0] != one {
		t.Errorf("Fields(single) = %v", got)
	}
	if fault.KindOf(fault.New(fault.NotFound, "x")) != fault.NotFound {
		t.Error("KindOf single")
	}
	if fault.KindOf(errors.New("plain")) != fault.Internal {
		t.Error("KindOf plain")
	}
}
