// Settings → Connected apps: the assistants (MCP clients) the user allowed through OAuth, and a
// Disconnect button for each (its tokens stop working at once).

import { h } from "./dom.js";

const SCOPE_WORDS = { "tasks:read": "read", "tasks:write": "change" };

export class ConnectedApps {
  /** api: the session's Api; list: the <ul> to fill; error: where a failure is shown. */
  constructor(api, list, error) {
    this.api = api;
    this.list = list;
    this.error = error;
  }

  /** Load the apps and show them. */
  async refresh() {
    this.error.hidden = true;
    try {
      const page = await this.api.request("GET", this.api.userPath("/connected-apps"));
      this.show(page.items);
    } catch (err) {
      this.fail(err);
    }
  }

  show(apps) {
    if (apps.length === 0) {
      this.list.replaceChildren(h("li", { class: "field-hint" }, "No apps connected."));
      return;
    }
    this.list.replaceChildren(
      ...apps.map((app) => {
        const can = app.scopes.map((scope) => SCOPE_WORDS[scope] || scope).join(" and ");
        const since = new Date(app.created_at).toLocaleDateString();
        const button = h(
          "button",
          { type: "button", class: "btn btn-secondary btn-small", "aria-label": `Disconnect ${app.client_name}` },
          "Disconnect",
        );
        button.addEventListener("click", () => this.disconnect(app, button));
        return h(
          "li",
          { class: "connected-app" },
          h("span", { class: "connected-app-name" }, app.client_name),
          h("span", { class: "field-hint" }, `Can ${can} your tasks · since ${since}`),
          button,
        );
      }),
    );
  }

  async disconnect(app, button) {
    button.disabled = true;
    try {
      await this.api.request("DELETE", this.api.userPath(`/connected-apps/${encodeURIComponent(app.id)}`));
      await this.refresh();
    } catch (err) {
      button.disabled = false;
      this.fail(err);
    }
  }

  fail(err) {
    this.error.textContent = err.detail || err.message;
    this.error.hidden = false;
  }
}
