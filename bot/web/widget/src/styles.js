// Inside a shadow root, so the host page's styles neither leak in nor get overridden.
export const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.pca-root { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #0b0c0c; }
.pca-sr { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
button, input { font: inherit; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; box-shadow: 0 0 0 5px #0b0c0c; }
.pca-launcher { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; border: 0;
  border-radius: 999px; padding: 12px 20px; background: #1d4f91; color: #fff; font-weight: 600;
  cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.3); }
.pca-launcher:hover { background: #163d70; }
.pca-panel { position: fixed; right: 16px; bottom: 76px; z-index: 2147483000; width: 380px;
  max-width: calc(100vw - 32px); height: min(620px, calc(100vh - 100px)); display: flex;
  flex-direction: column; background: #fff; border: 1px solid #b1b4b6; border-radius: 12px;
  box-shadow: 0 6px 24px rgba(0,0,0,.25); overflow: hidden; }
.pca-panel[hidden] { display: none; }
.pca-header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #1d4f91; color: #fff; }
.pca-title { flex: 1; margin: 0; font-size: 17px; font-weight: 700; }
.pca-close { border: 0; background: transparent; color: #fff; font-size: 24px; line-height: 1;
  width: 44px; height: 44px; border-radius: 6px; cursor: pointer; }
.pca-status { margin: 0; padding: 4px 12px; font-size: 14px; background: #f3f2f1; border-bottom: 1px solid #e5e5e5; }
.pca-status::before { content: ""; display: inline-block; width: 8px; height: 8px; margin-right: 6px;
  border-radius: 50%; background: #6f777b; vertical-align: middle; }
.pca-status[data-state="online"]::before { background: #00703c; }
.pca-status[data-state="unreachable"], .pca-status[data-state="reconnecting"] { background: #fbe9e7; color: #8a1f11; font-weight: 600; }
.pca-status[data-state="unreachable"]::before, .pca-status[data-state="reconnecting"]::before { background: #d4351c; }
.pca-log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }
.pca-empty { color: #505a5f; margin: 0; }
.pca-msg { max-width: 88%; padding: 8px 12px; border-radius: 12px; overflow-wrap: anywhere; }
.pca-msg p { margin: 0; white-space: pre-line; }
.pca-user { align-self: flex-end; background: #1d4f91; color: #fff; border-bottom-right-radius: 4px; }
.pca-user a { color: #fff; }
.pca-bot { align-self: flex-start; background: #f3f2f1; border-bottom-left-radius: 4px; }
.pca-bot a { color: #1d4f91; }
.pca-source { margin-top: 6px !important; padding-top: 6px; border-top: 1px solid #d8d8d8;
  font-size: 13px; color: #505a5f; font-style: italic; }
.pca-chips { display: flex; flex-wrap: wrap; gap: 6px; align-self: flex-start; }
.pca-chip { border: 1px solid #1d4f91; background: #fff; color: #1d4f91; border-radius: 999px;
  padding: 6px 12px; min-height: 36px; cursor: pointer; text-align: left; }
.pca-chip:hover { background: #e8f0fa; }
.pca-typing { margin: 0 12px 8px; color: #505a5f; font-size: 14px; }
.pca-typing[hidden] { display: none; }
.pca-dots span { display: inline-block; width: 6px; height: 6px; margin: 0 1px; border-radius: 50%;
  background: #505a5f; animation: pca-blink 1.2s infinite ease-in-out; }
.pca-dots span:nth-child(2) { animation-delay: .2s; }
.pca-dots span:nth-child(3) { animation-delay: .4s; }
@keyframes pca-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .pca-dots span { animation: none; } }
.pca-too-long { margin: 0 12px 8px; padding: 8px 10px; border-left: 4px solid #d4351c; background: #fbe9e7; color: #8a1f11; font-size: 14px; }
.pca-too-long[hidden] { display: none; }
.pca-form { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e5e5e5; }
.pca-input { flex: 1; min-width: 0; padding: 10px; border: 2px solid #0b0c0c; border-radius: 6px; font-size: 16px; }
.pca-send { border: 0; border-radius: 6px; padding: 0 16px; min-height: 44px; background: #00703c; color: #fff; font-weight: 600; cursor: pointer; }
.pca-send:hover { background: #005a30; }
.pca-starters { align-self: stretch; }
.pca-links { margin-top: 4px !important; font-size: 13px; color: #505a5f; }
.pca-rate { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin-top: 6px; font-size: 13px; color: #505a5f; }
.pca-rate button { border: 1px solid #b1b4b6; background: #fff; border-radius: 6px; min-width: 36px; min-height: 32px; cursor: pointer; }
.pca-rate button[aria-pressed="true"] { border-color: #1d4f91; background: #e8f0fa; box-shadow: inset 0 0 0 1px #1d4f91; }
.pca-rate-why { display: flex; gap: 4px; flex-basis: 100%; }
.pca-rate-why[hidden] { display: none; }
.pca-rate-comment { flex: 1; min-width: 0; padding: 4px 6px; border: 1px solid #0b0c0c; border-radius: 4px; font-size: 14px; }
.pca-rate-note { flex-basis: 100%; font-size: 13px; }
.pca-rate-note:empty { display: none; }
.pca-timeline { margin: 8px 0 0; padding: 6px; background: #fff; border-radius: 8px; }
.pca-timeline-svg { display: block; max-width: 100%; height: auto; }
.pca-tl-line { stroke: #1d4f91; stroke-width: 3; }
.pca-tl-dot { fill: #fff; stroke: #1d4f91; stroke-width: 3; }
.pca-tl-goal { fill: #00703c; stroke: #00703c; stroke-width: 3; }
.pca-tl-name { font-size: 12px; font-weight: 600; fill: #0b0c0c; }
.pca-tl-detail { font-size: 11px; fill: #505a5f; }
.pca-tl-total { font-size: 13px; font-weight: 600; margin-top: 2px; }
.pca-timeline details { font-size: 13px; margin-top: 4px; }
.pca-tl-reasons { margin: 4px 0 0; padding-left: 20px; }
.pca-privacy { margin: 0; padding: 0 12px 8px; font-size: 12px; color: #505a5f; }
@media (max-width: 480px) {
  .pca-panel { inset: 0; width: 100%; max-width: none; height: 100%; border-radius: 0; border: 0; }
}
`;
