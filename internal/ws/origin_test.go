package ws

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestOriginPolicy(t *testing.T) {
	allowList, err := newOriginPolicy([]string{"http://localhost:8080", "https://App.Example"})
	if err != nil {
		t.Fatalf("newOriginPolicy: %v", err)
	}
	sameOrigin, err := newOriginPolicy(nil)
	if err != nil {
		t.Fatalf("newOriginPolicy: %v", err)
	}

	tests := []struct {
		name    string
		policy  originPolicy
		host    string
		origins []string
		want    bool
	}{
		{"NoOrigin", allowList, "api.example", nil, true},
		{"Exact", allowList, "api.example", []string{"http://localhost:8080"}, true},
		{"DefaultPortOmitted", allowList, "api.example", []string{"https://app.example"}, true},
		{"DefaultPortWritten", allowList, "api.example", []string{"https://app.example:443"}, true},
		{"UpperCase", allowList, "api.example", []string{"HTTPS://APP.EXAMPLE"}, true},
		{"HTTPSTwin", allowList, "api.example", []string{"https://localhost:8080"}, false},
		{"OtherPort", allowList, "api.example", []string{"http://localhost:8081"}, false},
		{"LookAlikeSuffix", allowList, "api.example", []string{"http://localhost:8080.evil.example"}, false},
		{"LookAlikeUser", allowList, "api.example", []string{"http://localhost:8080@evil.example"}, false},
		{"Subdomain", allowList, "api.example", []string{"https://evil.app.example"}, false},
		{"WithPath", allowList, "api.example", []string{"http://localhost:8080/"}, false},
		{"Null", allowList, "api.example", []string{"null"}, false},
		{"Repeated", allowList, "api.example", []string{"http://localhost:8080", "http://localhost:8080"}, false},
		{"SameHostBesidesList", allowList, "api.example", []string{"https://api.example"}, true},
		{"SameOrigin", sameOrigin, "chat.example:8080", []string{"http://chat.example:8080"}, true},
		{"SameOriginBehindTLSProxy", sameOrigin, "chat.example", []string{"https://chat.example"}, true},
		{"CrossOrigin", sameOrigin, "chat.example", []string{"https://evil.example"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/ws", nil)
			r.Host = tt.host
			for _, o := range tt.origins {
				r.Header.Add("Origin", o)
			}
			if got := tt.policy.allows(r); got != tt.want {
				t.Errorf("allows(Origin %q, Host %q) = %v, want %v", tt.origins, tt.host, got, tt.want)
			}
		})
	}
}

func TestOriginPolicyInvalid(t *testing.T) {
	for _, origin := range []string{"*", "null", "localhost:8080", "ftp://files.example", "http://a.example/path", ""} {
		t.Run(origin, func(t *testing.T) {
			if _, err := newOriginPolicy([]string{origin}); err == nil {
				t.Errorf("newOriginPolicy(%q) succeeded, want an error", origin)
			}
		})
	}
}
