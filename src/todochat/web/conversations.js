// The conversations sidebar: most recent first, search, open one, start a new one, rename or
// delete one.

import { fullDate, h, icon, timeAgo, toast } from "./dom.js";

export class ConversationList {
  /**
   * @param {import("./api.js").Api} api
   * @param {{onOpen: (id: number) => void, onDeleted: (id: number) => void,
   *          onRenamed?: (id: number, title: string) => void}} callbacks
   */
  constructor(api, { onOpen, onDeleted, onRenamed }) {
    this.api = api;
    this.onOpen = onOpen;
    this.onDeleted = onDeleted;
    this.onRenamed = onRenamed || (() => {});
    this.items = [];
    this.activeId = null;
    this.confirmingId = null;
    this.renamingId = null;
    this.renameError = null;
    this.renameDraft = null;
    this.query = "";
    this.loads = 0; // numbers list requests, so a slow older answer never replaces a newer one
    this.list = document.getElementById("conversation-list");
    this.empty = document.getElementById("conversation-empty");
    this.search = document.getElementById("conversation-search");
    let timer = null;
    this.search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.query = this.search.value.trim();
        this.refresh();
      }, 200);
    });
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.search.value) {
        event.stopPropagation();
        this.search.value = "";
        this.query = "";
        this.refresh();
      }
    });
  }

  destroy() {
    this.list.replaceChildren();
    this.items = [];
    this.search.value = "";
    this.query = "";
    this.renamingId = null;
    this.confirmingId = null;
  }

  /** Reload the list from the server. */
  async refresh() {
    const load = ++this.loads;
    try {
      const page = await this.api.listConversations({ q: this.query });
      if (load !== this.loads) return;
      this.items = page.items || [];
      this.render();
    } catch (err) {
      if (err.status !== 401) toast(`Couldn't load conversations: ${err.detail}`, { kind: "error" });
    }
  }

  /** Mark which conversation is open (null for a new one). */
  setActive(conversationId) {
    this.activeId = conversationId;
    for (const item of this.list.querySelectorAll("[data-conversation-id]")) {
      const link = item.querySelector(".conversation-link");
      const active = Number(item.dataset.conversationId) === conversationId;
      item.classList.toggle("active", active);
      if (active) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  /** The title we know for a conversation, if it is in the list. */
  titleOf(conversationId) {
    const found = this.items.find((item) => item.id === conversationId);
    return found ? found.title : null;
  }

  render() {
    const focusedId = this.list.contains(document.activeElement)
      ? document.activeElement.closest("[data-conversation-id]")?.dataset.conversationId
      : null;
    this.list.replaceChildren(...this.items.map((item) => this.renderItem(item)));
    this.empty.hidden = this.items.length > 0;
    this.empty.textContent = this.query ? "No conversations match your search." : "No conversations yet.";
    if (focusedId) {
      const link = this.list.querySelector(`[data-conversation-id="${CSS.escape(focusedId)}"] .conversation-link`);
      if (link) link.focus();
    }
  }

  renderItem(item) {
    const title = item.title || "Untitled conversation";
    const active = item.id === this.activeId;
    const li = h("li", {
      class: `conversation${active ? " active" : ""}`,
      dataset: { conversationId: String(item.id) },
    });
    if (this.renamingId === item.id) {
      li.append(this.renameForm(item));
      return li;
    }
    if (this.confirmingId === item.id) {
      li.classList.add("confirming");
      const cancel = h("button", { type: "button", class: "btn btn-small btn-ghost", onclick: () => this.cancelConfirm() }, "Cancel");
      li.append(
        h("div", { class: "confirm" },
          h("span", { class: "confirm-text" }, "Delete this conversation?"),
          h("div", { class: "confirm-actions" },
            cancel,
            h("button", {
              type: "button", class: "btn btn-small btn-danger",
              onclick: () => this.remove(item),
            }, "Delete"),
          ),
        ),
      );
      li.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          this.cancelConfirm();
        }
      });
      queueMicrotask(() => cancel.focus());
      return li;
    }
    li.append(
      h("button", {
        type: "button", class: "conversation-link", "aria-current": active ? "page" : null,
        title, onclick: () => this.onOpen(item.id),
      },
        icon("chat", "conversation-icon"),
        h("span", { class: "conversation-text" },
          h("span", { class: "conversation-title" }, title),
          h("time", { class: "conversation-time", datetime: item.updated_at, title: fullDate(item.updated_at) },
            timeAgo(item.updated_at)),
        ),
      ),
      h("button", {
        type: "button", class: "icon-btn small conversation-rename",
        "aria-label": `Rename conversation “${title}”`, title: "Rename conversation",
        onclick: () => this.startRename(item.id),
      }, icon("edit")),
      h("button", {
        type: "button", class: "icon-btn small danger conversation-delete",
        "aria-label": `Delete conversation “${title}”`, title: "Delete conversation",
        onclick: () => this.askConfirm(item.id),
      }, icon("trash")),
    );
    return li;
  }

  renameForm(item) {
    const inputId = `rename-${item.id}`;
    const errorId = `rename-error-${item.id}`;
    const input = h("input", {
      id: inputId, type: "text", value: this.renameDraft ?? item.title ?? "", maxlength: "200", autocomplete: "off",
      "aria-invalid": this.renameError ? "true" : null, "aria-describedby": this.renameError ? errorId : null,
    });
    const form = h("form", { class: "rename-form", novalidate: true },
      h("label", { for: inputId, class: "visually-hidden" }, "Conversation title"),
      input,
      this.renameError ? h("p", { class: "rename-error", id: errorId, role: "alert" }, this.renameError) : null,
      h("div", { class: "rename-actions" },
        h("button", { type: "button", class: "btn btn-small btn-ghost", onclick: () => this.cancelRename() }, "Cancel"),
        h("button", { type: "submit", class: "btn btn-small btn-primary" }, "Save"),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.rename(item, input.value);
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.cancelRename();
      }
    });
    const retrying = this.renameError != null;
    queueMicrotask(() => {
      input.focus();
      if (!retrying) input.select(); // after a refusal, keep the caret in what was typed
    });
    return form;
  }

  startRename(conversationId) {
    this.confirmingId = null;
    this.renamingId = conversationId;
    this.renameError = null;
    this.renameDraft = null;
    this.render();
  }

  cancelRename() {
    const id = this.renamingId;
    this.renamingId = null;
    this.renameError = null;
    this.renameDraft = null;
    this.render();
    const button = this.list.querySelector(`[data-conversation-id="${id}"] .conversation-rename`);
    if (button) button.focus();
  }

  async rename(item, title) {
    let renamed;
    try {
      renamed = await this.api.renameConversation(item.id, title);
    } catch (err) {
      if (err.status === 401) return;
      if (err.status === 404) {
        this.renamingId = null;
        this.items = this.items.filter((other) => other.id !== item.id);
        this.render();
        toast("That conversation no longer exists.", { kind: "error" });
        return;
      }
      // The server's reason ("The title is empty."), without the field prefix.
      this.renameError = String(err.detail || "Couldn't rename the conversation.").replace(/^title: /, "");
      this.renameDraft = title; // what was typed stays in the field
      this.render();
      return;
    }
    Object.assign(item, renamed);
    this.renamingId = null;
    this.renameError = null;
    this.renameDraft = null;
    this.render();
    const button = this.list.querySelector(`[data-conversation-id="${item.id}"] .conversation-link`);
    if (button) button.focus();
    toast("Conversation renamed");
    this.onRenamed(item.id, renamed.title);
  }

  askConfirm(conversationId) {
    this.confirmingId = conversationId;
    this.render();
  }

  cancelConfirm() {
    const id = this.confirmingId;
    this.confirmingId = null;
    this.render();
    const link = this.list.querySelector(`[data-conversation-id="${id}"] .conversation-delete`);
    if (link) link.focus();
  }

  async remove(item) {
    this.confirmingId = null;
    try {
      await this.api.deleteConversation(item.id);
    } catch (err) {
      // 404: already gone (deleted in another tab), which is what the user wanted anyway.
      if (err.status !== 404) {
        this.render();
        if (err.status !== 401) toast(`Couldn't delete the conversation: ${err.detail}`, { kind: "error" });
        return;
      }
    }
    this.items = this.items.filter((other) => other.id !== item.id);
    this.render();
    const next = this.list.querySelector(".conversation-link") || document.getElementById("new-conversation");
    if (next) next.focus();
    toast("Conversation deleted");
    this.onDeleted(item.id);
  }
}
