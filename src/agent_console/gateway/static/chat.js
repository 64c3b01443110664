// The web chat page: posts what the customer writes, shows what the agent sends, live.
// Every text from the server or the customer goes into the page with textContent, never as
// HTML: a line like "<b>hi</b>" shows as those characters.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const channel = document.body.dataset.channel;
  const base = `/chat/${encodeURIComponent(channel)}`;
  const conversation = document.querySelector(".conversation");
  const log = $("log");
  const empty = $("empty");
  const note = $("note");
  const status = $("status");
  const form = $("composer");
  const who = $("who");
  const as = $("as");
  const nameField = $("name");
  const textField = $("text");
  const sendButton = $("send");
  const error = $("error");
  const csat = $("csat");
  const question = $("csat-question");
  const scoreButtons = [...csat.querySelectorAll("button[data-score]")];
  const NAME_KEY = "agent-console-chat-name";
  let csatSession = null;
  let lastId = 0;  // the newest stream event shown: a reconnect asks for what came after it
  const shown = new Set();  // every event shown (the stream may send one again, or late)

  const stored = {
    get(key) { try { return localStorage.getItem(key); } catch { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch { /* private mode */ } },
  };

  // An id for each message, so a retried send is stored once. crypto.randomUUID needs a
  // secure context (https or localhost); getRandomValues works everywhere.
  function newId() {
    if (window.crypto && crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function setNote(text) {
    note.textContent = text;
    note.hidden = !text;
  }

  function timeOf(iso) {
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return null;
    const time = document.createElement("time");
    time.dateTime = at.toISOString();
    time.textContent = at.toLocaleTimeString([], {hour: "numeric", minute: "2-digit"});
    time.title = at.toLocaleString();
    return time;
  }

  function nearBottom() {
    return conversation.scrollHeight - conversation.scrollTop - conversation.clientHeight < 80;
  }

  // One line of the conversation, in the order of its event id (an event that committed
  // late comes late, but goes where it belongs).
  function line(id, kind, who, text, at) {
    const follow = nearBottom();
    const item = document.createElement("li");
    item.className = kind;
    item.dataset.id = String(id);
    if (kind !== "system") {
      const meta = document.createElement("span");
      meta.className = "meta";
      const label = document.createElement("span");
      label.className = "who";
      label.textContent = who;
      meta.append(label);
      const time = at ? timeOf(at) : null;
      if (time) meta.append(time);
      item.append(meta);
    }
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    item.append(body);
    const last = log.lastElementChild;
    const later = !last || Number(last.dataset.id) < id
      ? null
      : [...log.children].find((other) => Number(other.dataset.id) > id);
    log.insertBefore(item, later || null);
    empty.hidden = true;
    if (follow) conversation.scrollTop = conversation.scrollHeight;
  }

  // Once the customer has written, the deployment knows them: the name is no longer asked.
  function knownAs(name) {
    if (!nameField.value.trim()) nameField.value = name;
    const typed = nameField.value.trim();
    if (!typed) return;
    const strong = document.createElement("strong");
    strong.textContent = typed;
    as.replaceChildren("Chatting as ", strong);
    as.hidden = false;
    who.hidden = true;
  }

  function show(id, event) {
    const newest = id === lastId;  // a late event adds its line, not its note
    switch (event.type) {
      case "customer.message":
        line(id, "me", "You", event.text, event.at);
        knownAs(event.author || "");
        if (newest) setNote("Sent. An agent will answer here.");
        break;
      case "message.created":
        line(id, "agent", event.author || "Agent", event.text, event.at);
        if (newest) setNote("");
        break;
      case "session.ended":
        line(id, "system", "", event.text, event.at);
        if (newest) setNote("The chat has ended. Write again to start a new one.");
        break;
      case "csat.requested":
        csatSession = event.session_id;
        question.textContent = event.question || event.text;
        for (const button of scoreButtons) {
          button.disabled = false;
          button.setAttribute("aria-pressed", "false");
        }
        csat.hidden = false;
        conversation.scrollTop = conversation.scrollHeight;
        break;
      case "csat.answered":
        line(id, "system", "", event.text, event.at);
        if (event.session_id === csatSession) csat.hidden = true;
        break;
    }
  }

  // The live stream. The browser reconnects by itself after a dropped connection (sending
  // Last-Event-ID); when the server refused the stream it gives up, so we start again.
  let source = null;
  let retryDelay = 1000;
  function connect() {
    source = new EventSource(`${base}/stream?after=${lastId}`);
    source.onopen = () => {
      retryDelay = 1000;
      setStatus("live", "Connected");
    };
    source.onmessage = (message) => {
      const id = Number(message.lastEventId);
      if (!Number.isSafeInteger(id) || id <= 0 || shown.has(id)) return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      shown.add(id);
      lastId = Math.max(lastId, id);
      show(id, event);
    };
    source.onerror = () => {
      setStatus("offline", "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      }
    };
  }

  async function post(path, body) {
    const answer = await fetch(`${base}/${path}`, {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify(body),
    });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(data.error || `the server answered ${answer.status}`);
    return data;
  }

  nameField.value = stored.get(NAME_KEY) || "";

  let pending = null;  // the message being sent, with its id: a retry is stored once
  form.addEventListener("submit", async (submit) => {
    submit.preventDefault();
    if (sendButton.disabled) return;  // Enter again while the line is on its way
    const name = nameField.value.trim();
    const text = textField.value;
    if (!name) {
      who.hidden = false;
      as.hidden = true;
      error.textContent = "Please tell us your name first.";
      nameField.focus();
      return;
    }
    if (!text.trim()) {
      textField.focus();
      return;
    }
    stored.set(NAME_KEY, name);
    if (!pending || pending.text !== text) pending = {text, id: newId()};
    sendButton.disabled = true;
    error.textContent = "";
    try {
      await post("send", {name, text, client_id: pending.id});
      textField.value = "";
      fit();
      pending = null;
    } catch (failure) {
      error.textContent = `Not sent: ${failure.message}`;
    } finally {
      sendButton.disabled = false;
      textField.focus();
    }
  });

  // The message field grows with what is typed, up to its CSS max-height.
  function fit() {
    textField.style.height = "auto";
    textField.style.height = `${textField.scrollHeight + 2}px`;
  }
  textField.addEventListener("input", fit);

  textField.addEventListener("keydown", (key) => {
    if (key.key === "Enter" && !key.shiftKey && !key.isComposing) {
      key.preventDefault();
      form.requestSubmit();
    }
  });

  csat.addEventListener("click", async (click) => {
    const button = click.target.closest("button[data-score]");
    if (!button || csatSession === null) return;
    const score = Number(button.dataset.score);
    for (const b of scoreButtons) {
      b.disabled = true;
      b.setAttribute("aria-pressed", String(b === button));
    }
    error.textContent = "";
    try {
      await post("csat", {session_id: csatSession, score});
      csat.hidden = true;
    } catch (failure) {
      for (const b of scoreButtons) b.disabled = false;
      error.textContent = `Rating not sent: ${failure.message}`;
    }
  });

  connect();
})();
