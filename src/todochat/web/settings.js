// Account settings: name and time zone (PATCH /api/auth/me), password (POST /api/auth/password).
// A native <dialog>: modal, focus kept inside, Escape closes, focus returns to the opener.

import { ConnectedApps } from "./connected-apps.js";
import { browserTimeZone, h, toast } from "./dom.js";

const MIN_PASSWORD = 8;

/** The IANA zones the browser knows, plus `extra` zones (the account's own) if it lacks them. */
function timeZones(...extra) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  return [...new Set([...zones, "UTC", ...extra.filter(Boolean)])].sort();
}

/** "GMT+1", "GMT-5:30": the zone's offset now, for the option labels. */
function offsetOf(zone, now) {
  try {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "shortOffset" }).formatToParts(now);
    return parts.find((part) => part.type === "timeZoneName")?.value || "";
  } catch {
    return "";
  }
}

function zoneLabel(zone, now) {
  const offset = offsetOf(zone, now);
  const name = zone.replaceAll("_", " ");
  return offset ? `${name} (${offset})` : name;
}

function showMessage(el, message) {
  el.textContent = message;
  el.hidden = !message;
}

export class SettingsDialog {
  /**
   * api: the session's Api; getUser(): the signed-in user; onUserChange(user): called with the
   * account as the server returned it after a change; onImported(): after an import added data;
   * onAccountDeleted(): once the account is gone.
   */
  constructor(api, { getUser, onUserChange, onImported, onAccountDeleted }) {
    this.api = api;
    this.getUser = getUser;
    this.onUserChange = onUserChange;
    this.onImported = onImported;
    this.onAccountDeleted = onAccountDeleted;
    document.body.append(document.getElementById("settings-template").content.cloneNode(true));
    this.dialog = document.getElementById("settings-dialog");
    this.opener = null;

    this.profileForm = document.getElementById("profile-form");
    this.name = document.getElementById("settings-name");
    this.zone = document.getElementById("settings-time-zone");
    this.browserZone = document.getElementById("browser-zone");
    this.browserZoneText = document.getElementById("browser-zone-text");
    this.useBrowserZone = document.getElementById("use-browser-zone");
    this.profileError = document.getElementById("profile-error");
    this.profileStatus = document.getElementById("profile-status");

    this.passwordForm = document.getElementById("password-form");
    this.username = document.getElementById("settings-username");
    this.current = document.getElementById("current-password");
    this.next = document.getElementById("new-password");
    this.passwordError = document.getElementById("password-error");
    this.passwordStatus = document.getElementById("password-status");

    this.dataError = document.getElementById("data-error");
    this.dataStatus = document.getElementById("data-status");
    this.importForm = document.getElementById("import-form");
    this.importFile = document.getElementById("import-file");
    this.apps = new ConnectedApps(
      api,
      document.getElementById("connected-apps"),
      document.getElementById("apps-error"),
    );
    this.deleteForm = document.getElementById("delete-account-form");
    this.deletePassword = document.getElementById("delete-account-password");
    this.deleteError = document.getElementById("delete-account-error");

    document.getElementById("export-json").addEventListener("click", () => this.download("json"));
    document.getElementById("export-csv").addEventListener("click", () => this.download("csv"));
    this.importForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.importChosenFile();
    });
    this.deleteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.deleteAccount();
    });
    this.dialog.querySelector("[data-close]").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => this.onClose());
    // A click on the backdrop (outside the dialog's box) closes it, as Escape does.
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.dialog.close();
    });
    this.zone.addEventListener("change", () => this.updateBrowserZone());
    this.useBrowserZone.addEventListener("click", () => {
      this.zone.value = browserTimeZone();
      this.updateBrowserZone();
      this.zone.focus();
    });
    this.profileForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveProfile();
    });
    this.passwordForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.savePassword();
    });
  }

  /** Open with the fields filled from the current account. */
  open(opener = document.activeElement) {
    this.opener = opener;
    const user = this.getUser();
    this.name.value = user.name || "";
    this.fillZones(user.time_zone);
    this.username.value = user.email;
    for (const el of [this.profileError, this.passwordError, this.dataError, this.deleteError]) showMessage(el, "");
    for (const el of [this.profileStatus, this.passwordStatus, this.dataStatus]) el.textContent = "";
    for (const input of [this.name, this.zone, this.current, this.next, this.importFile, this.deletePassword]) {
      input.removeAttribute("aria-invalid");
    }
    this.current.value = "";
    this.next.value = "";
    this.importFile.value = "";
    this.deletePassword.value = "";
    this.dialog.showModal();
    this.name.focus();
    this.apps.refresh();
  }

  onClose() {
    this.current.value = "";
    this.next.value = "";
    this.deletePassword.value = "";
    if (this.opener && this.opener.isConnected) this.opener.focus();
    this.opener = null;
  }

  fillZones(selected) {
    const now = new Date();
    const browser = browserTimeZone();
    this.zone.replaceChildren(
      ...timeZones(selected, browser).map((zone) => h("option", { value: zone }, zoneLabel(zone, now))),
    );
    this.zone.value = selected;
    this.updateBrowserZone();
  }

  /** Offer the browser's zone when the one selected differs from it. */
  updateBrowserZone() {
    const browser = browserTimeZone();
    const differs = this.zone.value !== browser;
    this.browserZone.hidden = !differs;
    if (differs) {
      this.browserZoneText.textContent = `This device is set to ${browser.replaceAll("_", " ")}.`;
      this.useBrowserZone.textContent = `Use ${browser.replaceAll("_", " ")}`;
    }
  }

  async saveProfile() {
    const user = this.getUser();
    const fields = {};
    const name = this.name.value.trim();
    if (name !== (user.name || "")) fields.name = name;
    if (this.zone.value !== user.time_zone) fields.time_zone = this.zone.value;
    showMessage(this.profileError, "");
    this.profileStatus.textContent = "";
    if (Object.keys(fields).length === 0) {
      this.profileStatus.textContent = "Nothing to change.";
      return;
    }
    // Not disabled while it runs: that would drop the keyboard focus.
    if (this.profileForm.getAttribute("aria-busy")) return;
    this.profileForm.setAttribute("aria-busy", "true");
    try {
      const updated = await this.api.updateMe(fields);
      this.onUserChange(updated);
      this.name.value = updated.name || "";
      this.updateBrowserZone();
      // Said inside the dialog: a modal dialog leaves the page's toasts dimmed and unannounced.
      this.profileStatus.textContent = fields.time_zone
        ? `Saved. Times are now shown in ${updated.time_zone.replaceAll("_", " ")}.`
        : "Saved.";
    } catch (err) {
      if (err.status === 401) return;
      const detail = err.detail || "Couldn't save. Please try again.";
      showMessage(this.profileError, detail);
      const field = /time_zone/.test(detail) ? this.zone : /name/.test(detail) ? this.name : null;
      if (field) {
        field.setAttribute("aria-invalid", "true");
        field.focus();
      }
    } finally {
      this.profileForm.removeAttribute("aria-busy");
    }
  }

  async savePassword() {
    for (const input of [this.current, this.next]) input.removeAttribute("aria-invalid");
    showMessage(this.passwordError, "");
    this.passwordStatus.textContent = "";
    const problem = (input, message) => {
      input.setAttribute("aria-invalid", "true");
      showMessage(this.passwordError, message);
      input.focus();
    };
    if (!this.current.value) return problem(this.current, "Enter your current password.");
    if (this.next.value.length < MIN_PASSWORD) {
      return problem(this.next, `Choose a new password of at least ${MIN_PASSWORD} characters.`);
    }
    // Not disabled while it runs: that would drop the keyboard focus.
    if (this.passwordForm.getAttribute("aria-busy")) return;
    this.passwordForm.setAttribute("aria-busy", "true");
    try {
      await this.api.changePassword(this.current.value, this.next.value);
      this.current.value = "";
      this.next.value = "";
      this.passwordStatus.textContent = "Password changed. Use the new one next time you log in.";
    } catch (err) {
      if (err.status === 401) return;
      const detail = err.detail || "Couldn't change the password. Please try again.";
      if (/current_password/.test(detail)) problem(this.current, "The current password is wrong.");
      else if (/new_password/.test(detail)) problem(this.next, detail.replace(/^.*new_password:\s*/, ""));
      else showMessage(this.passwordError, detail);
    } finally {
      this.passwordForm.removeAttribute("aria-busy");
    }
  }

  /** Save the export as a file the browser downloads. */
  async download(format) {
    showMessage(this.dataError, "");
    this.dataStatus.textContent = "";
    try {
      const { blob, name } = await this.api.exportFile(format);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.dataStatus.textContent = `Downloaded ${name}.`;
    } catch (err) {
      if (err.status !== 401) showMessage(this.dataError, err.detail || "Couldn't download. Please try again.");
    }
  }

  async importChosenFile() {
    showMessage(this.dataError, "");
    this.dataStatus.textContent = "";
    this.importFile.removeAttribute("aria-invalid");
    const [file] = this.importFile.files;
    if (!file) {
      this.importFile.setAttribute("aria-invalid", "true");
      showMessage(this.dataError, "Choose a file to import.");
      this.importFile.focus();
      return;
    }
    const submit = this.importForm.querySelector("button[type=submit]");
    submit.disabled = true;
    this.importForm.setAttribute("aria-busy", "true");
    try {
      const result = await this.api.importFile(file);
      const added = [`${result.tasks} task${result.tasks === 1 ? "" : "s"}`];
      if (result.conversations) {
        added.push(`${result.conversations} conversation${result.conversations === 1 ? "" : "s"}`);
      }
      const notes = result.warnings.length ? ` ${result.warnings.join(" ")}` : "";
      this.dataStatus.textContent = `Imported ${added.join(" and ")}.${notes}`;
      this.importFile.value = "";
      toast(`Imported ${added.join(" and ")}`);
      this.onImported?.();
    } catch (err) {
      if (err.status === 401) return;
      this.importFile.setAttribute("aria-invalid", "true");
      showMessage(this.dataError, `Nothing was imported: ${err.detail || "please try again."}`);
    } finally {
      submit.disabled = false;
      this.importForm.removeAttribute("aria-busy");
    }
  }

  async deleteAccount() {
    showMessage(this.deleteError, "");
    this.deletePassword.removeAttribute("aria-invalid");
    const problem = (message) => {
      this.deletePassword.setAttribute("aria-invalid", "true");
      showMessage(this.deleteError, message);
      this.deletePassword.focus();
    };
    if (!this.deletePassword.value) return problem("Enter your password to confirm.");
    const submit = this.deleteForm.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      await this.api.deleteAccount(this.deletePassword.value);
      this.deletePassword.value = "";
      this.onAccountDeleted?.();
    } catch (err) {
      if (err.status === 401) return;
      problem(/password/.test(err.detail || "") ? "The password is wrong." : err.detail || "Couldn't delete the account.");
    } finally {
      submit.disabled = false;
    }
  }
}
