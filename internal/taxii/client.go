package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/stix"
)

// Client talks to a remote TAXII 2.1 server: it pulls a collection's objects page by page
// from an added_after checkpoint, and pushes envelopes.
type Client struct {
	// APIRoot is the URL of the remote API root, ending in a slash.
	APIRoot string
	// Token is sent as a bearer token; with User set, as the password of HTTP Basic.
	Token, User string
	HTTP        *http.Client
	// PageSize is the limit asked for; the server may send fewer.
	PageSize int
	// MaxPage bounds the bytes of one page read.
	MaxPage int64
}

// Page is one page pulled.
type Page struct {
	Objects [][]byte // the objects as the server sent them
	// Checkpoint is the X-TAXII-Date-Added-Last of the page: pulling again with it as
	// added_after goes on after this page.
	Checkpoint string
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 2 * time.Minute}
}

func (c *Client) request(ctx context.Context, method, u string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaTAXII)
	if body != nil {
		req.Header.Set("Content-Type", MediaTAXII)
	}
	if c.User != "" {
		req.SetBasicAuth(c.User, c.Token)
	} else if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return c.http().Do(req)
}

// RemoteError is a TAXII error answer.
type RemoteError struct {
	Status int
	Title  string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("TAXII server answered %d: %s", e.Status, e.Title)
}

func remoteError(res *http.Response) error {
	var e errorResource
	_ = json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&e)
	return &RemoteError{Status: res.StatusCode, Title: e.Title}
}

// Pull reads the objects of a remote collection added after the checkpoint ("" for all),
// following next, and hands each page to each; when each returns nil for a page, the page's
// checkpoint is final, so a crash after it loses nothing and repeats nothing when the pull
// starts again from the last checkpoint each accepted. It returns the last checkpoint.
func (c *Client) Pull(ctx context.Context, collection, checkpoint string, each func(Page) error) (string, error) {
	if !strings.HasSuffix(c.APIRoot, "/") {
		return checkpoint, errors.New("the API root URL must end with a slash")
	}
	limit := c.PageSize
	if limit <= 0 {
		limit = 1000
	}
	maxPage := c.MaxPage
	if maxPage <= 0 {
		maxPage = 64 << 20
	}
	next := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if checkpoint != "" {
			q.Set("added_after", checkpoint)
		}
		if next != "" {
			q.Set("next", next)
		}
		res, err := c.request(ctx, http.MethodGet, c.APIRoot+"collections/"+url.PathEscape(collection)+"/objects/?"+q.Encode(), nil)
		if err != nil {
			return checkpoint, err
		}
		if res.StatusCode != http.StatusOK {
			err := remoteError(res)
			res.Body.Close()
			return checkpoint, err
		}
		last := res.Header.Get("X-TAXII-Date-Added-Last")
		er := stix.NewEnvelopeReader(io.LimitReader(res.Body, maxPage), stix.Limits{})
		var pg Page
		for {
			raw, err := er.Next()
			if err == io.EOF {
				break
			}
			var oe *stix.ObjectError
			if errors.As(err, &oe) {
				continue // an object too large to read; the rest of the page is kept
			}
			if err != nil {
				res.Body.Close()
				return checkpoint, fmt.Errorf("reading a page: %w", err)
			}
			pg.Objects = append(pg.Objects, raw)
		}
		res.Body.Close()
		env := er.Envelope()
		if len(pg.Objects) == 0 {
			return checkpoint, nil
		}
		if last == "" {
			return checkpoint, errors.New("the server sent objects without X-TAXII-Date-Added-Last")
		}
		pg.Checkpoint = last
		if err := each(pg); err != nil {
			return checkpoint, err
		}
		checkpoint = last
		if !env.More {
			return checkpoint, nil
		}
		// A server that gives more without next is paged by added_after alone.
		next = env.Next
	}
}

// Push posts an envelope of objects to a remote collection and returns the status
// resource's counts.
func (c *Client) Push(ctx context.Context, collection string, objects [][]byte) (success, failure, pending int, err error) {
	var b bytes.Buffer
	b.WriteString(`{"objects":[`)
	for i, o := range objects {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o)
	}
	b.WriteString(`]}`)
	res, err := c.request(ctx, http.MethodPost, c.APIRoot+"collections/"+url.PathEscape(collection)+"/objects/", b.Bytes())
	if err != nil {
		return 0, 0, 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		return 0, 0, 0, remoteError(res)
	}
	var st statusResource
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<20)).Decode(&st); err != nil {
		return 0, 0, 0, err
	}
	return st.SuccessCount, st.FailureCount, st.PendingCount, nil
}

// PullInto pulls a remote collection into a local one on behalf of a person who may write
// it, page by page from the checkpoint, calling save with each page's checkpoint once the
// page is stored: a pull stopped by a crash starts again from the last checkpoint saved.
// It returns how many objects were read and how many the local collection refused.
func PullInto(ctx context.Context, c *Client, remote, checkpoint string, svc *intel.Service, p auth.Principal, local string,
	save func(checkpoint string) error) (read, refused int, err error) {
	_, err = c.Pull(ctx, remote, checkpoint, func(pg Page) error {
		var b bytes.Buffer
		b.WriteString(`{"objects":[`)
		for i, o := range pg.Objects {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(o)
		}
		b.WriteString(`]}`)
		st, err := svc.AddObjects(ctx, p, local, &b)
		if err != nil {
			return err
		}
		read += len(pg.Objects)
		refused += st.Failure
		return save(pg.Checkpoint)
	})
	return read, refused, err
}
