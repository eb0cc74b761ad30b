// The page's behaviour: the chat and echo WebSockets, and a small form or
// button for each other feature of the service.
//
// Rules this file keeps:
//   - Whatever the server or another user sends is shown with textContent,
//     never parsed as HTML, so "<img src=x onerror=alert(1)>" stays text.
//   - No inline script or style anywhere: the Content-Security-Policy
//     allows only this file and style.css.
//   - Errors arrive as RFC 9457 problem+json; showProblem renders the
//     detail, the field errors and the request id to quote.
"use strict";

(() => {
  const byId = (id) => document.getElementById(id);

  // el returns a new element holding text (as text) and, optionally, a class.
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // ---------------------------------------------------------------------
  // Showing responses

  // readBody returns a response's body: parsed JSON for JSON and
  // problem+json, text otherwise.
  async function readBody(res) {
    const type = res.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      try {
        return await res.json();
      } catch {
        return null;
      }
    }
    return res.text();
  }

  // showProblem renders an RFC 9457 problem document into box.
  function showProblem(box, problem, status) {
    const p = problem && typeof problem === "object" ? problem : {};
    const wrap = el("div", undefined, "problem");
    wrap.append(el("p", `${p.status || status} ${p.title || "Error"}`, "problem-title"));
    if (p.detail) wrap.append(el("p", p.detail));
    if (Array.isArray(p.errors) && p.errors.length > 0) {
      const list = el("ul", undefined, "field-errors");
      for (const fe of p.errors) {
        const item = el("li");
        item.append(el("code", String(fe.field)), ` ${fe.message}`);
        list.append(item);
      }
      wrap.append(list);
    }
    if (p.request_id) wrap.append(el("p", `Request id: ${p.request_id}`, "meta"));
    box.replaceChildren(wrap);
  }

  // showJSON renders a successful answer: a status line, the headers worth
  // seeing, and the body.
  function showJSON(box, res, body, headerNames = []) {
    const parts = [el("p", `${res.status} ${res.statusText || ""}`.trim(), "ok-title")];
    for (const name of headerNames) {
      const value = res.headers.get(name);
      if (value !== null) {
        const line = el("p", undefined, "meta");
        line.append(el("code", name), `: ${value}`);
        parts.push(line);
      }
    }
    parts.push(el("pre", typeof body === "string" ? body : JSON.stringify(body, null, 2)));
    box.replaceChildren(...parts);
  }

  // call fetches url and shows the outcome in box. It returns the parsed
  // body of a successful answer, or null.
  async function call(box, url, init = {}, headerNames = []) {
    box.replaceChildren(el("p", "Waiting for the server…", "meta"));
    let res;
    try {
      res = await fetch(url, { credentials: "same-origin", ...init });
    } catch (err) {
      box.replaceChildren(el("p", `The request failed: ${err.message}`, "problem"));
      return null;
    }
    const body = await readBody(res);
    if (!res.ok) {
      showProblem(box, body, res.status);
      return null;
    }
    showJSON(box, res, body, ["X-Request-ID", "X-Process-Time", ...headerNames]);
    return body;
  }

  // feature:websockets begin
  // ---------------------------------------------------------------------
  // WebSockets

  // wsURL is the ws:// or wss:// URL of path on this page's host.
  function wsURL(path, params = {}) {
    const url = new URL(path, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.href;
  }

  // closeExplanations says, in the reader's terms, why the server closed a
  // connection (see the close codes in api/openapi.yaml).
  const closeExplanations = {
    1001: "The server is restarting.",
    1003: "The server takes text messages only.",
    1007: "The server takes valid UTF-8 only.",
    1008: "Too many messages: slow down a little.",
    1009: "That message was over the server's size limit.",
    1013: "This connection fell too far behind.",
  };

  function setStatus(badge, state, text) {
    badge.dataset.state = state;
    badge.textContent = text;
  }

  // appendLine adds item to log and keeps the newest line in view when the
  // reader was already at the bottom. Old lines go beyond maxLines.
  function appendLine(log, item, maxLines = 500) {
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    while (log.children.length > maxLines) log.firstElementChild.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  // Backoff between reconnection attempts: doubling from reconnectBase up
  // to reconnectCap, of which a random half is waited ("equal jitter"), so
  // that clients dropped together by a restart do not return together.
  const reconnectBase = 500;
  const reconnectCap = 30000;

  function reconnectDelay(attempt) {
    const ceiling = Math.min(reconnectCap, reconnectBase * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  // ---------------------------------------------------------------------
  // Chat: /chat?name=&format=json&last_id=

  // The service's rule for chat names (ws.ParseName), checked here too so a
  // refused name gets a clear message: a browser never sees the reason a
  // WebSocket handshake was refused.
  const namePattern = /^[\p{L}\p{N} ._-]{0,32}$/u;
  const nameKey = "chat-name";
  // membersRefresh is how often the list of who is online is fetched again
  // besides on every join and leave, which covers names that expire when
  // another instance crashes.
  const membersRefresh = 30000;

  const chat = {
    status: byId("chat-status"),
    log: byId("chat-log"),
    members: byId("chat-members"),
    nameInput: byId("chat-name"),
    joinButton: byId("chat-join-button"),
    leaveButton: byId("chat-leave"),
    messageInput: byId("chat-message"),
    sendButton: byId("chat-send-button"),
    error: byId("chat-error"),
    socket: null,
    wanted: false, // the reader wants to be in the chat
    attempt: 0,
    timer: 0,
    name: "",
    // lastID is the id of the last chat line received: a reconnection asks
    // for the lines after it (?last_id=), which the server replays before
    // this page's own join notice.
    lastID: "",
    membersTimer: 0,
    membersSoon: 0,
  };

  function chatName() {
    return chat.name.trim() || "User";
  }

  function showChatError(text) {
    chat.error.textContent = text;
    chat.error.hidden = !text;
  }

  function setChatOnline(online) {
    chat.messageInput.disabled = !online;
    chat.sendButton.disabled = !online;
    clearInterval(chat.membersTimer);
    clearTimeout(chat.membersSoon);
    chat.membersSoon = 0;
    if (online) {
      refreshMembers();
      chat.membersTimer = setInterval(refreshMembers, membersRefresh);
    } else {
      chat.members.replaceChildren();
    }
  }

  // refreshMembersSoon refreshes the list a moment after a join or leave,
  // once for a crowd that comes or goes together (a restart).
  function refreshMembersSoon() {
    if (chat.membersSoon) return;
    chat.membersSoon = setTimeout(() => {
      chat.membersSoon = 0;
      refreshMembers();
    }, 250);
  }

  // refreshMembers shows who is in the chat, on every instance.
  async function refreshMembers() {
    let body;
    try {
      const res = await fetch("/chat/members", { credentials: "same-origin" });
      if (!res.ok) return; // shutting down: the next join or refresh will tell
      body = await res.json();
    } catch {
      return;
    }
    if (!chat.socket) return; // left meanwhile
    chat.members.replaceChildren(...body.members.map((name) => el("li", name, name === chatName() ? "me" : undefined)));
  }

  // renderChatMessage turns one message of the JSON protocol into a list
  // item: a chat line {id, from, text, time}, or a notice (joined, left,
  // missed, or one the page makes) with no from.
  function renderChatMessage(m) {
    const item = el("li");
    if (m.from) {
      item.className = m.from === chatName() ? "msg mine" : "msg";
      item.append(el("span", m.from, "who"), el("span", m.text, "text"));
    } else {
      item.className = "notice";
      item.textContent = m.text;
    }
    const time = m.time ? new Date(m.time) : new Date();
    item.append(el("time", time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
    return item;
  }

  function connectChat() {
    clearTimeout(chat.timer);
    setStatus(chat.status, "connecting", chat.attempt > 0 ? "Reconnecting…" : "Connecting…");
    const params = { name: chat.name.trim(), format: "json" };
    // A resuming connection counts the lines replayed before its own join
    // notice.
    let recovering = chat.lastID !== "";
    if (recovering) params.last_id = chat.lastID;
    let recovered = 0;
    const socket = new WebSocket(wsURL("/chat", params));
    chat.socket = socket;
    let opened = false;

    socket.addEventListener("open", () => {
      opened = true;
      chat.attempt = 0;
      setStatus(chat.status, "online", `Online as ${chatName()}`);
      setChatOnline(true);
      showChatError("");
    });
    socket.addEventListener("message", (event) => {
      let m;
      try {
        m = JSON.parse(String(event.data));
      } catch {
        return; // not the JSON protocol: nothing this page can show
      }
      if (m.id) {
        chat.lastID = m.id;
        if (recovering) recovered += 1;
      }
      appendLine(chat.log, renderChatMessage(m));
      if (m.id || m.missed) return;
      // A join or leave changes who is online.
      refreshMembersSoon();
      if (recovering && m.text === `${chatName()} joined`) {
        recovering = false;
        const s = recovered === 1 ? "" : "s";
        appendLine(chat.log, renderChatMessage({ text: `Reconnected, ${recovered} missed message${s} recovered.` }));
      }
    });
    socket.addEventListener("close", (event) => {
      if (chat.socket !== socket) return; // replaced by a newer connection
      chat.socket = null;
      setChatOnline(false);
      if (!chat.wanted) {
        setStatus(chat.status, "offline", "Offline");
        return;
      }
      const why = closeExplanations[event.code] || (opened ? "The connection was lost." : "Could not connect.");
      if (event.code === 1009) showChatError(why);
      const delay = reconnectDelay(chat.attempt);
      chat.attempt += 1;
      setStatus(chat.status, "waiting", `${why} Retrying in ${Math.ceil(delay / 1000)} s`);
      chat.timer = setTimeout(connectChat, delay);
    });
  }

  function joinChat(name) {
    if (!namePattern.test(name.trim())) {
      showChatError("A name is at most 32 letters, digits, spaces, '.', '_' or '-'.");
      return;
    }
    showChatError("");
    chat.name = name;
    try {
      window.localStorage.setItem(nameKey, name);
    } catch {
      // Storage may be disabled; the name is then not remembered.
    }
    chat.wanted = true;
    chat.attempt = 0;
    chat.leaveButton.disabled = false;
    chat.joinButton.textContent = "Rename";
    const old = chat.socket;
    chat.socket = null;
    if (old) old.close(1000, "rename");
    connectChat();
  }

  function leaveChat() {
    chat.wanted = false;
    chat.lastID = ""; // joining again starts afresh
    clearTimeout(chat.timer);
    chat.leaveButton.disabled = true;
    chat.joinButton.textContent = "Join";
    if (chat.socket) chat.socket.close(1000, "leaving");
    setStatus(chat.status, "offline", "Offline");
  }

  byId("chat-join").addEventListener("submit", (event) => {
    event.preventDefault();
    joinChat(chat.nameInput.value);
  });
  chat.leaveButton.addEventListener("click", leaveChat);
  byId("chat-send").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = chat.messageInput.value;
    if (!text || !chat.socket || chat.socket.readyState !== WebSocket.OPEN) return;
    chat.socket.send(text);
    chat.messageInput.value = "";
    chat.messageInput.focus();
  });
  // Back online: retry now rather than at the end of the backoff.
  window.addEventListener("online", () => {
    if (chat.wanted && !chat.socket) connectChat();
  });

  // A returning visitor rejoins under the name they chose last time.
  let savedName = null;
  try {
    savedName = window.localStorage.getItem(nameKey);
  } catch {
    savedName = null;
  }
  if (savedName !== null) {
    chat.nameInput.value = savedName;
    joinChat(savedName);
  }

  // ---------------------------------------------------------------------
  // Echo: /ws

  const echo = {
    status: byId("echo-status"),
    log: byId("echo-log"),
    input: byId("echo-message"),
    socket: null,
    pending: [], // messages typed while connecting
  };

  // openEcho connects on first use; the echo needs no reconnection loop,
  // as the next message reconnects.
  function openEcho() {
    setStatus(echo.status, "connecting", "Connecting…");
    const socket = new WebSocket(wsURL("/ws"));
    echo.socket = socket;
    socket.addEventListener("open", () => {
      setStatus(echo.status, "online", "Online");
      for (const text of echo.pending.splice(0)) socket.send(text);
    });
    socket.addEventListener("message", (event) => {
      appendLine(echo.log, el("li", String(event.data), "msg"));
    });
    socket.addEventListener("close", (event) => {
      if (echo.socket === socket) echo.socket = null;
      const why = closeExplanations[event.code] || "Closed.";
      setStatus(echo.status, "offline", `Offline. ${why}`);
    });
  }

  // Connect at once, so the card says Online before the first message.
  openEcho();

  byId("echo-send").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = echo.input.value;
    if (!text) return;
    echo.input.value = "";
    if (echo.socket && echo.socket.readyState === WebSocket.OPEN) {
      echo.socket.send(text);
      return;
    }
    echo.pending.push(text);
    if (!echo.socket) openEcho();
  });

  // feature:websockets end
  // feature:tasks begin
  // ---------------------------------------------------------------------
  // Background task: POST /notify

  // An address the browser refuses never reaches the server: clear the
  // answer to the previous one, which would otherwise seem to be its.
  byId("notify-email").addEventListener("invalid", () => {
    byId("notify-result").replaceChildren();
  });
  byId("notify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { email: byId("notify-email").value.trim() };
    const message = byId("notify-message").value;
    if (message) body.message = message;
    call(byId("notify-result"), "/notify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  });

  // feature:tasks end
  // feature:files begin
  // ---------------------------------------------------------------------
  // Upload: POST /upload, with progress

  const upload = {
    form: byId("upload-form"),
    file: byId("upload-file"),
    button: byId("upload-button"),
    progress: byId("upload-progress"),
    result: byId("upload-result"),
  };

  function formatSize(bytes) {
    const units = ["bytes", "KiB", "MiB", "GiB"];
    let n = bytes;
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
  }

  function showStored(file) {
    const link = el("a", file.filename || file.id);
    link.href = `/download/${encodeURIComponent(file.id)}`;
    link.id = "upload-link";
    const line = el("p", undefined, "ok-title");
    line.append("Stored: ", link);
    upload.result.replaceChildren(
      line,
      el("p", `${formatSize(file.size)}, ${file.content_type}`, "meta"),
      el("p", `SHA-256 ${file.sha256}`, "meta hash"),
    );
  }

  // fetch cannot report upload progress, so the upload uses XMLHttpRequest.
  upload.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = upload.file.files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/upload");
    upload.button.disabled = true;
    upload.progress.hidden = false;
    upload.progress.value = 0;
    upload.result.replaceChildren(el("p", `Uploading ${file.name}…`, "meta"));

    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      upload.progress.value = percent;
      upload.progress.textContent = `${percent}%`;
    });
    xhr.addEventListener("load", () => {
      upload.button.disabled = false;
      // The result replaces the bar: a full one left behind reads as a
      // second upload finished.
      upload.progress.hidden = true;
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 201 && body && body.id) {
        showStored(body);
      } else {
        showProblem(upload.result, body, xhr.status);
      }
    });
    xhr.addEventListener("error", () => {
      upload.button.disabled = false;
      upload.progress.hidden = true;
      // The server closes the connection on a body over its limit.
      upload.result.replaceChildren(el("p",
        "The upload failed: the connection closed. The file may be over the size limit.", "problem"));
    });
    xhr.send(data);
  });

  // feature:files end
  // ---------------------------------------------------------------------
  // Cookies and headers

  const cookieResult = byId("cookie-result");
  byId("cookie-set").addEventListener("click", async () => {
    // The answer names the cookie: fetch hides Set-Cookie, and HttpOnly
    // cookies are invisible here, which is the point.
    if (await call(cookieResult, "/set-cookie")) {
      cookieResult.append(el("p", `document.cookie sees: "${document.cookie}"`, "meta"));
    }
  });
  byId("cookie-signed").addEventListener("submit", (event) => {
    event.preventDefault();
    const user = byId("cookie-user").value;
    call(cookieResult, `/set-signed-cookie?user=${encodeURIComponent(user)}`);
  });
  byId("cookie-read").addEventListener("click", () => {
    call(cookieResult, "/read-signed-cookie");
  });

  const headersResult = byId("headers-result");
  byId("headers-read").addEventListener("click", () => {
    call(headersResult, "/headers");
  });
  byId("headers-custom").addEventListener("click", () => {
    call(headersResult, "/custom-headers", {}, ["X-Custom-Header"]);
  });
})();
