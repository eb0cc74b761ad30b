package main

import (
	"runtime"
	"runtime/debug"
)

// version is stamped at build time: go build -ldflags "-X main.version=v1.2.3".
// Nothing writes it at run time.
var version string

// buildVersion is the stamped version, or what the Go toolchain recorded.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	return recordedVersion(bi)
}

// recordedVersion is the version go build records: the module's, taken
// from git (v0.0.0-<time>-<commit>, +dirty with uncommitted changes), or,
// where there is none ("(devel)": go run, a build outside git), the commit
// when one was recorded.
func recordedVersion(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev == "" {
		return "(devel)"
	}
	return "(devel) " + rev + dirty
}

// versionLine is what -version prints: the version and the toolchain that
// built it, which the security fixes depend on.
func versionLine() string {
	return buildVersion() + " " + runtime.Version()
}
