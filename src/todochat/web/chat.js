// The chat: message list, composer, the streamed reply with its trace, inline errors and retry.

import { fullDate, h, icon, toast } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const DRAFT_KEY = "todochat.draft";
const PAGE = 50; // messages loaded at a time: the newest when a conversation opens, then older ones
const COUNT_FROM = 2000; // show a character count once a message gets long
const WARN_AT = 0.9; // ...and warn once it nears the limit
// Failures a second try can fix; others (a refused message, a misconfigured model) get no Retry.
const RETRYABLE = new Set([
  "model_unavailable", "internal_error", "service_busy", "conversation_busy", "rate_limited",
  "stream_interrupted", "network_error",
]);

/** Whether sending the same turn again may succeed. */
function canRetry(err) {
  return RETRYABLE.has(err.code) || err.status === 0 || (err.status >= 500 && err.code !== "model_misconfigured");
}

/** Parse a tool result that may arrive as a JSON string. */
function parseResult(result) {
  if (typeof result !== "string") return result;
  try {
    return JSON.parse(result);
  } catch {
    return result;
  }
}

function quoted(title) {
  return title ? ` '${title}'` : "";
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Describe one tool call for the trace: {ok, text}. */
export function describeToolCall(call) {
  const name = (call && call.name) || "tool";
  const result = parseResult(call ? call.result : null);
  const failed = (text) => ({ ok: false, text: `${name.replaceAll("_", " ")} failed: ${text}` });

  if (typeof result === "string") return failed(result);
  if (result == null) return failed("no result");
  if (typeof result === "object" && !Array.isArray(result)) {
    if (result.error || result.isError || result.is_error) {
      const message = typeof result.error === "string" ? result.error
        : result.detail || result.message || JSON.stringify(result.error ?? result);
      return failed(String(message));
    }
  }

  const id = result.task_id ?? result.task?.id;
  const ref = id != null ? `task #${id}` : "a task";
  const title = result.title ?? result.task?.title;
  switch (name) {
    case "add_task":
      return { ok: true, text: `added ${ref}${quoted(title)}` };
    case "complete_task":
      return { ok: true, text: `${result.status === "reopened" ? "reopened" : "completed"} ${ref}${quoted(title)}` };
    case "delete_task":
      return { ok: true, text: `deleted ${ref}${quoted(title)}` };
    case "update_task":
      return { ok: true, text: `updated ${ref}${quoted(title)}` };
    case "list_tasks": {
      const count = Array.isArray(result.tasks) ? result.tasks.length : result.total ?? 0;
      return { ok: true, text: `listed ${plural(count, "task")}` };
    }
    default:
      return { ok: true, text: `ran ${name.replaceAll("_", " ")}` };
  }
}

function renderTraceStep(call) {
  const { ok, text } = describeToolCall(call);
  let args = "";
  try {
    args = call && call.arguments ? JSON.stringify(call.arguments) : "";
  } catch {
    args = "";
  }
  return h("li", { class: `trace-step ${ok ? "ok" : "failed"}`, title: args ? `${call.name}(${args})` : null },
    h("span", { class: "trace-mark", "aria-hidden": "true" }, ok ? "✓" : "✗"),
    h("span", { class: "visually-hidden" }, ok ? "Done: " : "Failed: "),
    h("span", { class: "trace-text" }, text),
  );
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Non-secure contexts (plain http on a LAN address) lack randomUUID.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ChatView {
  /**
   * @param {import("./api.js").Api} api
   * @param {{onTurnDone: (conversationId: number, isNew: boolean) => void,
   *          onToolCall: (call: object) => void,
   *          onConversationChange: (conversationId: number|null) => void,
   *          titleOf: (conversationId: number) => string|null}} hooks
   */
  constructor(api, hooks) {
    this.api = api;
    this.hooks = hooks;
    this.conversationId = null;
    this.streaming = null; // AbortController of the turn in flight
    this.loading = null; // AbortController of the history being loaded
    this.failed = null; // {message, key, nodes} of the last failed turn

    this.scroller = document.getElementById("chat-scroll");
    this.messages = document.getElementById("messages");
    this.welcome = document.getElementById("welcome");
    this.title = document.getElementById("chat-title");
    this.form = document.getElementById("composer");
    this.input = document.getElementById("message");
    this.sendButton = document.getElementById("send");
    this.stopButton = document.getElementById("stop");
    this.editBanner = document.getElementById("edit-banner");
    this.editing = null; // the stopped turn whose message is being edited
    document.getElementById("cancel-edit").addEventListener("click", () => this.cancelEdit());
    this.live = null; // the turn being streamed: {turn, controller, reply, trace, typing}
    this.stoppedActions = null; // the Regenerate button of the last stopped turn
    this.firstSeq = null; // seq of the oldest message shown
    this.hasMore = false; // older messages remain on the server
    this.earlier = null; // AbortController of older messages being loaded
    this.charCount = document.getElementById("char-count");
    this.maxChars = 4000; // until the server says (GET /api/limits)

    this.stopButton.addEventListener("click", () => this.stop());
    this.earlierRow = h("li", { class: "load-earlier-row" },
      h("button", { type: "button", class: "btn btn-small btn-secondary load-earlier", onclick: () => this.loadEarlier() },
        "Load earlier messages"));
    // Scrolling to the top loads older messages, as chat apps do; the button is for keyboards.
    this.scroller.addEventListener("scroll", () => {
      if (this.hasMore && !this.earlier && this.scroller.scrollTop < 120) this.loadEarlier();
    }, { passive: true });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.live) {
        event.preventDefault();
        this.stop();
        return;
      }
      if (event.key === "Escape" && this.editing) {
        event.preventDefault();
        this.cancelEdit();
        return;
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      this.autosize();
      this.updateCount();
      localStorage.setItem(DRAFT_KEY, this.input.value);
    });
    for (const button of document.querySelectorAll("#suggestions .suggestion")) {
      button.addEventListener("click", () => this.send(button.textContent.trim()));
    }

    this.input.value = localStorage.getItem(DRAFT_KEY) || "";
    this.autosize();
    this.updateCount();
  }

  // --- composer ---------------------------------------------------------------------------

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 240)}px`;
  }

  /** The server's limit on a message's length, in characters. */
  setLimit(maxChars) {
    if (Number.isInteger(maxChars) && maxChars > 0) this.maxChars = maxChars;
    this.updateCount();
  }

  /** Characters as the server counts them (code points, not UTF-16 units). */
  length() {
    return [...this.input.value].length;
  }

  overLimit() {
    return this.length() > this.maxChars;
  }

  updateCount() {
    const n = this.length();
    const over = n > this.maxChars;
    const near = n >= Math.min(COUNT_FROM, this.maxChars * WARN_AT);
    this.charCount.hidden = !near;
    this.charCount.classList.toggle("near-limit", near && !over && n >= this.maxChars * WARN_AT);
    this.charCount.classList.toggle("over-limit", over);
    const limit = this.maxChars.toLocaleString();
    this.charCount.textContent = over
      ? `${n.toLocaleString()} / ${limit} characters: ${(n - this.maxChars).toLocaleString()} too many to send`
      : `${n.toLocaleString()} / ${limit} characters`;
    this.input.setAttribute("aria-invalid", String(over));
    this.sendButton.disabled = Boolean(this.streaming) || over;
  }

  setDraft(text) {
    this.input.value = text;
    localStorage.setItem(DRAFT_KEY, text);
    this.autosize();
    this.updateCount();
  }

  focus() {
    this.input.focus();
  }

  submit() {
    // One turn at a time, and not while history is loading; the text stays in the box.
    if (this.streaming || this.loading) return;
    const text = this.input.value;
    if (!text.trim() || this.overLimit()) {
      this.input.focus();
      return;
    }
    this.send(text);
  }

  // --- conversations ----------------------------------------------------------------------

  /** Show an empty, new conversation. */
  startNew() {
    this.cancelInFlight();
    this.conversationId = null;
    this.failed = null;
    this.setEarlier([], false);
    this.messages.replaceChildren();
    this.welcome.hidden = false;
    this.title.textContent = "New conversation";
    this.hooks.onConversationChange(null);
  }

  /** Open an existing conversation and render its full history. */
  async open(conversationId) {
    this.cancelInFlight();
    const controller = new AbortController();
    this.loading = controller;
    this.conversationId = conversationId;
    this.failed = null;
    this.hooks.onConversationChange(conversationId);
    this.title.textContent = this.hooks.titleOf(conversationId) || "Conversation";
    this.welcome.hidden = true;
    this.messages.replaceChildren(h("li", { class: "loading-row" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading conversation…"));
    this.messages.setAttribute("aria-busy", "true");
    try {
      const conversation = await this.api.getConversation(conversationId, { signal: controller.signal, limit: PAGE });
      if (this.loading !== controller) return;
      this.title.textContent = conversation.title || "Untitled conversation";
      const messages = conversation.messages || [];
      const items = this.renderMessages(messages);
      this.messages.replaceChildren(...items);
      this.setEarlier(messages, Boolean(conversation.has_more));
      this.welcome.hidden = items.length > 0;
      this.scrollToEnd(true);
    } catch (err) {
      if (err && err.name === "AbortError") return;
      if (this.loading !== controller) return;
      if (err.status === 404 || err.status === 422) {
        toast("That conversation no longer exists.", { kind: "error" });
        this.startNew();
      } else if (err.status !== 401) {
        this.messages.replaceChildren();
        this.showError(err, () => this.open(conversationId));
      }
    } finally {
      if (this.loading === controller) {
        this.loading = null;
        this.messages.removeAttribute("aria-busy");
      }
    }
  }

  /** Stored messages as list items. */
  renderMessages(messages) {
    return messages.map((message) =>
      message.role === "user"
        ? this.userBubble(message.content, message.created_at)
        : this.assistantBubble(message.content, message.tool_calls, message.created_at, message.error));
  }

  /** Note the oldest message shown and whether older ones remain (showing the button if so). */
  setEarlier(messages, hasMore) {
    if (messages.length) this.firstSeq = messages[0].seq;
    else if (!hasMore) this.firstSeq = null;
    this.hasMore = hasMore;
    if (hasMore) this.messages.prepend(this.earlierRow);
    else this.earlierRow.remove();
  }

  /** Load the page of messages before the oldest shown, keeping the view where it was. */
  async loadEarlier() {
    if (!this.hasMore || this.earlier || this.loading || this.conversationId == null) return;
    const controller = new AbortController();
    this.earlier = controller;
    const conversationId = this.conversationId;
    const button = this.earlierRow.querySelector("button");
    const hadFocus = document.activeElement === button;
    button.disabled = true;
    button.textContent = "Loading earlier messages…";
    try {
      const page = await this.api.getConversation(conversationId, {
        signal: controller.signal, limit: PAGE, before: this.firstSeq,
      });
      if (this.earlier !== controller || this.conversationId !== conversationId) return;
      const messages = page.messages || [];
      const height = this.scroller.scrollHeight;
      const top = this.scroller.scrollTop;
      this.earlierRow.after(...this.renderMessages(messages));
      this.setEarlier(messages, Boolean(page.has_more));
      this.scroller.scrollTop = top + (this.scroller.scrollHeight - height);
      if (hadFocus) {
        if (page.has_more) button.focus();
        else this.input.focus();
      }
    } catch (err) {
      if (err && err.name === "AbortError") return;
      if (err.status !== 401) toast(`Couldn't load earlier messages: ${err.detail}`, { kind: "error" });
    } finally {
      if (this.earlier === controller) this.earlier = null;
      button.disabled = false;
      button.textContent = "Load earlier messages";
    }
  }

  /** Put a stopped turn's message in the box; sending it replaces that message and its stop. */
  startEdit(turn) {
    this.editing = turn;
    this.editBanner.hidden = false;
    this.setDraft(turn.message);
    this.input.focus();
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
  }

  cancelEdit(clearDraft = true) {
    if (!this.editing) return;
    const turn = this.editing;
    this.editing = null;
    this.editBanner.hidden = true;
    if (clearDraft && this.input.value === turn.message) this.setDraft("");
  }

  cancelInFlight() {
    this.cancelEdit(false);
    if (this.earlier) this.earlier.abort();
    this.earlier = null;
    this.hasMore = false;
    this.earlierRow.remove();
    if (this.loading) this.loading.abort();
    this.loading = null;
    if (this.streaming) this.streaming.abort();
    this.streaming = null;
    this.live = null;
    this.stoppedActions = null;
    this.setBusy(false);
  }

  setTitle(title) {
    if (title) this.title.textContent = title;
  }

  // --- rendering --------------------------------------------------------------------------

  userBubble(text, createdAt) {
    return h("li", { class: "msg msg-user" },
      h("div", { class: "bubble", title: createdAt ? fullDate(createdAt) : null },
        h("span", { class: "visually-hidden" }, "You: "),
        h("div", { class: "msg-text" }, text)));
  }

  assistantBubble(text, toolCalls, createdAt, error = null) {
    const trace = h("ul", { class: "trace", "aria-label": "What the assistant did" });
    for (const call of toolCalls || []) trace.append(renderTraceStep(call));
    trace.hidden = !trace.children.length;
    return h("li", { class: "msg msg-assistant" },
      h("div", { class: "avatar", "aria-hidden": "true" }, icon("logo")),
      h("div", { class: "bubble", title: createdAt ? fullDate(createdAt) : null },
        h("span", { class: "visually-hidden" }, "Assistant: "),
        trace,
        h("div", { class: "msg-text markdown" }, text ? renderMarkdown(text) : null),
        error ? h("p", { class: "msg-note" }, error) : null));
  }

  nearBottom() {
    const el = this.scroller;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  scrollToEnd(force = false) {
    if (force || this.nearBottom()) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  showError(err, retry) {
    const retryButton = h("button", { type: "button", class: "btn btn-small btn-secondary retry" },
      icon("retry"), h("span", {}, "Retry"));
    const node = h("li", { class: "msg msg-error live", role: "alert" },
      h("div", { class: "error-box" },
        h("p", { class: "error-text" }, err.detail || err.message || "Something went wrong."),
        retry ? retryButton : null));
    retryButton.addEventListener("click", () => {
      node.remove();
      retry();
    });
    this.messages.append(node);
    this.scrollToEnd(true);
    return node;
  }

  setBusy(busy) {
    const hadFocus = document.activeElement === (busy ? this.sendButton : this.stopButton);
    this.sendButton.disabled = busy || this.overLimit();
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.form.classList.toggle("busy", busy);
    if (hadFocus) (busy ? this.stopButton : this.input).focus();
  }

  /**
   * Stop the answer being streamed. The server stops the turn too if no tool has run yet (the
   * message stays, the stop is stored as its reply); once a tool ran, the server finishes the
   * turn and stores it, so the changes are never left half-recorded.
   */
  stop() {
    const live = this.live;
    if (!live || this.streaming !== live.controller) return;
    this.live = null;
    this.streaming = null;
    live.controller.abort();
    this.setBusy(false);
    live.typing.remove();
    const { reply, trace, turn } = live;
    reply.classList.remove("streaming");
    reply.removeAttribute("aria-busy");
    reply.classList.add("stopped");
    const ranTools = trace.children.length > 0;
    const bubble = reply.querySelector(".bubble");
    bubble.append(h("p", { class: "msg-note", role: "status" }, ranTools
      ? "Stopped. The steps above were done and are kept; the full answer is saved in this conversation."
      : "Stopped. Your message is saved."));
    const isNew = this.conversationId == null && turn.startedIn != null;
    if (isNew) this.conversationId = turn.startedIn;
    if (!ranTools) {
      const regenerate = h("button", { type: "button", class: "btn btn-small btn-secondary regenerate" },
        icon("retry"), h("span", {}, "Regenerate"));
      const edit = h("button", { type: "button", class: "btn btn-small btn-ghost edit-message" },
        icon("edit"), h("span", {}, "Edit message"));
      const actions = h("div", { class: "msg-actions" }, regenerate, edit);
      regenerate.addEventListener("click", () => {
        this.stoppedActions = null;
        this.cancelEdit();
        this.retry(turn); // same Idempotency-Key: the answer replaces the stored stop
      });
      edit.addEventListener("click", () => this.startEdit(turn));
      bubble.append(actions);
      this.stoppedActions = actions;
    }
    if (this.conversationId != null && (isNew || ranTools)) this.hooks.onTurnDone(this.conversationId, isNew);
    this.input.focus();
  }

  // --- a turn -----------------------------------------------------------------------------

  /** Send a message (a fresh turn). */
  send(text) {
    if (this.streaming || this.loading) return;
    const edited = this.editing;
    this.cancelEdit(false);
    // Only the last turn can be regenerated.
    if (this.stoppedActions) this.stoppedActions.remove();
    this.stoppedActions = null;
    // An edit takes the place of the stopped message and its answer.
    if (edited) for (const node of edited.nodes) node.remove();
    // A new message supersedes the last failed turn; its text was restored into the box.
    if (this.failed) {
      for (const node of this.failed.nodes) node.remove();
      this.failed = null;
    }
    const turn = {
      message: text, key: newKey(), conversationId: this.conversationId, nodes: [], editLast: Boolean(edited),
    };
    turn.userNode = this.userBubble(text);
    turn.userNode.classList.add("live");
    this.welcome.hidden = true;
    this.messages.append(turn.userNode);
    turn.nodes.push(turn.userNode);
    if (this.input.value === text) this.setDraft("");
    this.scrollToEnd(true);
    this.run(turn);
  }

  /** Retry a failed turn with the same body and Idempotency-Key. */
  retry(turn) {
    if (this.streaming) return;
    for (const node of turn.nodes) if (node !== turn.userNode) node.remove();
    turn.nodes = [turn.userNode];
    turn.userNode.classList.remove("failed");
    this.messages.append(turn.userNode); // keep it last
    if (this.input.value === turn.message) this.setDraft("");
    this.failed = null;
    this.run(turn);
  }

  async run(turn) {
    const controller = new AbortController();
    this.streaming = controller;
    this.setBusy(true);

    const reply = this.assistantBubble("", []);
    reply.classList.add("live", "streaming");
    reply.setAttribute("aria-busy", "true");
    const textEl = reply.querySelector(".msg-text");
    const trace = reply.querySelector(".trace");
    const typing = h("span", { class: "typing", role: "img", "aria-label": "Assistant is typing" }, h("i"), h("i"), h("i"));
    textEl.after(typing);
    this.messages.append(reply);
    turn.nodes.push(reply);
    this.live = { turn, controller, reply, trace, typing };
    this.scrollToEnd(true);
    let streamed = "";

    try {
      const done = await this.api.streamChat(
        {
          conversationId: turn.conversationId, message: turn.message, idempotencyKey: turn.key,
          signal: controller.signal, editLast: turn.editLast,
        },
        {
          onStart: (conversationId) => {
            turn.startedIn = conversationId;
          },
          onDelta: (text) => {
            const stick = this.nearBottom();
            streamed += text;
            textEl.replaceChildren(renderMarkdown(streamed));
            typing.remove();
            if (stick) this.scrollToEnd(true);
          },
          onToolCall: (call) => {
            trace.append(renderTraceStep(call));
            trace.hidden = false;
            this.scrollToEnd();
            this.hooks.onToolCall(call);
          },
        },
      );
      if (this.streaming !== controller) return;
      typing.remove();
      if (typeof done.response === "string" && done.response) textEl.replaceChildren(renderMarkdown(done.response));
      if (!trace.children.length && Array.isArray(done.tool_calls) && done.tool_calls.length) {
        for (const call of done.tool_calls) trace.append(renderTraceStep(call));
        trace.hidden = false;
      }
      this.live = null;
      reply.classList.remove("streaming");
      reply.removeAttribute("aria-busy");
      const isNew = turn.conversationId == null;
      if (done.conversation_id != null) this.conversationId = done.conversation_id;
      this.streaming = null;
      this.setBusy(false);
      this.scrollToEnd();
      this.hooks.onTurnDone(this.conversationId, isNew);
    } catch (err) {
      if (err && err.name === "AbortError") return;
      if (this.streaming !== controller) return;
      this.streaming = null;
      this.live = null;
      this.setBusy(false);
      typing.remove();
      reply.classList.remove("streaming");
      reply.removeAttribute("aria-busy");
      if (!streamed && !trace.children.length) {
        reply.remove();
        turn.nodes = turn.nodes.filter((node) => node !== reply);
      } else {
        reply.classList.add("interrupted");
        // Steps may have run before the failure: show their effect on the task list.
        if (trace.children.length) this.hooks.onTurnDone(this.conversationId, false);
      }
      if (err.messageSaved) {
        if (err.conversationId != null && this.conversationId == null) {
          this.conversationId = err.conversationId;
          this.hooks.onTurnDone(this.conversationId, true);
        }
        // The message is in the conversation already; Retry (same key) continues the turn, and a
        // new message leaves it in place. Only the error notice goes away then.
        const notice = this.showError(err, canRetry(err) ? () => this.retry(turn) : null);
        turn.nodes.push(notice);
        this.failed = { nodes: [notice] };
        return;
      }
      if (err.code === "not_editable" && this.conversationId != null) {
        // The answer stood after all (another tab, say): show the conversation as it is.
        if (!this.input.value.trim()) this.setDraft(turn.message);
        toast(err.detail, { kind: "error" });
        this.open(this.conversationId);
        return;
      }
      turn.userNode.classList.add("failed");
      // Never lose what the user typed: put it back unless they've started something new.
      if (!this.input.value.trim()) this.setDraft(turn.message);
      if (err.status === 401) return; // the app returns to the login screen; the draft is kept
      turn.nodes.push(this.showError(err, canRetry(err) ? () => this.retry(turn) : null));
      this.failed = turn;
    }
  }
}
