// Quick add: one line ("buy milk tomorrow 5pm #home p1") read by the server with the chat's own
// understanding (POST .../tasks/parse), previewed as the user types, created on Enter.

import { dueLabel, h, toast } from "./dom.js";

const PREVIEW_DELAY_MS = 250;
const PRIORITY_TEXT = { high: "High priority", low: "Low priority" };

/** The draft as a task body: the server's preview minus what it could not read. */
function taskBody(draft) {
  const { problems, ...body } = draft;
  return body;
}

function previewOf(draft) {
  const parts = [h("strong", {}, draft.title)];
  if (draft.recurrence) parts.push(h("span", { class: "pill" }, draft.recurrence.text));
  else if (draft.due_at) parts.push(h("span", { class: "pill pill-due" }, dueLabel(draft.due_at).text));
  if (PRIORITY_TEXT[draft.priority]) {
    parts.push(h("span", { class: `pill pill-${draft.priority}` }, PRIORITY_TEXT[draft.priority]));
  }
  for (const tag of draft.tags) parts.push(h("span", { class: "pill pill-tag" }, `#${tag}`));
  if (draft.reminders.length) {
    const count = draft.reminders.length;
    parts.push(h("span", { class: "pill" }, `${count} reminder${count === 1 ? "" : "s"}`));
  }
  const problems = draft.problems.map((problem) => h("span", { class: "quick-add-problem" }, problem));
  return h("li", { class: "quick-add-draft" }, ...parts, ...problems);
}

export class QuickAdd {
  /** onAdded(tasks): called with the tasks created. */
  constructor(api, { onAdded }) {
    this.api = api;
    this.onAdded = onAdded;
    this.form = document.getElementById("quick-add");
    this.input = document.getElementById("quick-add-input");
    this.preview = document.getElementById("quick-add-preview");
    this.timer = null;
    this.reading = null; // { text, promise } of the latest read
    this.input.addEventListener("input", () => this.schedulePreview());
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.input.value) {
        event.stopPropagation();
        this.clear();
      }
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  schedulePreview() {
    clearTimeout(this.timer);
    const text = this.input.value.trim();
    if (!text) {
      this.show([]);
      return;
    }
    this.timer = setTimeout(() => this.read(text).then((drafts) => this.showIfCurrent(text, drafts)), PREVIEW_DELAY_MS);
  }

  /** The drafts for `text`, reusing a read already under way for the same text. */
  read(text) {
    if (this.reading?.text !== text) {
      const promise = this.api.parseTasks(text);
      this.reading = { text, promise };
      promise.catch(() => {
        if (this.reading?.promise === promise) this.reading = null;
      });
    }
    return this.reading.promise.then((result) => result.tasks).catch(() => null);
  }

  showIfCurrent(text, drafts) {
    if (drafts && this.input.value.trim() === text) this.show(drafts);
  }

  show(drafts) {
    this.preview.replaceChildren(...drafts.map(previewOf));
    this.preview.hidden = drafts.length === 0;
  }

  clear() {
    clearTimeout(this.timer);
    this.input.value = "";
    this.reading = null;
    this.show([]);
  }

  async submit() {
    const text = this.input.value.trim();
    if (!text) return;
    clearTimeout(this.timer);
    this.input.disabled = true;
    try {
      const drafts = await this.api.parseTasks(text).then((result) => result.tasks);
      const created = [];
      for (const draft of drafts) created.push(await this.api.createTask(taskBody(draft)));
      this.clear();
      toast(created.length === 1 ? `Added “${created[0].title}”` : `Added ${created.length} tasks`);
      this.onAdded(created);
    } catch (err) {
      if (err.status !== 401) toast(`Couldn't add: ${err.detail || err.message}`, { kind: "error" });
    } finally {
      this.input.disabled = false;
      this.input.focus();
    }
  }
}
