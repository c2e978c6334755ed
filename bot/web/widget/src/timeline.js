// A planned route as a small SVG timeline: a dot per stage on a line, its name, length and band
// under it, and the whole said in words for screen readers (the SVG's title and description),
// with the reason for each step in a list beneath.
import { el } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const STAGE_Y = 18;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const details = (stage) => [stage.length, stage.band].filter(Boolean).join(", ");

export function timelineText(timeline) {
  const steps = timeline.stages.map((s) => (details(s) ? `${s.name} (${details(s)})` : s.name));
  return `Route: ${steps.join(", then ")}${timeline.total ? `; ${timeline.total} in all` : ""}.`;
}

// Short words per line, so a stage's name fits under its dot.
function lines(text, most = 14) {
  const out = [];
  for (const word of String(text).split(/\s+/)) {
    const last = out[out.length - 1];
    if (last && (last + " " + word).length <= most) out[out.length - 1] = `${last} ${word}`;
    else out.push(word);
  }
  return out.slice(0, 3);
}

export function timelineElement(timeline, id) {
  const stages = (timeline && Array.isArray(timeline.stages) ? timeline.stages : []).slice(0, 5);
  if (!stages.length) return null;
  const last = stages.length - 1;
  const step = last ? (WIDTH - 40) / last : 0;
  const x = (i) => (last ? 20 + i * step : WIDTH / 2);
  // the end labels line up with the picture's edges, so a long name is not cut off
  const anchor = (i) => (!last ? "middle" : i === 0 ? "start" : i === last ? "end" : "middle");
  const labelX = (i) => x(i) + (anchor(i) === "start" ? -12 : anchor(i) === "end" ? 12 : 0);
  const titleId = `pca-tl-title-${id}`;
  const descId = `pca-tl-desc-${id}`;
  const picture = svg("svg", {
    class: "pca-timeline-svg", viewBox: `0 0 ${WIDTH} 104`, width: "100%", role: "img",
    "aria-labelledby": `${titleId} ${descId}`,
  });
  picture.append(svg("title", { id: titleId }, "Your route"), svg("desc", { id: descId }, timelineText(timeline)));
  if (stages.length > 1) {
    picture.append(svg("line", { x1: x(0), y1: STAGE_Y, x2: x(stages.length - 1), y2: STAGE_Y, class: "pca-tl-line" }));
  }
  stages.forEach((stage, i) => {
    const group = svg("g", { class: "pca-tl-stage" });
    group.append(svg("title", {}, stage.why || stage.name));
    group.append(svg("circle", { cx: x(i), cy: STAGE_Y, r: 8, class: i === last ? "pca-tl-goal" : "pca-tl-dot" }));
    const label = svg("text", { x: labelX(i), y: STAGE_Y + 26, "text-anchor": anchor(i), class: "pca-tl-name" });
    lines(stage.name).forEach((line, n) => label.append(svg("tspan", { x: labelX(i), dy: n ? 14 : 0 }, line)));
    group.append(label);
    if (details(stage)) {
      group.append(svg("text", { x: labelX(i), y: STAGE_Y + 26 + 14 * lines(stage.name).length,
        "text-anchor": anchor(i), class: "pca-tl-detail" }, details(stage)));
    }
    picture.append(group);
  });
  const reasons = el("ol", { className: "pca-tl-reasons" });
  for (const stage of stages) if (stage.why) reasons.append(el("li", { text: `${stage.name}: ${stage.why}` }));
  return el("figure", { className: "pca-timeline" },
    picture,
    el("figcaption", { className: "pca-tl-total", text: timeline.total ? `Total: ${timeline.total}` : "Your route" }),
    el("details", {}, el("summary", { text: "Why these steps" }), reasons));
}
