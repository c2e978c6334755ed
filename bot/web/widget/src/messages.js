import { appendLinkified, el } from "./dom.js";

const SOURCE_LINE = /^Sources?: /;

// The bot puts where its facts come from on the last line; it is shown apart from the answer.
export function splitSource(text) {
  const lines = String(text).split("\n");
  const last = lines[lines.length - 1];
  if (!SOURCE_LINE.test(last)) return { body: String(text), source: null };
  return { body: lines.slice(0, -1).join("\n").trimEnd(), source: last };
}

export function messageElement(message) {
  const fromBot = message.from === "bot";
  const item = el("div", { className: `pca-msg ${fromBot ? "pca-bot" : "pca-user"}` });
  item.append(el("span", { className: "pca-sr", text: fromBot ? "Adviser: " : "You: " }));
  const { body, source } = fromBot ? splitSource(message.text) : { body: message.text, source: null };
  if (body) {
    const paragraph = el("p", { className: "pca-text" });
    appendLinkified(paragraph, body);
    item.append(paragraph);
  }
  if (source) {
    const line = el("p", { className: "pca-source" });
    appendLinkified(line, source);
    item.append(line);
  }
  return item;
}

export function chipsElement(buttons, onPick) {
  const group = el("div", { className: "pca-chips", role: "group", "aria-label": "Suggested questions" });
  for (const button of buttons) {
    group.append(el("button", {
      type: "button", className: "pca-chip", text: button.title, onClick: () => onPick(button),
    }));
  }
  return group;
}
