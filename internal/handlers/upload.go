package handlers

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/files"
	"example.com/echotemplate/internal/metrics"
)

// handleUpload streams the multipart field "file" into the store, part by
// part as it arrives (files.Receiver), and answers 201. One file part gets
// the stored file's description and a Location to download it from;
// several get {"files": [...]} in the order they were sent.
func handleUpload(store *files.Store, limits files.Limits, allowedTypes []string, pace Pace, m *metrics.Metrics) echo.HandlerFunc {
	type storedFile struct {
		ID          string `json:"id"`
		Filename    string `json:"filename"`
		Size        int64  `json:"size"`
		SHA256      string `json:"sha256"`
		ContentType string `json:"content_type"`
	}
	describe := func(info files.Info) storedFile {
		return storedFile{info.ID, info.Filename, info.Size, info.SHA256, info.ContentType}
	}
	receiver := files.NewReceiver(store, limits)
	pace = pace.withDefaults()
	return func(c echo.Context) error {
		req := c.Request()
		rc := http.NewResponseController(c.Response())
		req.Body = pacedBody{ReadCloser: req.Body, deadline: startDeadline(rc.SetReadDeadline, pace)}
		// net/http's own writer, so that a body over the limit also closes
		// the connection instead of being read to its end.
		res, err := receiver.Receive(c.Response().Writer, req)
		// The server set the write deadline when the request began; a long
		// upload outlives it. The answer is small.
		_ = rc.SetWriteDeadline(time.Now().Add(pace.Window))
		if err != nil {
			return uploadError(c, err, receiver.Limits(), allowedTypes, pace)
		}
		for _, f := range res.Files {
			m.Uploaded(f.Size)
		}
		if len(res.Files) == 1 {
			f := res.Files[0]
			c.Response().Header().Set(echo.HeaderLocation, "/download/"+f.ID)
			return c.JSON(http.StatusCreated, describe(f))
		}
		out := struct {
			Files []storedFile `json:"files"`
		}{}
		for _, f := range res.Files {
			out.Files = append(out.Files, describe(f))
		}
		return c.JSON(http.StatusCreated, out)
	}
}

// uploadError turns an error from Receive into the client's answer. Receive
// has already removed whatever the request stored.
func uploadError(c echo.Context, err error, limits files.Limits, allowedTypes []string, pace Pace) error {
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return echo.NewHTTPError(http.StatusRequestTimeout, fmt.Sprintf(
			"The upload was too slow: it must keep up at least %s per second.", formatBytes(pace.MinBytesPerSec)))
	case c.Request().Context().Err() != nil:
		// The client went away mid-upload: nobody to answer, and nothing
		// wrong with the server.
		clientGone(c)
		return nil
	case errors.Is(err, files.ErrTooLarge):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
			"The request body is larger than "+formatBytes(limits.MaxBytes)+".")
	case errors.Is(err, files.ErrTooManyParts):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
			"The form has more than "+strconv.Itoa(limits.MaxParts)+" parts.")
	case errors.Is(err, files.ErrHeaderTooLarge):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
			"A part's header is larger than "+formatBytes(int64(limits.MaxHeaderBytes))+".")
	case errors.Is(err, files.ErrFieldTooLarge):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
			"A form field is larger than "+formatBytes(limits.MaxFieldBytes)+".")
	case errors.Is(err, files.ErrStorageFull):
		return echo.NewHTTPError(http.StatusInsufficientStorage, "The service has no room for this file; try a smaller one later.")
	case errors.Is(err, files.ErrNotMultipart):
		return echo.NewHTTPError(http.StatusUnsupportedMediaType,
			`Send the file as multipart/form-data, in a field named "file".`)
	case errors.Is(err, files.ErrTypeNotAllowed):
		return echo.NewHTTPError(http.StatusUnsupportedMediaType,
			"The file's content is not of an allowed type ("+strings.Join(allowedTypes, ", ")+").")
	case errors.Is(err, files.ErrBadMultipart):
		return echo.NewHTTPError(http.StatusBadRequest, "The multipart/form-data body is malformed.")
	case errors.Is(err, files.ErrNoFile):
		return &ValidationError{Errors: []FieldError{{Field: files.FileField, Message: "is required"}}}
	}
	return fmt.Errorf("receive upload: %w", err)
}

// formatBytes writes a byte count the way the settings are written:
// 100 MiB, 8 KiB, 1000 bytes.
func formatBytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
