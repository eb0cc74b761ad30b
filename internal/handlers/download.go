package handlers

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/files"
)

// sampleZip is the tutorial's large_file.zip, kept small: a real zip with
// one README.txt, made once and committed. Shipping the file itself keeps
// the handler what the tutorial shows, a file sent under another name,
// with no archive code run at start.
//
//go:embed assets/large_file.zip
var sampleZip []byte

// sampleName is the name the browser saves the sample under, as in the
// tutorial's FileResponse("large_file.zip", filename="downloaded.zip").
const sampleName = "downloaded.zip"

// handleDownload sends a stored file as an attachment under the name it
// was uploaded with. http.ServeContent does the HTTP work: HEAD, Range
// (under the httprange policy), If-Range, and 304 from the ETag, which
// is the content's SHA-256, or from Last-Modified.
//
// With presign, it redirects to a URL of the bucket instead, which serves
// the same headers and conditions itself, so the bytes never pass through
// this instance.
func handleDownload(store *files.Store, pace Pace, presign bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		if presign {
			url, _, err := store.PresignDownload(c.Request().Context(), c.Param("id"), presignTTL)
			if errors.Is(err, files.ErrNotFound) {
				return echo.NewHTTPError(http.StatusNotFound, "No file has this id.")
			}
			if err != nil {
				return fmt.Errorf("presign download: %w", err)
			}
			// The URL expires; a cached redirect would outlive it.
			c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
			return c.Redirect(http.StatusTemporaryRedirect, url)
		}
		// Open refuses any id it did not make, so none can name a path.
		f, info, err := store.Open(c.Request().Context(), c.Param("id"))
		if errors.Is(err, files.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound, "No file has this id.")
		}
		if err != nil {
			return fmt.Errorf("open stored file: %w", err)
		}
		defer f.Close()
		w := downloadWriter(c, pace)
		err = files.Serve(w, c.Request(), files.File{
			Name:        info.Filename,
			ContentType: info.ContentType,
			ModTime:     info.ModTime,
			ETag:        info.SHA256,
			Content:     f, // an *os.File from a directory, for sendfile
		})
		return served(w, err)
	}
}

// presignTTL is how long a presigned download URL works: long enough to
// follow the redirect and for a download to resume by range for a while,
// short enough that a leaked URL soon stops working, and well inside any
// retention.
const presignTTL = 5 * time.Minute

// handleDownloadSample is the tutorial's FileResponse example: a file
// shipped with the service, sent as an attachment under another name.
func handleDownloadSample(pace Pace) echo.HandlerFunc {
	sum := sha256.Sum256(sampleZip)
	etag := hex.EncodeToString(sum[:])
	return func(c echo.Context) error {
		w := downloadWriter(c, pace)
		err := files.Serve(w, c.Request(), files.File{
			Name:        sampleName,
			ContentType: "application/zip",
			ETag:        etag,
			Content:     bytes.NewReader(sampleZip),
		})
		return served(w, err)
	}
}

// served is a download's outcome: files.Serve's error, else the writer's.
func served(w *fileWriter, err error) error {
	if errors.Is(err, files.ErrRangeNotSatisfiable) {
		return echo.NewHTTPError(http.StatusRequestedRangeNotSatisfiable, "No byte of the file is in the requested range.")
	}
	if err != nil {
		return err
	}
	return w.err()
}

// downloadWriter returns c's response as a fileWriter whose write deadline
// keeps pace with the download.
func downloadWriter(c echo.Context, pace Pace) *fileWriter {
	rc := http.NewResponseController(c.Response())
	return &fileWriter{res: c.Response(), deadline: startDeadline(rc.SetWriteDeadline, pace)}
}
