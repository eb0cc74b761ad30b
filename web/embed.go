// Package web holds the browser-facing files compiled into the binary, so the
// service runs from any working directory.
package web

import (
	"embed"
	"io/fs"
)

// files is web/static as it was at build time. embed.FS is read-only, and
// it is not exported so callers get the rooted view from Static.
//
//go:embed static
var files embed.FS

// Static returns the files of web/static, rooted there: "index.html" names
// web/static/index.html. Embedded files report no modification time.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // unreachable: "static" is a valid path
	}
	return sub
}
