// Package ws serves the WebSocket endpoints, an echo connection and a chat
// hub, so that no client can stall, flood or outlast another: optionally
// spread over several instances through a Broker's shared log, from which a
// client resumes on any of them. It speaks net/http only
// and knows nothing of Echo, tasks or storage; the HTTP layer maps its
// sentinel errors to responses.
//
// # Protocol
//
// Every message is a text frame of valid UTF-8, at most MaxMessageBytes long.
//
//   - Echo (ServeEcho): each message m is answered with "Echo: m".
//   - Chat (ServeChat): each message m is sent to every chat client, the
//     sender included, as "<name> said: m". Everyone also receives
//     "<name> joined" (the joining client too, which tells it that it is in)
//     and "<name> left". The name defaults to "User", so a plain client sees
//     the tutorial's "User said: m". Notices are best-effort: a client whose
//     queue is half full misses them rather than being dropped, so a crowd
//     reconnecting at once cannot push healthy readers out.
//   - Chat in FormatJSON: each message is {"id","from","text","time"}; chat
//     lines have ids, and a client that reconnects with the last one it saw
//     (ChatRequest.LastID) first gets the lines kept since (Config.History),
//     after a missed notice when that line is gone, then the live ones, each
//     once. Members lists who is in, on every instance.
//
// The server closes a connection with 1001 when it shuts down, 1003 for a
// binary message, 1007 for invalid UTF-8, 1008 for sending more than its
// budget (MessageRate for messages; MaxControlFrames, MaxFragments and
// MaxBytes per BudgetWindow for everything else), 1009 for a message over
// MaxMessageBytes, and 1013 when a chat client falls SendBuffer messages
// behind. Before the upgrade, a client address holding MaxConnectionsPerIP
// connections is refused with ErrTooManyFromAddr.
//
// # Design
//
// An echo connection is one goroutine that reads a message and writes its
// reply, plus a ticker goroutine that sends pings (gorilla allows
// WriteControl beside other writes); it never touches the hub.
//
// The chat follows gorilla/websocket's chat example: one goroutine (the hub)
// owns the set of clients and every change reaches it over a channel; each
// client has one reader and one writer goroutine and a bounded send buffer
// that the hub closes to end it; a client whose buffer is full is dropped
// (1013) instead of waited for. Each broadcast is framed once
// (websocket.PreparedMessage) for all clients. Without a Broker the readers
// hand lines straight to the hub, which keeps the last ones for resuming
// clients (history); there is no round trip. With one, every line and
// notice is appended to the broker's log, and one goroutine per instance
// (tail) reads the log and hands each entry to the hub, so delivery and
// history are one mechanism and the log's ids are the lines' ids; a
// resuming client's replay is read from the log (see resume.go). Each
// instance also records its members there (advertise).
//
// Unlike the example, the hub can stop: Shutdown closes every connection,
// echo and chat, with 1001 (Going Away) and waits for every goroutine.
//
// Every frame and byte a peer sends is counted on the hijacked connection
// itself (meteredConn), because gorilla answers pings and skips empty
// continuation frames inside one read, where the caller never sees them.
package ws
