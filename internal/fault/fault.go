// Package fault defines the errors that services return to their callers: a kind that
// decides the HTTP status and problem type, the field at fault, and a message key with
// arguments that the web pages, the API and the command line render in the reader's
// language from the i18n catalogs.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the caller.
type Kind string

// The kinds of error a service returns. The string is the stable problem type slug.
const (
	Invalid      Kind = "validation-error"  // the input is wrong; nothing was changed
	NotFound     Kind = "not-found"         // missing, or not visible to the caller
	Conflict     Kind = "conflict"          // a duplicate or a stale change
	Forbidden    Kind = "forbidden"         // visible, but the caller may not do this
	Unauthorized Kind = "unauthorized"      // not signed in, or bad credentials
	RateLimited  Kind = "rate-limited"      // too many attempts; retry later
	TooLarge     Kind = "payload-too-large" // a body or file over its limit
	Unsupported  Kind = "unsupported-media-type"
	Unavailable  Kind = "unavailable" // overloaded; retry later
	Internal     Kind = "internal"
)

// Error is a service error with a translatable message.
type Error struct {
	Kind  Kind
	Field string         // the input field at fault, if any
	Key   string         // message catalog key
	Args  map[string]any // message arguments
	Err   error          // the underlying cause, never shown to users
}

func (e *Error) Error() string {
	s := string(e.Kind) + ": " + e.Key
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if len(e.Args) > 0 {
		s += fmt.Sprint(" ", e.Args)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of the given kind.
func New(kind Kind, key string, args ...any) *Error {
	return &Error{Kind: kind, Key: key, Args: pairs(args)}
}

// Field returns an Invalid error about one input field.
func Field(field, key string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Key: key, Args: pairs(args)}
}

// Wrap marks an unexpected failure; its cause is logged, never shown.
func Wrap(err error, context string) *Error {
	return &Error{Kind: Internal, Key: "error.internal", Err: fmt.Errorf("%s: %w", context, err)}
}

// As returns err as a *Error (the first of several field errors); anything else counts as
// an internal error.
func As(err error) *Error {
	var es *Errors
	if errors.As(err, &es) && len(es.List) > 0 {
		return es.List[0]
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return &Error{Kind: Internal, Key: "error.internal", Err: err}
}

// Is reports whether err is a fault of the given kind.
func Is(err error, kind Kind) bool {
	var es *Errors
	if errors.As(err, &es) {
		return kind == Invalid
	}
	var fe *Error
	return errors.As(err, &fe) && fe.Kind == kind
}

// List collects several field errors, so that a form can show all of them at once.
type List []*Error

// Add appends a field error.
func (l *List) Add(field, key string, args ...any) { *l = append(*l, Field(field, key, args...)) }

// AddErr appends err (when not nil), setting its field.
func (l *List) AddErr(field string, err error) {
	if err == nil {
		return
	}
	fe := As(err)
	if fe.Field == "" {
		fe.Field = field
	}
	*l = append(*l, fe)
}

// Err returns nil when the list is empty, else a *Errors holding it.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return &Errors{List: l}
}

// Errors is several field errors returned together; it reports as Invalid.
type Errors struct{ List List }

func (e *Errors) Error() string {
	s := ""
	for i, x := range e.List {
		if i > 0 {
			s += "; "
		}
		s += x.Error()
	}
	return s
}

// Fields returns the individual errors of err: those of an *Errors, or err itself.
func Fields(err error) List {
	var es *Errors
	if errors.As(err, &es) {
		return es.List
	}
	if err == nil {
		return nil
	}
	return List{As(err)}
}

// KindOf returns the kind of err, treating an *Errors as Invalid.
func KindOf(err error) Kind {
	var es *Errors
	if errors.As(err, &es) {
		return Invalid
	}
	return As(err).Kind
}

func pairs(args []any) map[string]any {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		m[fmt.Sprint(args[i])] = args[i+1]
	}
	return m
}

// WithField returns the error with its field set.
func (e *Error) WithField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}
