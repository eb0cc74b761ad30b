package ws

import "testing"

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, want := range []envelope{
		{From: "hub-a", Seq: 42, Text: `Alice said: "hi" <b>`},
		{From: "hub-b", Seq: 7, Text: "Bob joined", Notice: true},
	} {
		got, err := decodeEnvelope(want.encode())
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
	if _, err := decodeEnvelope([]byte("not json")); err == nil {
		t.Error("decoding garbage succeeded, want an error")
	}
}

func TestSeenWindow(t *testing.T) {
	var w seenWindow
	steps := []struct {
		seq  uint64
		want bool
	}{
		{1, true},
		{3, true},
		{1, false}, // a second copy
		{2, true},  // late but within the window
		{3, false},
		{2000, true},
		{900, false}, // older than the window: treated as seen
		{976, false}, // the newest number out of the window
		{977, true},  // the oldest number still in the window
	}
	for _, s := range steps {
		if got := w.firstTime(s.seq); got != s.want {
			t.Errorf("firstTime(%d) = %v, want %v", s.seq, got, s.want)
		}
	}

	// The set stays bounded however many numbers go through it, and still
	// knows the newest ones.
	for seq := uint64(2001); seq < 100_000; seq++ {
		w.firstTime(seq)
		if got := len(w.seen); got >= 2*seenWindowSize {
			t.Fatalf("window holds %d numbers, want fewer than %d", got, 2*seenWindowSize)
		}
		if w.firstTime(seq - 1) {
			t.Fatalf("after %d, %d was forgotten, want it remembered", seq, seq-1)
		}
	}
	for _, seq := range []uint64{99_999, 100_000 - seenWindowSize} {
		if w.firstTime(seq) {
			t.Errorf("firstTime(%d) after 100000 numbers = true, want a copy", seq)
		}
	}
}

func TestSeenCopies(t *testing.T) {
	c := make(seenCopies)
	if !c.firstTime("a", 1) || !c.firstTime("b", 1) {
		t.Fatal("first copies from two servers: want both delivered")
	}
	if c.firstTime("a", 1) || c.firstTime("b", 1) {
		t.Error("second copies: want both dropped")
	}
	for i := range 2 * maxPublishers {
		c.firstTime(string(rune('A'+i)), 1)
	}
	if len(c) > maxPublishers {
		t.Errorf("holds %d servers, want at most %d", len(c), maxPublishers)
	}
}
