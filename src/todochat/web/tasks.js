// The tasks panel: the user's list with filters and direct edits over REST: tick, rename, skip
// an occurrence, delete, and (in a dialog) the repeat rule and reminders.

import { displayTimeZone, dueLabel, fullDate, h, icon, toast } from "./dom.js";
import { reminderText, ScheduleDialog } from "./schedule.js";

const FILTER_KEY = "todochat.taskFilter";
const FILTERS = ["pending", "completed", "all"];
const EMPTY_TEXT = {
  pending: "Nothing pending. Nice.",
  completed: "Nothing completed yet.",
  all: "No tasks yet. Add one above, or ask the assistant.",
};

export class TasksPanel {
  constructor(api) {
    this.api = api;
    this.tasks = [];
    this.total = 0;
    this.editingId = null;
    this.skipping = new Set(); // task ids with a skip in flight
    this.refreshQueued = false;
    this.inflight = null;
    // Direct edits in flight, and a count of all edits ever: a list fetched while an edit was
    // running may predate it, so it is not shown; the refresh runs again once edits settle.
    this.pendingEdits = 0;
    this.edits = 0;
    this.filter = FILTERS.includes(localStorage.getItem(FILTER_KEY)) ? localStorage.getItem(FILTER_KEY) : "all";

    this.list = document.getElementById("task-list");
    this.empty = document.getElementById("tasks-empty");
    this.emptyText = document.getElementById("tasks-empty-text");
    this.count = document.getElementById("tasks-count");
    this.badge = document.getElementById("tasks-badge");
    this.filterset = document.getElementById("task-filter");

    for (const radio of this.filterset.querySelectorAll("input[type=radio]")) {
      radio.checked = radio.value === this.filter;
    }
    this.onFilterChange = (event) => {
      if (event.target.name !== "task-filter") return;
      this.filter = event.target.value;
      localStorage.setItem(FILTER_KEY, this.filter);
      this.refresh();
    };
    this.filterset.addEventListener("change", this.onFilterChange);

    // Views over the same list: when it is due, words searched, a tag, the order.
    this.due = "";
    this.q = "";
    this.tag = "";
    this.sort = "created";
    this.search = document.getElementById("task-search");
    this.dueSelect = document.getElementById("task-due");
    this.sortSelect = document.getElementById("task-sort");
    this.tagFilter = document.getElementById("task-tag-filter");
    let typing = null;
    this.onSearch = () => {
      clearTimeout(typing);
      typing = setTimeout(() => {
        this.q = this.search.value.trim();
        this.refresh();
      }, 250);
    };
    this.onDue = () => {
      this.due = this.dueSelect.value;
      this.refresh();
    };
    this.onSort = () => {
      this.sort = this.sortSelect.value;
      this.refresh();
    };
    this.search.addEventListener("input", this.onSearch);
    this.dueSelect.addEventListener("change", this.onDue);
    this.sortSelect.addEventListener("change", this.onSort);

    this.schedule = new ScheduleDialog(api, {
      onUpdated: (task) => this.replaceTask(task),
      onClosed: (taskId) => {
        const button = this.itemFor(taskId)?.querySelector("[data-role=schedule]");
        if (button) button.focus();
      },
    });
  }

  /** Stop listening (on log out). */
  destroy() {
    this.filterset.removeEventListener("change", this.onFilterChange);
    this.search.removeEventListener("input", this.onSearch);
    this.dueSelect.removeEventListener("change", this.onDue);
    this.sortSelect.removeEventListener("change", this.onSort);
    this.search.value = "";
    this.tagFilter.replaceChildren();
    this.tagFilter.hidden = true;
    if (this.inflight) this.inflight.abort();
    this.list.replaceChildren();
    this.count.textContent = "";
    this.badge.hidden = true;
  }

  /** Reload the list from the server (deferred while a title is being edited). */
  async refresh() {
    if (this.editingId !== null || this.pendingEdits > 0) {
      this.refreshQueued = true;
      return;
    }
    if (this.inflight) this.inflight.abort();
    const controller = new AbortController();
    this.inflight = controller;
    const edits = this.edits;
    this.list.setAttribute("aria-busy", "true");
    try {
      // Upcoming reads by day: in due order whatever the sort.
      const sort = this.due === "upcoming" ? "due" : this.sort;
      const [page, pending] = await Promise.all([
        this.api.listTasks(this.filter, {
          signal: controller.signal, due: this.due, q: this.q, tag: this.tag, sort,
        }),
        // The badge counts every pending task, from the server, whatever the view shows.
        this.api.listTasks("pending", { signal: controller.signal, limit: 1 }),
      ]);
      if (controller.signal.aborted) return;
      this.pendingTotal = pending.total;
      if (edits !== this.edits) {
        this.inflight = null;
        this.refreshQueued = true;
        this.flushQueued();
        return;
      }
      this.tasks = page.items || [];
      this.total = typeof page.total === "number" ? page.total : this.tasks.length;
      this.render();
    } catch (err) {
      if (err && err.name === "AbortError") return;
      if (err.status !== 401) toast(`Couldn't load tasks: ${err.detail || err.message}`, { kind: "error" });
    } finally {
      if (this.inflight === controller) {
        this.inflight = null;
        this.list.removeAttribute("aria-busy");
      }
    }
  }

  render() {
    const focused = this.focusKey();
    this.list.replaceChildren(...this.rows());
    this.empty.hidden = this.tasks.length > 0;
    const narrowed = this.due || this.q || this.tag;
    this.emptyText.textContent = narrowed ? "No tasks match." : EMPTY_TEXT[this.filter];
    this.renderTagFilter();
    this.count.textContent = this.total ? String(this.total) : "";
    this.updateBadge();
    this.restoreFocus(focused);
    if (this.focusWanted !== undefined) {
      const box = this.itemFor(this.focusWanted)?.querySelector("[data-role=check]");
      this.focusWanted = undefined;
      if (box) box.focus();
    }
  }

  beginEdit() {
    this.edits += 1;
    this.pendingEdits += 1;
  }

  endEdit() {
    this.pendingEdits -= 1;
    // The server's counts (the badge, the view's total) follow every edit.
    this.refreshQueued = true;
    this.flushQueued();
  }

  /** Run a refresh that was deferred by an edit, once nothing is being edited. */
  flushQueued() {
    if (this.refreshQueued && this.pendingEdits === 0 && this.editingId === null) {
      this.refreshQueued = false;
      this.refresh();
    }
  }

  /** The rows, under a heading per day in the Upcoming view. */
  rows() {
    if (this.due !== "upcoming") return this.tasks.map((task) => this.renderTask(task));
    const day = new Intl.DateTimeFormat(undefined, {
      weekday: "long", month: "long", day: "numeric", timeZone: displayTimeZone(),
    });
    const rows = [];
    let last = null;
    for (const task of this.tasks) {
      const label = task.due_at ? day.format(new Date(task.due_at)) : "No date";
      if (label !== last) {
        rows.push(h("li", { class: "day-heading" }, h("h3", {}, label)));
        last = label;
      }
      rows.push(this.renderTask(task));
    }
    return rows;
  }

  /** Show only one tag's tasks (from a tag pill), with a button to show all again. */
  showTag(tag) {
    this.tag = tag;
    this.refresh();
  }

  renderTagFilter() {
    this.tagFilter.hidden = !this.tag;
    if (!this.tag) {
      this.tagFilter.replaceChildren();
      return;
    }
    this.tagFilter.replaceChildren(
      h("button", {
        type: "button", class: "pill pill-tag", "data-role": "clear-tag",
        "aria-label": `Showing #${this.tag}: show all tags`,
        onclick: () => {
          this.tag = "";
          this.refresh();
          this.search.focus();
        },
      }, `#${this.tag} ×`),
    );
  }

  updateBadge() {
    const pending = typeof this.pendingTotal === "number"
      ? this.pendingTotal
      : this.tasks.filter((task) => !task.completed).length;
    this.badge.textContent = pending > 99 ? "99+" : String(pending);
    this.badge.hidden = pending === 0;
  }

  // Re-rendering replaces nodes; keep keyboard focus on the same control of the same task.
  focusKey() {
    const active = document.activeElement;
    if (!active || !this.list.contains(active)) return null;
    const item = active.closest("[data-task-id]");
    return item ? { id: item.dataset.taskId, role: active.dataset.role } : null;
  }

  restoreFocus(key) {
    if (!key) return;
    const item = this.list.querySelector(`[data-task-id="${CSS.escape(key.id)}"]`);
    const target = item && item.querySelector(`[data-role="${CSS.escape(key.role || "")}"]`);
    if (target) target.focus();
  }

  renderTask(task) {
    const checkboxId = `task-${task.id}-done`;
    const title = h("span", { class: "task-title", "data-role": "title", title: "Double-click to rename" }, task.title);
    title.addEventListener("dblclick", () => this.startEdit(task.id));

    // The user's own task number: what "task 3" or "#3" means in the chat.
    const meta = [h("span", { class: "pill pill-number", title: `Task ${task.id}` }, `#${task.id}`)];
    if (task.priority && task.priority !== "medium") {
      meta.push(h("span", { class: `pill pill-${task.priority}` }, task.priority === "high" ? "High" : "Low"));
    }
    if (task.due_at) {
      const due = dueLabel(task.due_at);
      const overdue = due.overdue && !task.completed;
      // A repeating task's due date is its next occurrence.
      const next = task.recurrence && !task.completed ? "Next " : "";
      meta.push(
        h("span", { class: `pill pill-due${overdue ? " overdue" : ""}`, title: `Due ${fullDate(task.due_at)}` },
          overdue ? `Overdue · ${next}${due.text}` : `${next}${due.text}`),
      );
    }
    if (task.recurrence) {
      meta.push(
        h("span", { class: "pill pill-repeat", "data-role": "repeat", title: `Repeats ${task.recurrence.text}` },
          icon("repeat"), task.recurrence.text),
      );
    }
    const pending = (task.reminders || []).filter((reminder) => reminder.status === "pending")
      .sort((a, b) => new Date(a.at) - new Date(b.at));
    if (pending.length) {
      const more = pending.length > 1 ? ` +${pending.length - 1}` : "";
      meta.push(
        h("span", {
          class: "pill pill-reminder", "data-role": "reminder",
          title: pending.map((reminder) => `Reminder ${reminderText(reminder)}`).join("\n"),
        }, icon("bell"), h("span", { class: "visually-hidden" }, "Reminder "), `${dueLabel(pending[0].at).text}${more}`),
      );
    }
    for (const tag of task.tags || []) {
      meta.push(h("button", {
        type: "button", class: "pill pill-tag", "data-role": "tag",
        "aria-label": `Show only #${tag}`, title: `Show only #${tag}`,
        onclick: () => this.showTag(tag),
      }, `#${tag}`));
    }

    const body = h("div", { class: "task-body" },
      h("label", { class: "visually-hidden", for: checkboxId }, task.title),
      title,
      task.description ? h("p", { class: "task-desc" }, task.description) : null,
      h("div", { class: "task-meta" }, meta),
    );

    return h("li", { class: `task${task.completed ? " done" : ""}`, dataset: { taskId: String(task.id) } },
      h("span", { class: "check" },
        h("input", {
          type: "checkbox",
          id: checkboxId,
          "data-role": "check",
          checked: task.completed,
          onchange: (event) => this.toggle(task, event.target),
        }),
        h("span", { class: "check-mark", "aria-hidden": "true" }),
      ),
      body,
      h("div", { class: "task-actions" },
        task.recurrence && !task.completed ? h("button", {
          type: "button", class: "icon-btn small", "data-role": "skip",
          "aria-label": `Skip “${task.title}” this time`, title: "Skip this occurrence",
          onclick: () => this.skip(task),
        }, icon("skip")) : null,
        h("button", {
          type: "button", class: "icon-btn small", "data-role": "schedule", "aria-haspopup": "dialog",
          "aria-label": `Repeat and reminders for “${task.title}”`, title: "Repeat and reminders",
          onclick: () => this.schedule.open(task),
        }, icon("bell")),
        h("button", {
          type: "button", class: "icon-btn small", "data-role": "edit",
          "aria-label": `Rename “${task.title}”`, title: "Rename",
          onclick: () => this.startEdit(task.id),
        }, icon("edit")),
        h("button", {
          type: "button", class: "icon-btn small danger", "data-role": "delete",
          "aria-label": `Delete “${task.title}”`, title: "Delete",
          onclick: () => this.remove(task),
        }, icon("trash")),
      ),
    );
  }

  itemFor(taskId) {
    return this.list.querySelector(`[data-task-id="${CSS.escape(String(taskId))}"]`);
  }

  replaceTask(updated) {
    const index = this.tasks.findIndex((task) => task.id === updated.id);
    if (index === -1) return;
    const belongs = this.filter === "all" || (this.filter === "completed") === Boolean(updated.completed);
    if (belongs) this.tasks[index] = updated;
    else {
      this.tasks.splice(index, 1);
      this.total = Math.max(0, this.total - 1);
    }
    // A title or repeat being edited would be wiped by a re-render; the edit renders when done.
    if (this.editingId === null) this.render();
  }

  async toggle(task, checkbox) {
    this.beginEdit();
    checkbox.disabled = true;
    try {
      const updated = await this.api.toggleTask(task.id);
      if (updated.recurrence && !updated.completed && !task.completed) {
        // A repeating task moved to its next occurrence instead of being done.
        toast(`Completed “${updated.title}” · next ${dueLabel(updated.due_at).text}`);
      } else {
        toast(updated.completed ? `Completed “${updated.title}”` : `Reopened “${updated.title}”`, {
          action: { label: "Undo", run: () => this.undoToggle(updated) },
        });
      }
      this.replaceTask(updated);
    } catch (err) {
      checkbox.checked = task.completed;
      if (err.status !== 401) toast(`Couldn't update the task: ${err.detail}`, { kind: "error" });
      if (err.status === 404) this.refreshQueued = true;
    } finally {
      checkbox.disabled = false;
      this.endEdit();
    }
  }

  /** Move a repeating task to its next occurrence without completing this one. */
  async skip(task) {
    // Not disabled while it runs: a disabled button would drop the keyboard focus.
    if (this.skipping.has(task.id)) return;
    this.skipping.add(task.id);
    this.beginEdit();
    try {
      const updated = await this.api.skipTask(task.id);
      toast(`Skipped “${updated.title}” · next ${dueLabel(updated.due_at).text}`);
      this.replaceTask(updated);
    } catch (err) {
      if (err.status === 404) this.refreshQueued = true;
      else if (err.status !== 401) toast(`Couldn't skip: ${err.detail}`, { kind: "error" });
    } finally {
      this.skipping.delete(task.id);
      this.endEdit();
    }
  }

  async remove(task) {
    const item = this.itemFor(task.id);
    if (item) item.classList.add("removing");
    this.beginEdit();
    try {
      await this.api.deleteTask(task.id);
      toast(`Deleted “${task.title}”`, { action: { label: "Undo", run: () => this.restore(task) } });
      this.tasks = this.tasks.filter((other) => other.id !== task.id);
      this.total = Math.max(0, this.total - 1);
      this.render();
      // Keep keyboard users inside the list after their row disappears.
      const next = this.list.querySelector("input[type=checkbox]");
      if (next && (!document.activeElement || document.activeElement === document.body)) next.focus();
    } catch (err) {
      if (item) item.classList.remove("removing");
      if (err.status === 404) this.refreshQueued = true;
      else if (err.status !== 401) toast(`Couldn't delete the task: ${err.detail}`, { kind: "error" });
    } finally {
      this.endEdit();
    }
  }

  /** Undo a tick or untick: set the task back to how it was (a set, not a second toggle, so
   * a double undo or a change made elsewhere meanwhile does not flip it again). */
  async undoToggle(task) {
    this.beginEdit();
    try {
      const updated = await this.api.updateTask(task.id, { completed: !task.completed });
      toast(updated.completed ? `Completed “${updated.title}” again` : `Reopened “${updated.title}”`);
      this.refreshQueued = true;
      this.focusAfterUndo(task.id);
    } catch (err) {
      if (err.status !== 401) toast(`Couldn't undo: ${err.detail}`, { kind: "error" });
      this.refreshQueued = true;
    } finally {
      this.endEdit();
    }
  }

  /** Undo a delete: the task comes back with its number, reminders and history. */
  async restore(task) {
    this.beginEdit();
    try {
      const restored = await this.api.restoreTask(task.id);
      toast(`Restored “${restored.title}” (#${restored.id})`);
      this.focusAfterUndo(task.id);
    } catch (err) {
      if (err.status !== 401) toast(`Couldn't undo: ${err.detail}`, { kind: "error" });
    } finally {
      this.refreshQueued = true;
      this.endEdit();
    }
  }

  /** After an undo's refresh, put the keyboard focus on that task's checkbox. */
  focusAfterUndo(taskId) {
    const active = document.activeElement;
    if (active && active !== document.body && !active.closest("#toasts")) return;
    this.focusWanted = taskId;
  }

  /** Edit the title in place. */
  startEdit(taskId) {
    if (this.editingId !== null) return;
    const task = this.tasks.find((other) => other.id === taskId);
    const item = this.itemFor(taskId);
    if (!task || !item) return;
    const titleEl = item.querySelector(".task-title");
    const current = task.title;
    const input = h("input", {
      type: "text", class: "task-edit", value: current, maxlength: 200,
      "aria-label": "Task title", enterkeyhint: "done",
    });
    this.editingId = taskId;
    item.classList.add("editing");
    titleEl.replaceWith(input);
    input.focus();
    input.select();

    let finished = false;
    const finish = async (save) => {
      if (finished) return;
      const value = input.value.trim();
      if (save && value && value !== current) {
        input.disabled = true;
        this.beginEdit();
        try {
          const updated = await this.api.updateTask(task.id, { title: value });
          Object.assign(task, updated);
          toast(`Renamed to “${updated.title}”`);
        } catch (err) {
          input.disabled = false;
          if (err.status !== 401) {
            toast(`Couldn't rename: ${err.detail}`, { kind: "error" });
            input.focus();
            return; // keep editing so the text isn't lost
          }
        } finally {
          this.endEdit();
        }
      }
      finished = true;
      this.editingId = null;
      this.render();
      const row = this.itemFor(task.id);
      const edit = row && row.querySelector("[data-role=edit]");
      if (edit) edit.focus();
      this.flushQueued();
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        finish(true);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        finish(false);
      }
    });
    input.addEventListener("blur", () => {
      if (!input.disabled) finish(true);
    });
  }
}
