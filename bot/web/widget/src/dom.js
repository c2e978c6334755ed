// Every piece of text from the bot or the person goes through textContent or a text node, never
// innerHTML, so markup in a message is shown, not run.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2).toLowerCase(), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

// Appends `text` to `parent`, turning http(s) URLs into links and everything else into text nodes.
export function appendLinkified(parent, text) {
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const raw = match[0].replace(TRAILING_PUNCTUATION, "");
    const start = match.index;
    if (start > last) parent.append(document.createTextNode(text.slice(last, start)));
    parent.append(safeLink(raw));
    last = start + raw.length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

export function safeLink(raw, text = raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return document.createTextNode(raw);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return document.createTextNode(raw);
  return el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer", text });
}
