// Command wsclient is a minimal WebSocket client for trying /ws and /chat
// from a terminal: it sends each line of standard input as a text message
// and prints each message it receives. At the end of input it waits until
// the server has been quiet for a moment (a chat message may still be on its
// way back through Redis), then closes the connection, printing what the
// server still sends until it answers.
//
// With -json it joins the chat in its JSON protocol (format=json) and
// prints each message as the object it is; with -last-id ID it resumes
// after the line ID, so the server first replays the lines since. At the
// end it prints the id of the last line it received to standard error, to
// pass as -last-id next time.
//
//	echo hello | go -C e2e run ./cmd/wsclient ws://localhost:8080/ws
//	go -C e2e run ./cmd/wsclient 'ws://localhost:8080/chat?name=Ann'
//	go -C e2e run ./cmd/wsclient -last-id 1764745200123-0 'ws://localhost:8080/chat?name=Ann'
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// quietWait is how long the server must send nothing after the end of
	// input before the client closes.
	quietWait = 500 * time.Millisecond
	// closeWait bounds the wait for the server's answer to our close frame.
	closeWait = 5 * time.Second
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "wsclient: %v\n", err)
		}
		os.Exit(1)
	}
}

func run(args []string, in io.Reader, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("wsclient", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintln(errOut, "usage: wsclient [-json] [-last-id ID] ws://host:port/path")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "join the chat in its JSON protocol (format=json), whose lines have ids")
	lastID := fs.String("last-id", "", "resume the chat after the line with this id (implies -json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want one URL")
	}
	target, err := chatURL(fs.Arg(0), *asJSON || *lastID != "", *lastID)
	if err != nil {
		return err
	}
	conn, resp, err := websocket.DefaultDialer.Dial(target, nil)
	if err != nil {
		if resp != nil {
			// A refusal is problem+json; its detail says why.
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			resp.Body.Close()
			return fmt.Errorf("%s refused: %s: %s", target, resp.Status, body)
		}
		return fmt.Errorf("dial %s: %w", target, err)
	}
	// This goroutine is the only reader; the input goroutine is the only
	// writer of messages, as gorilla/websocket requires. Closing the
	// connection ends the reader; run waits for it, so nothing prints to out
	// after run returns.
	received := make(chan error, 1)
	printed := make(chan struct{}, 1)
	readerDone := make(chan struct{})
	last := "" // the id of the last chat line received; the reader's until it is done
	defer func() {
		conn.Close()
		<-readerDone
		if last != "" {
			fmt.Fprintf(errOut, "last id: %s (resume with -last-id %s)\n", last, last)
		}
	}()
	go func() {
		defer close(readerDone)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				received <- err
				return
			}
			var line struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(msg, &line) == nil && line.ID != "" {
				last = line.ID
			}
			fmt.Fprintln(out, string(msg))
			select {
			case printed <- struct{}{}:
			default:
			}
		}
	}()
	inputDone := make(chan error, 1)
	go func() {
		lines := bufio.NewScanner(in)
		for lines.Scan() {
			if err := conn.WriteMessage(websocket.TextMessage, lines.Bytes()); err != nil {
				inputDone <- fmt.Errorf("send: %w", err)
				return
			}
		}
		inputDone <- lines.Err()
	}()

	select {
	case err := <-received:
		return fmt.Errorf("the server ended the connection: %w", err)
	case err := <-inputDone:
		if err != nil {
			return err
		}
	}
	// End of input: wait for a quiet moment, then say goodbye. The server
	// answers after the messages it still has for us.
	quiet := time.NewTimer(quietWait)
	for waiting := true; waiting; {
		select {
		case <-printed:
			quiet.Reset(quietWait)
		case err := <-received:
			return fmt.Errorf("the server ended the connection: %w", err)
		case <-quiet.C:
			waiting = false
		}
	}
	bye := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := conn.WriteControl(websocket.CloseMessage, bye, time.Now().Add(closeWait)); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	select {
	case err := <-received:
		if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			return nil
		}
		return fmt.Errorf("the server ended the connection: %w", err)
	case <-time.After(closeWait):
		return errors.New("the server did not answer our close frame")
	}
}

// chatURL is raw with format=json when asJSON and last_id=lastID when set.
func chatURL(raw string, asJSON bool, lastID string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", raw, err)
	}
	q := u.Query()
	if asJSON {
		q.Set("format", "json")
	}
	if lastID != "" {
		q.Set("last_id", lastID)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
