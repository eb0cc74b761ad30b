package handlers

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// fileWriter is the http.ResponseWriter that net/http's file serving
// (http.ServeContent, inside files.Serve and static.Handler) writes to
// from an Echo handler. It does three things echo.Response alone does not:
//
//   - It restores io.ReaderFrom, which echo.Response hides, so that an
//     *os.File reaches net/http's own ReadFrom and from there sendfile(2):
//     downloads go from the page cache to the socket without being copied
//     through user space.
//   - It moves the connection's write deadline while bytes go out (see
//     Pace), when it has a deadline.
//   - It holds back error answers (416, 412, 404), body and all, so that the
//     handler returns them as errors and HandleError writes them as
//     problem+json like every other error.
//
// Headers, the status and Echo's Before hooks (X-Process-Time) still go
// through echo.Response.WriteHeader, so middleware sees the response as
// usual.
type fileWriter struct {
	res      *echo.Response
	deadline *deadline // nil: the server's write timeout applies
	status   int       // the error status held back, or 0
}

func (w *fileWriter) Header() http.Header {
	return w.res.Header()
}

func (w *fileWriter) WriteHeader(code int) {
	if code >= http.StatusBadRequest {
		w.status = code
		return
	}
	w.res.WriteHeader(code)
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if w.status != 0 {
		return len(p), nil // the body of an error answer held back
	}
	n, err := w.res.Write(p)
	if w.deadline != nil {
		w.deadline.advance(int64(n))
	}
	return n, err
}

// ReadFrom hands src to the connection's own ReadFrom, which uses
// sendfile(2) when src is an *os.File or an io.LimitedReader of one (what
// http.ServeContent passes). With a deadline it does so in steps, moving the
// deadline between them, and keeps that shape so each step is still a
// sendfile.
func (w *fileWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status != 0 {
		return 0, nil // nothing follows an error answer held back
	}
	if !w.res.Committed {
		w.res.WriteHeader(http.StatusOK) // as echo.Response.Write would
	}
	rf, ok := w.res.Writer.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{w}, src) // the struct hides ReadFrom
	}
	if w.deadline == nil {
		n, err := rf.ReadFrom(src)
		w.res.Size += n
		return n, err
	}
	var total int64
	for {
		step := &io.LimitedReader{R: src, N: w.deadline.due()}
		outer, limited := src.(*io.LimitedReader)
		if limited {
			// One level of io.LimitedReader is what sendfile looks through.
			step.R, step.N = outer.R, min(step.N, outer.N)
		}
		if step.N <= 0 {
			return total, nil
		}
		n, err := rf.ReadFrom(step)
		total += n
		w.res.Size += n
		w.deadline.advance(n)
		if limited {
			outer.N -= n
		}
		if err != nil || step.N > 0 { // step.N > 0: src ran out early
			return total, err
		}
	}
}

// err returns the error answer held back, if any, for the handler to
// return.
func (w *fileWriter) err() error {
	if w.status == 0 {
		return nil
	}
	// An attachment header on a problem document would save it as the file.
	w.res.Header().Del("Content-Disposition")
	if w.status == http.StatusPreconditionFailed {
		return echo.NewHTTPError(w.status, "The file does not meet the request's preconditions.")
	}
	return echo.NewHTTPError(w.status)
}
