// Reminders in the page: one event stream per tab; each reminder becomes a toast and, with the
// user's permission, a browser notification. Reminders that fired while no tab was open arrive
// first, marked missed. Each is marked seen once shown, so the next visit does not repeat it.

import { readEvents } from "./api.js";
import { fullDate, toast } from "./dom.js";

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;

export class ReminderListener {
  constructor(api, { onReminder = () => {} } = {}) {
    this.api = api;
    this.onReminder = onReminder;
    this.shown = new Set(); // delivery ids: a reconnect or a second replay shows nothing twice
    this.controller = null;
  }

  start() {
    this.controller = new AbortController();
    this.listen(this.controller.signal);
  }

  stop() {
    if (this.controller) this.controller.abort();
  }

  async listen(signal) {
    let delay = RETRY_MIN_MS;
    while (!signal.aborted) {
      try {
        const response = await this.api.openEvents({ signal });
        delay = RETRY_MIN_MS;
        for await (const event of readEvents(response.body)) {
          if (event.event !== "reminder") continue;
          try {
            this.show(JSON.parse(event.data));
          } catch (err) {
            console.warn("Skipped a malformed reminder event", err);
          }
        }
      } catch (err) {
        if (signal.aborted || (err && err.status === 401)) return;
      }
      // The stream ended (a server restart, a network change): reconnect, backing off.
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  show(data) {
    const { task, reminder, missed } = data;
    if (!task || !reminder || this.shown.has(reminder.delivery_id)) return;
    this.shown.add(reminder.delivery_id);
    const when = fullDate(reminder.at);
    const text = missed ? `Missed reminder (${when}): ${task.title}` : `Reminder: ${task.title}`;
    toast(text, { kind: "reminder", timeout: 12000 });
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        new Notification(missed ? "Missed reminder" : "Reminder", { body: task.title, tag: reminder.delivery_id });
      } catch {
        // Some browsers only allow notifications from a service worker: the toast is enough.
      }
    }
    this.onReminder(data);
    this.api.markRemindersSeen([reminder.id]).catch(() => {});
  }
}

/** A header button asking for notification permission, shown only while it can be given. */
export function setupNotificationButton(button) {
  if (!button) return;
  const supported = "Notification" in window;
  const refresh = () => {
    button.hidden = !supported || Notification.permission !== "default";
  };
  refresh();
  button.addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      refresh();
    }
  });
}
