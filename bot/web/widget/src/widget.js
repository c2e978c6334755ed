// The careers chat widget: one <script src=".../widget.js" data-server="http://host:5005"> on a
// page adds a launcher button and a chat panel talking to the Rasa server over socket.io.
import { connect } from "./connection.js";
import { el } from "./dom.js";
import { chipsElement, messageElement } from "./messages.js";
import { openStore } from "./store.js";
import { CSS } from "./styles.js";

const STATUS_TEXT = {
  connecting: "Connecting to the careers adviser…",
  online: "Connected",
  unreachable: "Can't reach the server. Trying again…",
  reconnecting: "Connection lost. Reconnecting…",
};
const QUEUED_TEXT = "Your message will be sent once connected.";
// Long enough for a slow answer; after it the dots go, so they never spin forever.
const TYPING_TIMEOUT_MS = 45000;
// The server's MAX_MESSAGE_CHARS (data-max-chars when a site changed it). A longer message is
// kept in the box with a note rather than cut short by maxlength or sent to be refused.
const DEFAULT_MAX_CHARS = 2000;
// counted as the server counts them: an emoji is one character, not two UTF-16 units
const characters = (text) => Array.from(text).length;
// Shown as chips on an empty conversation; a site sets its own with data-starters="a|b|c".
const DEFAULT_STARTERS = [
  "What band is a PSO?",
  "How do I become a probation officer?",
  "Can I skip the PSO stage with a criminology degree?",
  "How much do trainees earn?",
];
// CONVERSATION_RETENTION_DAYS on the server; a site that changed it says so with data-retention-days.
const DEFAULT_RETENTION_DAYS = 90;

const script = document.currentScript;

function settings() {
  const data = (script && script.dataset) || {};
  return {
    server: (data.server || `${location.protocol}//${location.hostname}:5005`).replace(/\/+$/, ""),
    title: data.title || "Probation careers adviser",
    maxChars: parseInt(data.maxChars, 10) > 0 ? parseInt(data.maxChars, 10) : DEFAULT_MAX_CHARS,
    starters: (data.starters ? data.starters.split("|") : DEFAULT_STARTERS)
      .map((s) => s.trim()).filter(Boolean).slice(0, 4),
    retentionDays: parseInt(data.retentionDays, 10) > 0 ? parseInt(data.retentionDays, 10) : DEFAULT_RETENTION_DAYS,
  };
}

function mount() {
  const { server, title, maxChars, starters, retentionDays } = settings();
  const store = openStore(`probation-careers-chat:${server}`);

  const host = el("div", { id: "pca-widget" });
  const root = host.attachShadow({ mode: "open" });
  document.body.append(host);

  const launcher = el("button", {
    type: "button", className: "pca-launcher", "aria-expanded": "false", "aria-controls": "pca-panel",
    text: "Ask about probation careers",
  });
  const closeButton = el("button", { type: "button", className: "pca-close", "aria-label": "Close chat", text: "×" });
  const status = el("p", { className: "pca-status", role: "status", "data-state": "connecting" });
  const log = el("div", {
    className: "pca-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Conversation", tabindex: "0",
  });
  const typing = el("p", { className: "pca-typing", hidden: true },
    el("span", { className: "pca-dots", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
    el("span", { text: " The adviser is typing…" }));
  const input = el("input", {
    id: "pca-input", className: "pca-input", type: "text", autocomplete: "off",
    placeholder: "Ask about working in probation", "aria-describedby": "pca-too-long",
  });
  const tooLong = el("p", { id: "pca-too-long", className: "pca-too-long", role: "alert", hidden: true });
  const form = el("form", { className: "pca-form" },
    el("label", { for: "pca-input", className: "pca-sr", text: "Your question" }),
    input,
    el("button", { type: "submit", className: "pca-send", text: "Send" }));
  const panel = el("section", { id: "pca-panel", className: "pca-panel", "aria-label": title, hidden: true },
    el("div", { className: "pca-header" }, el("h2", { className: "pca-title", text: title }), closeButton),
    status, log, typing, tooLong, form,
    el("p", { className: "pca-privacy", text: `Your questions, the answers and any rating are kept for ` +
      `${retentionDays} days to improve the adviser, then deleted. Please don't type personal details.` }));
  root.append(el("style", { text: CSS }), el("div", { className: "pca-root" }, launcher, panel));

  let typingTimer = null;
  const setTyping = (on) => {
    typing.hidden = !on;
    log.setAttribute("aria-busy", on ? "true" : "false");
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
  };
  const scrollToEnd = () => { log.scrollTop = log.scrollHeight; };
  const clearChips = () => log.querySelectorAll(".pca-chips").forEach((chips) => chips.remove());

  const render = (message, withChips) => {
    log.querySelector(".pca-empty")?.remove();
    log.append(messageElement(message, rate));
    if (withChips && message.buttons && message.buttons.length) log.append(chipsElement(message.buttons, pick));
    scrollToEnd();
  };

  function showStatus(state, waiting) {
    status.dataset.state = state;
    status.textContent = waiting ? `${STATUS_TEXT[state]} ${QUEUED_TEXT}` : STATUS_TEXT[state];
    if (state !== "online") setTyping(false);
  }

  const setOpen = (open, { focus = true } = {}) => {
    panel.hidden = !open;
    launcher.hidden = open && window.matchMedia("(max-width: 480px)").matches;
    launcher.setAttribute("aria-expanded", String(open));
    store.update({ open });
    // the newest message in view, after a reload too (the log had no height while hidden)
    if (open) scrollToEnd();
    if (!focus) return;
    if (open) input.focus(); else launcher.focus();
  };

  const connection = connect(server, {
    sessionId: store.get().sessionId,
    onSession: (sessionId) => store.update({ sessionId }),
    onStatus: showStatus,
    onSent: () => setTyping(true),
    onFeedback: (result) => showRated(result),
    onBotMessage: (data) => {
      setTyping(false);
      if (!data.text) return;
      const buttons = (data.quick_replies || data.buttons || [])
        .filter((b) => b && b.title && b.payload)
        .map((b) => ({ title: String(b.title), payload: String(b.payload) }));
      const message = { from: "bot", text: String(data.text), buttons };
      // the turn id rates the answer; the answer's structure holds a route's timeline
      if (typeof data.turn === "string" && data.turn.length <= 64) message.turn = data.turn;
      if (data.answer && typeof data.answer === "object") message.answer = data.answer;
      clearChips();
      store.add(message);
      render(message, true);
    },
  });

  function rate(message, rating, comment, note) {
    message.rating = rating;
    store.update({});
    const sent = connection.rate(message.turn, rating, comment);
    note.textContent = sent ? "Sending your rating…" : "Not connected: please rate again once the chat reconnects.";
  }

  function showRated(result) {
    const control = result.turn && log.querySelector(`.pca-rate[data-turn="${window.CSS.escape(result.turn)}"]`);
    const note = control && control.querySelector(".pca-rate-note");
    if (note) note.textContent = result.stored ? result.message : `Your rating wasn't kept: ${result.error}`;
  }

  function say(shown, sent) {
    const message = { from: "user", text: shown };
    clearChips();
    store.add(message);
    render(message, false);
    const waiting = connection.send(sent);
    if (waiting) showStatus(status.dataset.state, waiting);
  }

  function pick(button) {
    say(button.title, button.payload);
    input.focus();
  }

  const showTooLong = (length) => {
    tooLong.hidden = length <= maxChars;
    input.setAttribute("aria-invalid", String(!tooLong.hidden));
    tooLong.textContent = tooLong.hidden ? "" :
      `Your message is ${length.toLocaleString("en-GB")} characters; please shorten it to ` +
      `${maxChars.toLocaleString("en-GB")} or fewer and send it again.`;
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    showTooLong(characters(text));
    if (!tooLong.hidden) return;
    input.value = "";
    say(text, text);
  });
  input.addEventListener("input", () => {
    if (!tooLong.hidden) showTooLong(characters(input.value.trim()));
  });
  launcher.addEventListener("click", () => setOpen(panel.hidden));
  closeButton.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });

  const { messages, open } = store.get();
  if (!messages.length) {
    log.append(el("p", { className: "pca-empty", text: "Ask about bands, pay, qualifications or how to become a probation officer." }));
    if (starters.length) log.append(chipsElement(starters.map((q) => ({ title: q, payload: q })), pick, "Questions to start with", "pca-starters"));
  }
  messages.forEach((message, i) => render(message, i === messages.length - 1 && message.from === "bot"));
  setOpen(Boolean(open), { focus: false });
}

if (document.body) mount();
else document.addEventListener("DOMContentLoaded", mount);
