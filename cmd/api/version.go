package main

import (
	"runtime"
	"runtime/debug"
)

// version is stamped at build time: go build -ldflags "-X main.version=v1.2.3".
// Nothing writes it at run time.
var version string

// versionLine is what -version prints: the stamped version, or the one go
// build recorded from git (v0.0.0-<time>-<commit>, +dirty with uncommitted
// changes), and the toolchain that built it, which the security fixes
// depend on.
func versionLine() string {
	return buildVersion() + " " + runtime.Version()
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(unknown)"
}
