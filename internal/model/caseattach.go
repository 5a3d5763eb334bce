package model

import "time"

// CaseAttachment is a file on a case of the desk: on the case itself (MessageID 0) or on a
// message of its thread. Internal is the message's flag: a file on an internal note is
// seen by whoever sees the note.
type CaseAttachment struct {
	ID          int64
	CaseID      int64
	MessageID   int64
	Internal    bool
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	UploadedBy  int64
	CreatedAt   time.Time
}
