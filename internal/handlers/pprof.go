package handlers

import (
	"net/http"
	"net/http/pprof"
)

// Pprof serves net/http/pprof's profiles under /debug/pprof/, for a
// listener of its own (PPROF_ADDR): profiles show the code and cost CPU, so
// they never share the public port.
func Pprof() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
