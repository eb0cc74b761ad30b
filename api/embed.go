// Package api holds the service's OpenAPI description, embedded so the
// binary can serve it and tests can check the routes against it.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml as built into the binary.
//
//go:embed openapi.yaml
var OpenAPI []byte
