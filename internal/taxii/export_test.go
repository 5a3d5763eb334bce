package taxii

// SetAfterPage lets tests stop a run after a page as a crash would.
func SetAfterPage(s *Subscriptions, f func(pages int) error) { s.afterPage = f }

// Backoff exposes the wait after failures in a row.
var Backoff = backoff

// SetAfterEvent lets tests stop a feed import after an event as a crash would.
func SetAfterEvent(s *FeedImports, f func(events int) error) { s.afterEvent = f }
