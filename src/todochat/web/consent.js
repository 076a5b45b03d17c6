// The OAuth consent page: sign in if needed, show what the app asks for, send Allow or Deny.
// The decision goes to the API with the session's bearer token (never a cookie), so another
// site cannot submit it on the user's behalf.

import { Api, ApiError, clearSession, loadSession, saveSession } from "./api.js";

const requestId = new URLSearchParams(location.search).get("request") || "";
const byId = (id) => document.getElementById(id);

function showError(message) {
  const error = byId("consent-error");
  error.textContent = message;
  error.hidden = false;
}

function showLogin() {
  byId("consent").hidden = true;
  byId("login-form").hidden = false;
  byId("login-email").focus();
}

async function showRequest(session) {
  const api = new Api(session);
  let request;
  try {
    request = await api.request("GET", `/api/oauth/requests/${encodeURIComponent(requestId)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      clearSession();
      showLogin();
      return;
    }
    showError(err.detail || err.message);
    return;
  }
  byId("client-name").textContent = request.client_name;
  byId("redirect-host").textContent = request.redirect_host;
  byId("user-email").textContent = session.user.email;
  const list = byId("scopes");
  list.replaceChildren(
    ...request.scopes.map((scope) => {
      const item = document.createElement("li");
      item.textContent = scope.description;
      item.title = scope.name;
      return item;
    }),
  );
  byId("login-form").hidden = true;
  byId("consent").hidden = false;
  byId("allow").onclick = () => decide(api, "allow");
  byId("deny").onclick = () => decide(api, "deny");
}

async function decide(api, decision) {
  byId("allow").disabled = true;
  byId("deny").disabled = true;
  try {
    const answer = await api.request("POST", `/api/oauth/requests/${encodeURIComponent(requestId)}`, {
      body: { decision },
    });
    const status = byId("consent-status");
    status.textContent = decision === "allow" ? "Allowed. Returning to the app…" : "Denied. Returning to the app…";
    status.hidden = false;
    byId("consent").hidden = true;
    location.assign(answer.redirect_to);
  } catch (err) {
    showError(err.detail || err.message);
  }
}

byId("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  byId("consent-error").hidden = true;
  const email = byId("login-email").value.trim();
  const password = byId("login-password").value;
  try {
    const answer = await new Api(null).request("POST", "/api/auth/login", {
      body: { email, password },
      auth: false,
    });
    const session = { token: answer.access_token, user: answer.user };
    saveSession(session);
    await showRequest(session);
  } catch (err) {
    showError(err.detail || err.message);
  }
});

byId("switch-account").addEventListener("click", () => {
  clearSession();
  showLogin();
});

if (!requestId) {
  showError("This page is opened by an app asking to connect to your todo list.");
} else {
  const session = loadSession();
  if (session) showRequest(session);
  else showLogin();
}
