package ws_test

// The floors the benchmarks compare the service with: gorilla/websocket's
// examples/echo handler and its examples/chat hub (Copyright 2013 The
// Gorilla WebSocket Authors, BSD-style license), copied with three changes:
// no package-level upgrader, a stop for the hub so a benchmark can end it,
// and no coalescing of queued messages into one frame, since this service
// sends one message per frame and the benchmark clients count frames.

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// floorUpgrader is the examples' upgrader.
func floorUpgrader() *websocket.Upgrader {
	return &websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}
}

// floorEcho is examples/echo's handler: read a message, write it back.
func floorEcho() http.HandlerFunc {
	upgrader := floorUpgrader()
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, message, err := c.ReadMessage()
			if err != nil {
				break
			}
			if err := c.WriteMessage(mt, message); err != nil {
				break
			}
		}
	}
}

const (
	floorWriteWait  = 10 * time.Second
	floorPongWait   = 60 * time.Second
	floorPingPeriod = (floorPongWait * 9) / 10
	floorMaxMessage = 512
)

// floorHub is examples/chat's Hub, with a stop.
type floorHub struct {
	clients    map[*floorClient]bool
	broadcast  chan []byte
	register   chan *floorClient
	unregister chan *floorClient
	stop       chan struct{}
	open       atomic.Int64 // connections, for the benchmark to wait on
}

func newFloorHub() *floorHub {
	return &floorHub{
		broadcast:  make(chan []byte),
		register:   make(chan *floorClient),
		unregister: make(chan *floorClient),
		clients:    make(map[*floorClient]bool),
		stop:       make(chan struct{}),
	}
}

func (h *floorHub) run() {
	for {
		select {
		case client := <-h.register:
			h.clients[client] = true
		case client := <-h.unregister:
			if _, ok := h.clients[client]; ok {
				delete(h.clients, client)
				close(client.send)
			}
		case message := <-h.broadcast:
			for client := range h.clients {
				select {
				case client.send <- message:
				default:
					close(client.send)
					delete(h.clients, client)
				}
			}
		case <-h.stop:
			for client := range h.clients {
				close(client.send)
			}
			return
		}
	}
}

// floorClient is examples/chat's Client.
type floorClient struct {
	hub  *floorHub
	conn *websocket.Conn
	send chan []byte
}

func (c *floorClient) readPump() {
	defer func() {
		select {
		case c.hub.unregister <- c:
		case <-c.hub.stop:
		}
		c.conn.Close()
		c.hub.open.Add(-1)
	}()
	c.conn.SetReadLimit(floorMaxMessage)
	_ = c.conn.SetReadDeadline(time.Now().Add(floorPongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(floorPongWait)) })
	for {
		_, message, err := c.conn.ReadMessage()
		if err != nil {
			break
		}
		select {
		case c.hub.broadcast <- message:
		case <-c.hub.stop:
			return
		}
	}
}

func (c *floorClient) writePump() {
	ticker := time.NewTicker(floorPingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case message, ok := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(floorWriteWait))
			if !ok {
				_ = c.conn.WriteMessage(websocket.CloseMessage, []byte{})
				return
			}
			w, err := c.conn.NextWriter(websocket.TextMessage)
			if err != nil {
				return
			}
			_, _ = w.Write(message)
			if err := w.Close(); err != nil {
				return
			}
		case <-ticker.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(floorWriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// serveWs is examples/chat's serveWs.
func (h *floorHub) serveWs() http.HandlerFunc {
	upgrader := floorUpgrader()
	return func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		h.open.Add(1)
		client := &floorClient{hub: h, conn: conn, send: make(chan []byte, 256)}
		select {
		case client.hub.register <- client:
		case <-h.stop:
			conn.Close()
			h.open.Add(-1)
			return
		}
		go client.writePump()
		go client.readPump()
	}
}
