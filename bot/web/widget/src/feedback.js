// "Was this helpful?" under each answer: two buttons (with their state for screen readers), and
// after "not helpful" an optional short comment. The rating goes to the server with the turn id
// the answer came with; the result is shown in the control's own status line.
import { el } from "./dom.js";

const MAX_COMMENT_CHARS = 1000;

export function ratingElement(message, onRate) {
  const control = el("div", { className: "pca-rate", role: "group", "aria-label": "Was this answer helpful?", "data-turn": message.turn });
  const note = el("p", { className: "pca-rate-note", role: "status" });
  const press = (button, pressed) => button.setAttribute("aria-pressed", String(pressed));
  const helpful = el("button", { type: "button", className: "pca-rate-up", text: "Helpful" });
  const notHelpful = el("button", { type: "button", className: "pca-rate-down", text: "Not helpful" });
  const comment = el("input", {
    type: "text", className: "pca-rate-comment", maxlength: String(MAX_COMMENT_CHARS),
    "aria-label": "What was missing? (optional)", placeholder: "What was missing? (optional)",
  });
  const why = el("form", { className: "pca-rate-why", hidden: true },
    comment, el("button", { type: "submit", className: "pca-rate-send", text: "Send" }));

  const show = (rating) => {
    press(helpful, rating === "helpful");
    press(notHelpful, rating === "not_helpful");
  };
  show(message.rating);
  helpful.addEventListener("click", () => {
    why.hidden = true;
    show("helpful");
    onRate(message, "helpful", null, note);
  });
  notHelpful.addEventListener("click", () => {
    show("not_helpful");
    why.hidden = false;
    comment.focus();
  });
  why.addEventListener("submit", (event) => {
    event.preventDefault();
    why.hidden = true;
    onRate(message, "not_helpful", comment.value.trim(), note);
  });
  control.append(helpful, notHelpful, why, note);
  return control;
}
