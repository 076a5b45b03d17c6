// Entry point: sign in / sign up, then wire the conversations sidebar, the chat and the tasks panel.

import { Api, clearSession, loadSession, saveSession, setUnauthorizedHandler } from "./api.js";
import { ChatView } from "./chat.js";
import { ConversationList } from "./conversations.js";
import { setDisplayTimeZone, toast } from "./dom.js";
import { ReminderListener, setupNotificationButton } from "./reminders.js";
import { QuickAdd } from "./quickadd.js";
import { SettingsDialog } from "./settings.js";
import { TasksPanel } from "./tasks.js";

const NOTICE_KEY = "todochat.notice"; // a message to show on the next page load (sessionStorage)
const DRAFT_KEY = "todochat.draft";
const conversationKey = (userId) => `todochat.conversation.${userId}`;

const authView = document.getElementById("auth-view");
const appView = document.getElementById("app-view");

// --- signed out ---------------------------------------------------------------------------

function showAuth() {
  appView.hidden = true;
  authView.hidden = false;
  document.title = "Log in · todochat";
  const notice = sessionStorage.getItem(NOTICE_KEY);
  if (notice) {
    sessionStorage.removeItem(NOTICE_KEY);
    showAuthError(notice);
  }
  document.getElementById("auth-email").focus();
}

function showAuthError(message) {
  const el = document.getElementById("auth-error");
  el.textContent = message;
  el.hidden = !message;
}

function setupAuthForm() {
  const form = document.getElementById("auth-form");
  const email = document.getElementById("auth-email");
  const password = document.getElementById("auth-password");
  const buttons = form.querySelectorAll("button[type=submit]");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter?.dataset.action === "signup" ? "signup" : "login";
    const emailValue = email.value.trim();
    const passwordValue = password.value;
    for (const input of [email, password]) input.removeAttribute("aria-invalid");

    let problem = "";
    if (!emailValue || !emailValue.includes("@")) {
      problem = "Enter your email address.";
      email.setAttribute("aria-invalid", "true");
    } else if (!passwordValue) {
      problem = "Enter your password.";
      password.setAttribute("aria-invalid", "true");
    } else if (action === "signup" && passwordValue.length < 8) {
      problem = "Choose a password of at least 8 characters.";
      password.setAttribute("aria-invalid", "true");
    }
    if (problem) {
      showAuthError(problem);
      (email.getAttribute("aria-invalid") ? email : password).focus();
      return;
    }

    showAuthError("");
    form.setAttribute("aria-busy", "true");
    for (const button of buttons) button.disabled = true;
    try {
      const api = new Api(null);
      const result = action === "signup"
        ? await api.signup(emailValue, passwordValue)
        : await api.login(emailValue, passwordValue);
      const session = { token: result.access_token, user: result.user };
      saveSession(session);
      password.value = "";
      startApp(session);
    } catch (err) {
      let message = err.detail || "Something went wrong. Please try again.";
      if (action === "login" && err.status === 401) message = err.detail || "Wrong email or password.";
      showAuthError(message);
      password.focus();
    } finally {
      form.removeAttribute("aria-busy");
      for (const button of buttons) button.disabled = false;
    }
  });
}

// --- signed in ----------------------------------------------------------------------------

function signOut({ notice = "", keepDraft = false } = {}) {
  clearSession();
  if (!keepDraft) localStorage.removeItem(DRAFT_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  // A fresh page is the simplest way to drop every piece of signed-in state.
  location.replace(location.pathname);
}

function startApp(session) {
  const api = new Api(session);
  setUnauthorizedHandler(() => signOut({ notice: "Your session has expired. Please log in again.", keepDraft: true }));

  authView.hidden = true;
  appView.hidden = false;
  document.title = "todochat";
  const chip = document.getElementById("user-chip");
  const showUser = (user) => {
    chip.textContent = user.name || user.email;
    chip.title = user.email;
    // Due times and reminders are shown in the account's zone, not the device's.
    setDisplayTimeZone(user.time_zone);
  };
  showUser(session.user);

  const drawers = setupDrawers();
  const tasks = new TasksPanel(api);
  new QuickAdd(api, { onAdded: () => tasks.refresh() });
  // The account as the server last described it: after a change, the session and every date
  // shown follow it.
  const setUser = (user) => {
    const zoneChanged = user.time_zone !== session.user.time_zone;
    session.user = user;
    saveSession(session);
    showUser(user);
    if (zoneChanged) tasks.render();
  };
  const settings = new SettingsDialog(api, {
    getUser: () => session.user,
    onUserChange: setUser,
    onImported: () => {
      tasks.refresh();
      conversations.refresh();
    },
    onAccountDeleted: () => signOut({ notice: "Your account and all its data have been deleted." }),
  });
  document.getElementById("open-settings").addEventListener("click", (event) => {
    drawers.closeAll();
    settings.open(event.currentTarget);
  });
  let refreshTimer = null;
  const refreshTasksSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => tasks.refresh(), 150);
  };

  const conversations = new ConversationList(api, {
    onOpen: (id) => {
      drawers.closeAll();
      if (id !== chat.conversationId || chat.failed) chat.open(id);
      chat.focus();
    },
    onDeleted: (id) => {
      if (id === chat.conversationId) chat.startNew();
    },
    onRenamed: (id, title) => {
      if (id === chat.conversationId) chat.setTitle(title);
    },
  });

  const chat = new ChatView(api, {
    onConversationChange: (id) => {
      conversations.setActive(id);
      if (id == null) localStorage.removeItem(conversationKey(session.user.id));
      else localStorage.setItem(conversationKey(session.user.id), String(id));
    },
    titleOf: (id) => conversations.titleOf(id),
    onToolCall: () => refreshTasksSoon(),
    onTurnDone: async (conversationId, isNew) => {
      refreshTasksSoon();
      if (isNew && conversationId != null) {
        localStorage.setItem(conversationKey(session.user.id), String(conversationId));
      }
      await conversations.refresh();
      // The user may have moved on to another conversation while the list loaded.
      if (chat.conversationId === conversationId) chat.setTitle(conversations.titleOf(conversationId));
    },
  });

  document.getElementById("new-conversation").addEventListener("click", () => {
    drawers.closeAll();
    chat.startNew();
    chat.focus();
  });
  document.getElementById("logout").addEventListener("click", () => signOut());

  // Synchronously, so nothing the user starts meanwhile can be replaced when a request returns.
  const saved = Number(localStorage.getItem(conversationKey(session.user.id)));
  if (saved) chat.open(saved);
  else chat.startNew();
  conversations.refresh();
  tasks.refresh();
  chat.focus();

  // The server's message limit: the composer warns before it and will not send past it.
  api.limits().then((limits) => chat.setLimit(limits.max_message_chars)).catch(() => {});
  // Reminders as they fire (and those missed while away): a toast, a notification if allowed.
  new ReminderListener(api, { onReminder: () => refreshTasksSoon() }).start();
  setupNotificationButton(document.getElementById("enable-notifications"));

  // Check the stored token is still good (and pick up a name or zone changed elsewhere, e.g.
  // the terminal chat's /tz); 401 signs out.
  api.me().then((user) => {
    if (user && user.id === session.user.id) setUser(user);
  }).catch(() => {});
}

// --- drawers on small screens --------------------------------------------------------------

function setupDrawers() {
  const scrim = document.getElementById("scrim");
  const pairs = [
    { toggle: document.getElementById("toggle-sidebar"), drawer: document.getElementById("sidebar"), query: matchMedia("(max-width: 759px)") },
    { toggle: document.getElementById("toggle-tasks"), drawer: document.getElementById("tasks-panel"), query: matchMedia("(max-width: 1099px)") },
  ];
  let opened = null;

  function close({ restoreFocus = true } = {}) {
    if (!opened) return;
    const { toggle, drawer } = opened;
    drawer.classList.remove("open");
    toggle.setAttribute("aria-expanded", "false");
    scrim.hidden = true;
    opened = null;
    if (restoreFocus) toggle.focus();
  }

  function open(pair) {
    if (opened) close({ restoreFocus: false });
    pair.drawer.classList.add("open");
    pair.toggle.setAttribute("aria-expanded", "true");
    scrim.hidden = false;
    opened = pair;
    const first = pair.drawer.querySelector("button, input, [tabindex]:not([tabindex='-1'])");
    // Wait for the slide-in to make the drawer focusable (it is visibility:hidden while closed).
    requestAnimationFrame(() => first && first.focus());
  }

  for (const pair of pairs) {
    pair.toggle.addEventListener("click", () => (opened === pair ? close() : open(pair)));
    pair.query.addEventListener("change", () => {
      if (opened === pair && !pair.query.matches) close({ restoreFocus: false });
    });
  }
  document.getElementById("close-tasks").addEventListener("click", () => close());
  scrim.addEventListener("click", () => close());
  document.addEventListener("keydown", (event) => {
    // A dialog open over a drawer handles its own Escape (it closes, the drawer stays).
    if (event.key === "Escape" && opened && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      close();
    }
  });

  return { closeAll: () => close({ restoreFocus: false }) };
}

// --- boot -----------------------------------------------------------------------------------

setupAuthForm();
const session = loadSession();
if (session) startApp(session);
else showAuth();

// Surface unexpected errors instead of failing silently.
window.addEventListener("unhandledrejection", (event) => {
  const reason = event.reason;
  if (reason && reason.name === "AbortError") return;
  console.error(reason);
  if (reason && reason.status !== 401) toast("Something went wrong. Please try again.", { kind: "error" });
});
