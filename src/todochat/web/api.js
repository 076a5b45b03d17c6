// HTTP client for the todochat API: session storage, JSON requests, and the chat SSE stream.
// The bearer token lives in localStorage and only ever travels in the Authorization header.

const SESSION_KEY = "todochat.session";

/** An error response from the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `Request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail || this.message;
  }
}

/** Read the stored session ({token, user}) or null. */
export function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    if (session && typeof session.token === "string" && session.user && session.user.id) {
      return session;
    }
  } catch {
    // A corrupt entry is treated as signed out.
  }
  return null;
}

/** Persist the session after signup/login (or refresh the stored user). */
export function saveSession(session) {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/** Forget the session (log out). */
export function clearSession() {
  localStorage.removeItem(SESSION_KEY);
}

let onUnauthorized = () => {};

/** Register what happens when the server rejects our token (401). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function humanDetail(detail) {
  // The SPEC promises human text, but stay robust to FastAPI's default list-of-errors shape.
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => (item && typeof item.msg === "string" ? item.msg : JSON.stringify(item)))
      .join("; ");
  }
  if (detail == null) return "";
  return JSON.stringify(detail);
}

async function errorFrom(response) {
  let code = `http_${response.status}`;
  let detail = "";
  try {
    const body = await response.json();
    if (body && typeof body === "object") {
      if (typeof body.error === "string") code = body.error;
      detail = humanDetail(body.detail ?? body.message);
    }
  } catch {
    // Non-JSON body: fall back to the status text.
  }
  if (!detail) detail = defaultDetail(response.status);
  return new ApiError(response.status, code, detail);
}

function defaultDetail(status) {
  if (status === 401) return "Your session has expired. Please log in again.";
  if (status === 429) return "Too many requests. Please wait a moment and try again.";
  if (status === 503) return "The assistant is unavailable right now. Please try again shortly.";
  if (status >= 500) return "Something went wrong on the server. Please try again.";
  return `Request failed (${status}).`;
}

function networkError() {
  return new ApiError(0, "network_error", "Couldn't reach the server. Check your connection and try again.");
}

function headers(token, extra = {}) {
  const result = { Accept: "application/json", ...extra };
  if (token) result.Authorization = `Bearer ${token}`;
  return result;
}

/** A thin client bound to one session. */
export class Api {
  constructor(session) {
    this.token = session ? session.token : null;
    this.userId = session ? session.user.id : null;
  }

  userPath(path) {
    return `/api/${encodeURIComponent(this.userId)}${path}`;
  }

  /**
   * The response to a request, or an ApiError. `body` is sent as JSON; `content` (a file, a
   * Blob) as it is, with `contentType`.
   */
  async send(method, path, { body, content, contentType, signal, auth = true } = {}) {
    const init = { method, signal, headers: headers(auth ? this.token : null) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    } else if (content !== undefined) {
      init.headers["Content-Type"] = contentType;
      init.body = content;
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw networkError();
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401 && auth) onUnauthorized(error);
      throw error;
    }
    return response;
  }

  async request(method, path, options = {}) {
    const response = await this.send(method, path, options);
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  // --- auth -------------------------------------------------------------------------------

  signup(email, password) {
    let timeZone;
    try {
      timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch {
      timeZone = undefined;
    }
    const body = { email, password };
    if (timeZone) body.time_zone = timeZone;
    return this.request("POST", "/api/auth/signup", { body, auth: false });
  }

  login(email, password) {
    return this.request("POST", "/api/auth/login", { body: { email, password }, auth: false });
  }

  me() {
    return this.request("GET", "/api/auth/me");
  }

  /** Change the account's name and/or time zone; resolves with the updated user. */
  updateMe(fields) {
    return this.request("PATCH", "/api/auth/me", { body: fields });
  }

  /** Change the password (204); a wrong current password is a 422 naming current_password. */
  changePassword(currentPassword, newPassword) {
    return this.request("POST", "/api/auth/password", {
      body: { current_password: currentPassword, new_password: newPassword },
    });
  }

  limits() {
    return this.request("GET", "/api/limits", { auth: false });
  }

  /** Delete the account and all its data (the password confirms it). */
  deleteAccount(password) {
    return this.request("DELETE", "/api/auth/me", { body: { password } });
  }

  // --- your data --------------------------------------------------------------------------

  /** The export ("json": everything, "csv": the tasks) as a Blob and the server's file name. */
  async exportFile(format) {
    const response = await this.send("GET", this.userPath(`/export?format=${format}`));
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] || `todochat-export.${format}`;
    return { blob: await response.blob(), name };
  }

  /** Import a todochat export (.json) or a Todoist CSV: resolves with what was added. */
  importFile(file) {
    const csv = file.type === "text/csv" || /\.csv$/i.test(file.name);
    const contentType = csv ? "text/csv" : "application/json";
    return this.request("POST", this.userPath("/import"), { content: file, contentType });
  }

  // --- tasks ------------------------------------------------------------------------------

  /** A page of tasks: `due` today|upcoming|overdue|week, `q` words, `tag`, `sort` created|due|priority. */
  listTasks(status = "all", { signal, due = "", q = "", tag = "", sort = "created", limit = 100 } = {}) {
    const query = new URLSearchParams({ status, limit: String(limit), sort });
    if (due) query.set("due", due);
    if (q) query.set("q", q);
    if (tag) query.set("tag", tag);
    return this.request("GET", this.userPath(`/tasks?${query}`), { signal });
  }

  createTask(fields) {
    return this.request("POST", this.userPath("/tasks"), { body: fields });
  }

  /** Read a quick-add line into task drafts (nothing is created). */
  parseTasks(text) {
    return this.request("POST", this.userPath("/tasks/parse"), { body: { text } });
  }

  updateTask(taskId, fields) {
    return this.request("PUT", this.userPath(`/tasks/${taskId}`), { body: fields });
  }

  /** Move a repeating task to its next occurrence without completing it. */
  skipTask(taskId) {
    return this.request("POST", this.userPath(`/tasks/${taskId}/skip`));
  }

  toggleTask(taskId) {
    return this.request("PATCH", this.userPath(`/tasks/${taskId}/complete`));
  }

  deleteTask(taskId) {
    return this.request("DELETE", this.userPath(`/tasks/${taskId}`));
  }

  /** Undo a delete: the task comes back with its number. */
  restoreTask(taskId) {
    return this.request("POST", this.userPath(`/tasks/${taskId}/restore`));
  }

  // --- conversations ----------------------------------------------------------------------

  /** Most recent first; `q` keeps those whose title or messages contain it. */
  listConversations({ q = "", signal } = {}) {
    const query = new URLSearchParams({ limit: "50" });
    if (q.trim()) query.set("q", q.trim());
    return this.request("GET", this.userPath(`/conversations?${query}`), { signal });
  }

  /** A conversation with its newest `limit` messages before seq `before` (all newest if unset). */
  getConversation(conversationId, { signal, limit, before } = {}) {
    const query = new URLSearchParams();
    if (limit) query.set("limit", String(limit));
    if (before) query.set("before", String(before));
    const suffix = query.size ? `?${query}` : "";
    return this.request("GET", this.userPath(`/conversations/${conversationId}${suffix}`), { signal });
  }

  renameConversation(conversationId, title) {
    return this.request("PATCH", this.userPath(`/conversations/${conversationId}`), { body: { title } });
  }

  deleteConversation(conversationId) {
    return this.request("DELETE", this.userPath(`/conversations/${conversationId}`));
  }

  // --- reminders --------------------------------------------------------------------------

  /** Open the reminder event stream; resolves with the streaming Response. */
  async openEvents({ signal } = {}) {
    let response;
    try {
      response = await fetch(this.userPath("/events"), {
        signal,
        headers: headers(this.token, { Accept: "text/event-stream" }),
      });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw networkError();
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) onUnauthorized(error);
      throw error;
    }
    if (!response.body) throw networkError();
    return response;
  }

  markRemindersSeen(ids) {
    return this.request("POST", this.userPath("/reminders/seen"), { body: { ids } });
  }

  // --- chat -------------------------------------------------------------------------------

  /**
   * Send one chat turn and stream the reply.
   * Calls handlers.onDelta(text) and handlers.onToolCall(call) as events arrive and resolves
   * with the final response object ({conversation_id, response, tool_calls}).
   * Rejects with an ApiError for a refused request, an `event: error`, or a dropped stream.
   */
  async streamChat({ conversationId, message, idempotencyKey, signal, editLast = false }, handlers = {}) {
    const body = { message };
    if (conversationId != null) body.conversation_id = conversationId;
    if (editLast) body.edit_last = true; // replaces the last message and its stopped answer
    let response;
    try {
      response = await fetch(this.userPath("/chat/stream"), {
        method: "POST",
        signal,
        headers: headers(this.token, {
          "Content-Type": "application/json",
          Accept: "text/event-stream",
          "Idempotency-Key": idempotencyKey,
        }),
        body: JSON.stringify(body),
      });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw networkError();
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) onUnauthorized(error);
      throw error;
    }
    // The conversation the turn runs in, known before any event (a new one's first turn too).
    const started = Number(response.headers.get("Conversation-Id"));
    if (handlers.onStart && Number.isInteger(started) && started > 0) handlers.onStart(started);
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("text/event-stream")) {
      // E.g. an idempotent replay answered with the stored JSON response.
      const done = await response.json();
      if (done && done.response && handlers.onDelta) handlers.onDelta(done.response);
      return done;
    }
    if (!response.body) throw networkError();

    let result = null;
    let failure = null;
    try {
      for await (const event of readEvents(response.body)) {
        let data;
        try {
          data = event.data ? JSON.parse(event.data) : {};
        } catch {
          continue; // A malformed event is skipped rather than breaking the turn.
        }
        if (event.event === "delta") {
          if (handlers.onDelta && typeof data.text === "string") handlers.onDelta(data.text);
        } else if (event.event === "tool_call") {
          if (handlers.onToolCall) handlers.onToolCall(data);
        } else if (event.event === "done") {
          result = data;
          break;
        } else if (event.event === "error") {
          failure = new ApiError(200, data.error || "error", humanDetail(data.detail) || "The assistant ran into a problem.");
          failure.messageSaved = true; // the server stored the user's message before failing
          if (data.conversation_id != null) failure.conversationId = data.conversation_id;
          break;
        }
      }
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError(0, "stream_interrupted", "The connection dropped before the reply finished. Try again.");
    }
    if (failure) throw failure;
    if (!result) {
      throw new ApiError(0, "stream_interrupted", "The connection dropped before the reply finished. Try again.");
    }
    return result;
  }
}

/** Parse a text/event-stream body into {event, data} objects (WHATWG SSE rules, minus retry/id). */
export async function* readEvents(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let eventName = "";
  let dataLines = [];
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let match;
      // Lines end with \r\n, \n or \r; keep a trailing lone \r until we know what follows it.
      while ((match = /\r\n|\n|\r(?=[^\n])/.exec(buffer)) !== null) {
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (dataLines.length) yield { event: eventName || "message", data: dataLines.join("\n") };
          eventName = "";
          dataLines = [];
          continue;
        }
        if (line.startsWith(":")) continue; // comment / keep-alive
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let fieldValue = colon === -1 ? "" : line.slice(colon + 1);
        if (fieldValue.startsWith(" ")) fieldValue = fieldValue.slice(1);
        if (field === "event") eventName = fieldValue;
        else if (field === "data") dataLines.push(fieldValue);
      }
    }
    if (dataLines.length) yield { event: eventName || "message", data: dataLines.join("\n") };
  } finally {
    // Stop reading once the caller has what it needs (or gave up); harmless on a finished stream.
    reader.cancel().catch(() => {});
  }
}
