// Small DOM helpers. Every string a caller passes becomes a text node: server text is never
// parsed as HTML anywhere in the UI.

/**
 * Create an element: h("li", {class: "x", onclick: fn, "aria-label": "..."}, child, "text", ...).
 * Attribute values are set with setAttribute; string children become text nodes.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An icon from the sprite in index.html (decorative: hidden from assistive tech). */
export function icon(name, className = "") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  if (className) svg.setAttribute("class", className);
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/**
 * Show a short, polite notice at the bottom of the screen (the host is a live region, so it is
 * announced). With `action` ({label, run}) it carries a button and stays longer (10 s), and not
 * while the pointer or the keyboard focus is on it; Ctrl+Z (outside text fields) runs the
 * newest such action. Returns a function that dismisses the toast.
 */
export function toast(message, { kind = "info", timeout, action } = {}) {
  const host = document.getElementById("toasts");
  if (!host) return () => {};
  const el = h("div", { class: `toast toast-${kind}${action ? " toast-action" : ""}` }, h("span", {}, message));
  let timer = null;
  let gone = false;
  const dismiss = () => {
    if (gone) return;
    gone = true;
    clearTimeout(timer);
    if (lastAction && lastAction.el === el) lastAction = null;
    // Its button goes at once: an undo cannot run twice, nor be found while the toast fades.
    el.querySelector(".toast-btn")?.remove();
    el.classList.add("leaving");
    setTimeout(() => el.remove(), 250);
  };
  const wait = timeout ?? (action ? 10000 : 3500);
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (el.matches(":hover, :focus-within")) arm();
      else dismiss();
    }, wait);
  };
  if (action) {
    const run = () => {
      if (gone) return;
      // Focus would be lost with the toast: it goes back where it was, or to the list.
      dismiss();
      action.run();
    };
    el.append(h("button", {
      type: "button", class: "toast-btn", "data-role": "toast-action",
      title: `${action.label} (Ctrl+Z)`, onclick: run,
    }, action.label));
    lastAction = { el, run };
  }
  host.append(el);
  arm();
  return dismiss;
}

let lastAction = null;

document.addEventListener("keydown", (event) => {
  if (!lastAction || event.key.toLowerCase() !== "z" || !(event.ctrlKey || event.metaKey)) return;
  if (event.shiftKey || event.altKey) return;
  const target = event.target;
  if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]")) {
    if (!(target instanceof HTMLInputElement && target.type === "checkbox")) return;
  }
  event.preventDefault();
  lastAction.run();
});

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "just now", "5 min ago", "yesterday", or a date for older things. */
export function timeAgo(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  if (abs < 7 * 86400) return relative.format(Math.round(seconds / 86400), "day");
  return format(date, { month: "short", day: "numeric" });
}

// Dates and times are shown in the account's time zone (set from the signed-in user), so a
// change of zone in Settings moves every due time shown; the browser's own zone until then.
let displayZone;

/** Show dates and times in this IANA zone from now on (undefined: the browser's zone). */
export function setDisplayTimeZone(zone) {
  displayZone = zone || undefined;
}

/** The zone dates are shown in. */
export function displayTimeZone() {
  return displayZone || browserTimeZone();
}

/** The browser's own IANA zone, or "UTC" if it will not say. */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The wall-clock parts of a moment in the display zone: {year, month, day, hour, minute}. */
function zoned(date) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: displayTimeZone(), hourCycle: "h23",
    year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric",
  }).formatToParts(date);
  const value = (type) => Number(parts.find((part) => part.type === type).value);
  return { year: value("year"), month: value("month"), day: value("day"), hour: value("hour"), minute: value("minute") };
}

function format(date, options) {
  return date.toLocaleString(undefined, { timeZone: displayTimeZone(), ...options });
}

/** A due date as a short label plus whether it has passed. */
export function dueLabel(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return { text: "", overdue: false };
  const now = new Date();
  const here = zoned(date);
  const today = zoned(now);
  const days = Math.round(
    (Date.UTC(here.year, here.month - 1, here.day) - Date.UTC(today.year, today.month - 1, today.day)) / 86400000,
  );
  const hasTime = here.hour !== 0 || here.minute !== 0;
  const time = hasTime ? format(date, { hour: "numeric", minute: "2-digit" }) : "";
  let day;
  if (days === 0) day = "Today";
  else if (days === 1) day = "Tomorrow";
  else if (days === -1) day = "Yesterday";
  else if (days > 1 && days < 7) day = format(date, { weekday: "short" });
  else {
    day = format(date, {
      month: "short",
      day: "numeric",
      year: here.year === today.year ? undefined : "numeric",
    });
  }
  return { text: time ? `${day} ${time}` : day, overdue: date.getTime() < now.getTime() };
}

/** The full date and time, for a tooltip. */
export function fullDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return format(date, { dateStyle: "medium", timeStyle: "short" });
}

/** A moment as a datetime-local input's value ("2030-01-02T17:00") in the display zone. */
export function localInputValue(date) {
  const { year, month, day, hour, minute } = zoned(date);
  const pad = (n) => String(n).padStart(2, "0");
  return `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}`;
}
