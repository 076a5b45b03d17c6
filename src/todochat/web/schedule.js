// One task's repeat rule and reminders, in a native <dialog> (modal, Escape closes, focus
// returns to the button that opened it). Every change is one PUT of the task over REST.

import { dueLabel, fullDate, h, icon, localInputValue } from "./dom.js";

const PRESETS = new Set(["every day", "every weekday", "every week", "every 2 weeks", "every month", "every year"]);
const MIN_LEAD_MS = 30 * 1000; // a reminder at a time must be a little ahead: it has to be armed

const UNITS = [
  ["W", "week", 7 * 86400], ["D", "day", 86400], ["H", "hour", 3600], ["M", "minute", 60], ["S", "second", 1],
];

/** "PT30M" → "30 minutes", "P1DT2H" → "1 day 2 hours" (the server writes offsets as ISO 8601). */
export function offsetText(iso) {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso || "");
  if (!match) return iso || "";
  let seconds = 0;
  match.slice(1).forEach((value, index) => {
    seconds += Number(value || 0) * UNITS[index][2];
  });
  const words = [];
  for (const [, unit, size] of UNITS) {
    // Weeks only when the offset is whole weeks: "8 days", not "1 week 1 day".
    if (unit === "week" && seconds % size !== 0) continue;
    const count = Math.floor(seconds / size);
    if (count) words.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
    seconds -= count * size;
  }
  return words.join(" ");
}

/** How a reminder reads: "Tomorrow 4:30 PM (30 minutes before it is due)". */
export function reminderText(reminder) {
  const when = dueLabel(reminder.at).text;
  return reminder.before ? `${when} (${offsetText(reminder.before)} before it is due)` : when;
}

/** The reminders to send to keep the task's current ones, less `dropId`. */
function keptReminders(task, dropId) {
  const soon = Date.now() + MIN_LEAD_MS;
  const kept = [];
  for (const reminder of task.reminders || []) {
    // Sent ones stay as history whatever the update says; the server keeps them.
    if (reminder.id === dropId || reminder.status === "sent") continue;
    if (reminder.before) {
      if (task.due_at) kept.push({ before: reminder.before });
    } else if (new Date(reminder.at).getTime() > soon) {
      kept.push({ at: reminder.at });
    }
  }
  return kept;
}

function showMessage(el, message) {
  el.textContent = message;
  el.hidden = !message;
}

export class ScheduleDialog {
  /** onUpdated(task): the task as the server returned it after a change. */
  constructor(api, { onUpdated, onClosed = () => {} }) {
    this.api = api;
    this.onUpdated = onUpdated;
    this.onClosed = onClosed;
    this.task = null;
    this.busy = false;

    document.body.append(document.getElementById("schedule-template").content.cloneNode(true));
    this.dialog = document.getElementById("schedule-dialog");
    this.taskLine = document.getElementById("schedule-task");
    this.dueLine = document.getElementById("schedule-due");
    this.dueForm = document.getElementById("due-form");
    this.dueAt = document.getElementById("due-at");
    this.clearDue = document.getElementById("clear-due");
    this.dueError = document.getElementById("due-error");
    this.dueStatus = document.getElementById("due-status");
    this.repeatForm = document.getElementById("repeat-form");
    this.repeatNow = document.getElementById("repeat-now");
    this.preset = document.getElementById("repeat-preset");
    this.customField = document.getElementById("repeat-custom-field");
    this.rule = document.getElementById("repeat-rule");
    this.repeatError = document.getElementById("repeat-error");
    this.repeatStatus = document.getElementById("repeat-status");
    this.reminderStatus = document.getElementById("reminder-status");
    this.stopRepeat = document.getElementById("stop-repeat");
    this.list = document.getElementById("reminder-list");
    this.empty = document.getElementById("reminders-empty");
    this.reminderForm = document.getElementById("reminder-form");
    this.kind = document.getElementById("reminder-kind");
    this.atField = document.getElementById("reminder-at-field");
    this.at = document.getElementById("reminder-at");
    this.atHint = document.getElementById("reminder-at-hint");
    this.beforeField = document.getElementById("reminder-before-field");
    this.before = document.getElementById("reminder-before");
    this.beforeHint = document.getElementById("reminder-before-hint");
    this.reminderError = document.getElementById("reminder-error");

    this.dialog.querySelector("[data-close]").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.dialog.close();
    });
    this.dialog.addEventListener("close", () => this.onClose());
    this.preset.addEventListener("change", () => {
      this.customField.hidden = this.preset.value !== "custom";
      if (!this.customField.hidden) this.rule.focus();
    });
    this.repeatForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveRepeat(this.preset.value === "custom" ? this.rule.value.trim() : this.preset.value);
    });
    this.stopRepeat.addEventListener("click", () => this.saveRepeat("", true));
    this.dueForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveDue(this.dueAt.value);
    });
    this.clearDue.addEventListener("click", () => this.saveDue(null));
    this.kind.addEventListener("change", () => this.showKind());
    this.reminderForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.addReminder();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  /** Open for one task, focus on its due date. */
  open(task) {
    this.task = task;
    for (const el of [this.dueError, this.repeatError, this.reminderError]) showMessage(el, "");
    for (const el of [this.dueStatus, this.repeatStatus, this.reminderStatus]) el.textContent = "";
    for (const el of [this.dueAt, this.rule, this.at]) el.removeAttribute("aria-invalid");
    this.dueAt.value = task.due_at ? localInputValue(new Date(task.due_at)) : "";
    const text = task.recurrence ? task.recurrence.text : "";
    if (!text) this.preset.value = "";
    else if (PRESETS.has(text)) this.preset.value = text;
    else this.preset.value = "custom";
    this.rule.value = text;
    this.customField.hidden = this.preset.value !== "custom";
    this.kind.querySelector("input[value=at]").checked = true;
    this.at.value = localInputValue(new Date(Date.now() + 3600 * 1000));
    this.render();
    this.dialog.showModal();
    this.dueAt.focus();
  }

  onClose() {
    const task = this.task;
    this.task = null;
    if (task) this.onClosed(task.id); // the panel puts focus back on the task's button
  }

  render() {
    const task = this.task;
    this.taskLine.textContent = task.title;
    this.dueLine.textContent = task.due_at
      ? `${task.recurrence ? "Next due" : "Due"} ${fullDate(task.due_at)}`
      : "No due date.";
    this.clearDue.hidden = !task.due_at;
    this.repeatNow.textContent = task.recurrence
      ? `Repeats ${task.recurrence.text}.`
      : "Does not repeat.";
    this.stopRepeat.hidden = !task.recurrence;

    const reminders = [...(task.reminders || [])].sort((a, b) => new Date(a.at) - new Date(b.at));
    this.list.replaceChildren(...reminders.map((reminder) => this.renderReminder(reminder)));
    this.empty.hidden = reminders.length > 0;

    const beforeRadio = this.kind.querySelector("input[value=before]");
    beforeRadio.disabled = !task.due_at;
    if (!task.due_at && beforeRadio.checked) this.kind.querySelector("input[value=at]").checked = true;
    this.beforeHint.textContent = task.due_at ? `Due ${fullDate(task.due_at)}.` : "";
    this.atHint.textContent = task.due_at
      ? "In your account's time zone."
      : "In your account's time zone. “Before it is due” needs a due date.";
    const closed = task.completed;
    for (const el of this.reminderForm.elements) el.disabled = closed || (el === beforeRadio && !task.due_at);
    if (closed) showMessage(this.reminderError, "Reopen the task to add reminders.");
    this.showKind();
  }

  renderReminder(reminder) {
    const text = reminderText(reminder);
    const status = reminder.status === "sent" ? "sent" : reminder.status === "cancelled" ? "cancelled" : "";
    return h("li", { class: `reminder${status ? ` ${status}` : ""}`, dataset: { reminderId: String(reminder.id) } },
      icon("bell"),
      h("span", { class: "reminder-text", title: fullDate(reminder.at) }, text),
      status ? h("span", { class: "pill" }, status === "sent" ? "Sent" : "Cancelled") : null,
      reminder.status === "sent" || this.task.completed ? null : h("button", {
        type: "button", class: "btn btn-ghost btn-small",
        "aria-label": `Remove the reminder ${text}`,
        onclick: () => this.removeReminder(reminder),
      }, "Remove"),
    );
  }

  showKind() {
    const before = this.kind.querySelector("input[value=before]").checked;
    this.atField.hidden = before;
    this.beforeField.hidden = !before;
  }

  /** PUT the fields; on success re-render and tell the panel. Resolves with an error or null.
   * The buttons stay enabled while it runs (disabling the focused one would drop the keyboard
   * focus); while `busy`, another press is ignored. */
  async save(fields, form) {
    const task = this.task;
    this.busy = true;
    form.setAttribute("aria-busy", "true");
    try {
      const updated = await this.api.updateTask(task.id, fields);
      if (this.task && this.task.id === updated.id) {
        this.task = updated;
        this.render();
      }
      this.onUpdated(updated);
      return null;
    } catch (err) {
      return err;
    } finally {
      this.busy = false;
      form.removeAttribute("aria-busy");
    }
  }

  /** Set the due date (a datetime-local value, read in the account's zone) or remove it (null). */
  async saveDue(value) {
    if (this.busy) return;
    showMessage(this.dueError, "");
    this.dueStatus.textContent = "";
    this.dueAt.removeAttribute("aria-invalid");
    if (value === "") {
      this.dueAt.setAttribute("aria-invalid", "true");
      showMessage(this.dueError, "Choose a date and time, or remove the due date.");
      this.dueAt.focus();
      return;
    }
    const err = await this.save({ due_at: value }, this.dueForm);
    if (!err) {
      this.dueStatus.textContent = this.task.due_at ? `Saved: due ${fullDate(this.task.due_at)}.` : "Saved: no due date.";
      this.dueAt.value = this.task.due_at ? localInputValue(new Date(this.task.due_at)) : "";
      if (value === null) this.dueAt.focus(); // the Remove button is gone
      return;
    }
    if (err.status === 401) return;
    showMessage(this.dueError, err.detail.replace(/^due_at:\s*/, ""));
    this.dueAt.setAttribute("aria-invalid", "true");
    this.dueAt.focus();
  }

  /** Set the rule from the form (`text` as chosen), or stop repeating (`stop`). */
  async saveRepeat(text, stop = false) {
    if (this.busy) return;
    showMessage(this.repeatError, "");
    this.repeatStatus.textContent = "";
    this.rule.removeAttribute("aria-invalid");
    if (this.preset.value === "custom" && !text && !stop) {
      this.rule.setAttribute("aria-invalid", "true");
      showMessage(this.repeatError, "Write how it repeats, for example “every monday 9am”.");
      this.rule.focus();
      return;
    }
    const current = this.task.recurrence ? this.task.recurrence.text : "";
    if (text.toLowerCase() === current.toLowerCase()) {
      this.repeatStatus.textContent = "Nothing to change.";
      return;
    }
    const fields = { recurrence: text || null };
    // The server keeps a repeating task's due date when its rule changes. A preset ("every
    // week") repeats from that date; a rule in words names its own days and times ("every
    // sunday at 6pm"), so the task moves to the new rule's first occurrence instead.
    if (text && this.preset.value === "custom" && this.task.recurrence) fields.due_at = null;
    const err = await this.save(fields, this.repeatForm);
    if (!err) {
      const updated = this.task;
      // Said inside the dialog: a modal dialog leaves the page's toasts dimmed and unannounced.
      this.repeatStatus.textContent = updated.recurrence
        ? `Saved: repeats ${updated.recurrence.text}.`
        : "Saved: no longer repeats.";
      this.preset.value = !updated.recurrence ? "" : PRESETS.has(updated.recurrence.text) ? updated.recurrence.text : "custom";
      this.rule.value = updated.recurrence ? updated.recurrence.text : "";
      this.customField.hidden = this.preset.value !== "custom";
      this.preset.focus();
      return;
    }
    if (err.status === 401) return;
    showMessage(this.repeatError, err.detail.replace(/^recurrence(\.rule)?:\s*/, ""));
    if (this.preset.value === "custom") {
      this.rule.setAttribute("aria-invalid", "true");
      this.rule.focus();
    }
  }

  async addReminder() {
    if (this.busy) return;
    showMessage(this.reminderError, "");
    this.reminderStatus.textContent = "";
    this.at.removeAttribute("aria-invalid");
    const task = this.task;
    let spec;
    if (this.kind.querySelector("input[value=before]").checked) {
      spec = { before: this.before.value };
    } else {
      if (!this.at.value) {
        this.at.setAttribute("aria-invalid", "true");
        showMessage(this.reminderError, "Choose a date and time for the reminder.");
        this.at.focus();
        return;
      }
      spec = { at: this.at.value }; // wall time: the server reads it in the account's zone
    }
    const reminders = [...keptReminders(task), spec];
    const err = await this.save({ reminders }, this.reminderForm);
    if (!err) {
      const added = this.task.reminders.filter((r) => !task.reminders.some((old) => old.id === r.id));
      this.reminderStatus.textContent = added.length
        ? `Reminder set for ${reminderText(added[added.length - 1])}.`
        : "Reminder set.";
      return;
    }
    if (err.status === 401) return;
    // "reminders[2].at: ... is in the past." → the part after the field name.
    showMessage(this.reminderError, err.detail.replace(/^reminders\[\d+\]\.\w+:\s*/, ""));
    if (spec.at) {
      this.at.setAttribute("aria-invalid", "true");
      this.at.focus();
    }
  }

  async removeReminder(reminder) {
    if (this.busy) return;
    showMessage(this.reminderError, "");
    this.reminderStatus.textContent = "";
    const index = (this.task.reminders || []).findIndex((r) => r.id === reminder.id);
    const err = await this.save({ reminders: keptReminders(this.task, reminder.id) }, this.reminderForm);
    if (err) {
      if (err.status !== 401) showMessage(this.reminderError, err.detail);
      return;
    }
    this.reminderStatus.textContent = "Reminder removed.";
    // Keep focus in the list: on the next reminder's Remove button, else the add form.
    const buttons = this.list.querySelectorAll("button");
    const next = buttons[Math.min(index, buttons.length - 1)];
    (next || this.kind.querySelector("input:checked")).focus();
  }
}
