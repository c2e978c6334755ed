import { appendLinkified, el, safeLink } from "./dom.js";
import { ratingElement } from "./feedback.js";
import { timelineElement } from "./timeline.js";

const SOURCE_LINE = /^Sources?: /;

// The bot puts where its facts come from on the last line; it is shown apart from the answer.
export function splitSource(text) {
  const lines = String(text).split("\n");
  const last = lines[lines.length - 1];
  if (!SOURCE_LINE.test(last)) return { body: String(text), source: null };
  return { body: lines.slice(0, -1).join("\n").trimEnd(), source: last };
}

let drawn = 0;

export function messageElement(message, onRate) {
  const fromBot = message.from === "bot";
  const item = el("div", { className: `pca-msg ${fromBot ? "pca-bot" : "pca-user"}` });
  item.append(el("span", { className: "pca-sr", text: fromBot ? "Adviser: " : "You: " }));
  const { body, source } = fromBot ? splitSource(message.text) : { body: message.text, source: null };
  if (body) {
    const paragraph = el("p", { className: "pca-text" });
    appendLinkified(paragraph, body);
    item.append(paragraph);
  }
  const timeline = fromBot && message.answer && message.answer.timeline;
  if (timeline) {
    const picture = timelineElement(timeline, (drawn += 1));
    if (picture) item.append(picture);
  }
  if (source) {
    const line = el("p", { className: "pca-source" });
    appendLinkified(line, source);
    item.append(line);
  }
  const links = fromBot && message.answer ? sourceLinks(message.answer.sources) : null;
  if (links) item.append(links);
  if (fromBot && message.turn && onRate) item.append(ratingElement(message, onRate));
  return item;
}

// The sources' pages, by site name, each opening in a new tab (dom.js: http and https only).
function sourceLinks(sources) {
  const seen = new Set();
  const links = [];
  for (const source of Array.isArray(sources) ? sources.slice(0, 3) : []) {
    if (!source || typeof source.url !== "string" || seen.has(source.url)) continue;
    seen.add(source.url);
    let site;
    try { site = new URL(source.url).hostname.replace(/^www\./, ""); } catch { continue; }
    const link = safeLink(source.url, site);
    if (link.nodeType === Node.ELEMENT_NODE) links.push(link);
  }
  if (!links.length) return null;
  const line = el("p", { className: "pca-links", text: links.length > 1 ? "Read the sources: " : "Read the source: " });
  links.forEach((link, i) => line.append(...(i ? [", ", link] : [link])));
  return line;
}

export function chipsElement(buttons, onPick, label = "Suggested questions", extraClass = "") {
  const group = el("div", { className: `pca-chips ${extraClass}`.trim(), role: "group", "aria-label": label });
  for (const button of buttons) {
    group.append(el("button", {
      type: "button", className: "pca-chip", text: button.title, onClick: () => onPick(button),
    }));
  }
  return group;
}
