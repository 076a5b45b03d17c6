// The conversations sidebar: most recent first, open one, start a new one, delete one.

import { fullDate, h, icon, timeAgo, toast } from "./dom.js";

export class ConversationList {
  /**
   * @param {import("./api.js").Api} api
   * @param {{onOpen: (id: number) => void, onDeleted: (id: number) => void}} callbacks
   */
  constructor(api, { onOpen, onDeleted }) {
    this.api = api;
    this.onOpen = onOpen;
    this.onDeleted = onDeleted;
    this.items = [];
    this.activeId = null;
    this.confirmingId = null;
    this.list = document.getElementById("conversation-list");
    this.empty = document.getElementById("conversation-empty");
  }

  destroy() {
    this.list.replaceChildren();
    this.items = [];
  }

  /** Reload the list from the server. */
  async refresh() {
    try {
      const page = await this.api.listConversations();
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
        type: "button", class: "icon-btn small danger conversation-delete",
        "aria-label": `Delete conversation “${title}”`, title: "Delete conversation",
        onclick: () => this.askConfirm(item.id),
      }, icon("trash")),
    );
    return li;
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
