// Assistant replies as Markdown (lists, bold, code, links), safely: marked parses, raw HTML and
// images in a reply are shown as text, DOMPurify keeps a small allow-list and hands back DOM
// nodes, which are inserted as nodes (never through innerHTML). Replies quote task titles the
// user (or anyone they imported from) typed, so they are untrusted text.

import { Marked } from "./vendor/marked.esm.js";
import DOMPurify from "./vendor/purify.es.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const marked = new Marked({ gfm: true, breaks: true, async: false });
marked.use({
  renderer: {
    // HTML written in a reply (a task titled "<img onerror=...>") is text, shown as typed.
    html(token) {
      return escapeHtml(token.text);
    },
    // No images: a reply has no business loading one (and the CSP would block other origins).
    image(token) {
      return escapeHtml(token.text || "");
    },
  },
});

const SANITIZE = {
  ALLOWED_TAGS: [
    "p", "br", "strong", "em", "del", "code", "pre", "ul", "ol", "li", "blockquote", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
  ],
  ALLOWED_ATTR: ["href", "title", "start", "align"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  ALLOW_DATA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
};

const purifier = DOMPurify(window);
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

/** A reply's Markdown as sanitised DOM nodes, ready to insert. */
export function renderMarkdown(text) {
  const html = marked.parse(String(text ?? ""));
  return purifier.sanitize(html, SANITIZE);
}
