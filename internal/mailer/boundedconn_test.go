package mailer

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestBoundedConnReadsUpToItsBudget: an attempt's connection passes on
// replies up to its budget, never more, and then refuses to read.
func TestBoundedConnReadsUpToItsBudget(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	go func() { _, _ = server.Write([]byte("250 ok\r\n")) }()
	c := &boundedConn{Conn: client, left: 3, deadline: time.Now().Add(time.Minute)}
	got, err := io.ReadAll(c)
	if string(got) != "250" || !errors.Is(err, errTooMuchReply) {
		t.Errorf("read %q, %v; want \"250\" and errTooMuchReply", got, err)
	}
}
