// Package ws serves the WebSocket endpoints: an echo connection and a chat
// hub that no slow client can stall, optionally spread over several instances
// through a Broker. It speaks net/http only and knows nothing of Echo, tasks
// or storage; the HTTP layer maps its sentinel errors to responses.
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
//
// The server closes a connection with 1001 when it shuts down, 1003 for a
// binary message, 1007 for invalid UTF-8, 1008 for too many messages (see
// MessageRate), 1009 for a message over MaxMessageBytes, and 1013 when a chat
// client falls SendBuffer messages behind.
//
// # Design
//
// The design follows gorilla/websocket's chat example: one goroutine (run)
// owns the set of clients and every change reaches it over a channel; each
// connection has one reader and one writer goroutine and a bounded send
// buffer; a client whose buffer is full is dropped instead of waited for.
// Each broadcast is framed once (websocket.PreparedMessage) for all clients.
// Unlike the example, the hub can stop: Shutdown closes every connection with
// 1001 (Going Away) and waits for every goroutine.
package ws
