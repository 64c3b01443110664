// The web chat page: posts what the customer writes, shows what the agent sends, live.
// Every text from the server goes into the page with textContent, never as HTML.
"use strict";
(() => {
  const channel = document.body.dataset.channel;
  const base = `/chat/${encodeURIComponent(channel)}`;
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const form = document.getElementById("composer");
  const nameField = document.getElementById("name");
  const textField = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const error = document.getElementById("error");
  const csat = document.getElementById("csat");
  const question = document.getElementById("csat-question");
  let csatSession = null;

  nameField.value = localStorage.getItem("agent-console-chat-name") || "";

  function line(kind, who, text) {
    const item = document.createElement("li");
    item.className = kind;
    if (who) {
      const label = document.createElement("span");
      label.className = "who";
      label.textContent = who;
      item.append(label);
    }
    item.append(document.createTextNode(text));
    log.append(item);
    item.scrollIntoView({block: "end"});
  }

  function show(event) {
    switch (event.type) {
      case "customer.message":
        line("me", "You", event.text);
        status.textContent = "Sent. An agent will answer here.";
        break;
      case "message.created":
        line("agent", event.author, event.text);
        status.textContent = "";
        break;
      case "session.ended":
        line("system", "", event.text);
        status.textContent = "The chat has ended. Write again to start a new one.";
        break;
      case "csat.requested":
        csatSession = event.session_id;
        question.textContent = event.question || event.text;
        csat.hidden = false;
        break;
      case "csat.answered":
        line("system", "", event.text);
        csat.hidden = true;
        break;
    }
  }

  function connect() {
    const source = new EventSource(`${base}/stream`);
    source.onopen = () => { if (status.textContent === "Connecting…") status.textContent = ""; };
    source.onmessage = (message) => show(JSON.parse(message.data));
    source.onerror = () => { status.textContent = "Reconnecting…"; };
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

  let pending = null;  // the message being sent, with its id: a retry is stored once
  form.addEventListener("submit", async (submit) => {
    submit.preventDefault();
    const name = nameField.value.trim();
    const text = textField.value;
    if (!name || !text.trim()) return;
    localStorage.setItem("agent-console-chat-name", name);
    if (!pending || pending.text !== text) pending = {text, id: crypto.randomUUID()};
    sendButton.disabled = true;
    error.textContent = "";
    try {
      await post("send", {name, text, client_id: pending.id});
      textField.value = "";
      pending = null;
    } catch (failure) {
      error.textContent = `Not sent: ${failure.message}`;
    } finally {
      sendButton.disabled = false;
      textField.focus();
    }
  });

  textField.addEventListener("keydown", (key) => {
    if (key.key === "Enter" && !key.shiftKey) {
      key.preventDefault();
      form.requestSubmit();
    }
  });

  csat.addEventListener("click", async (click) => {
    const score = Number(click.target.dataset?.score);
    if (!score || csatSession === null) return;
    try {
      await post("csat", {session_id: csatSession, score});
    } catch (failure) {
      error.textContent = `Rating not sent: ${failure.message}`;
    }
  });

  connect();
})();
