// Log-in, then (after a one-time password) the required password change; then on to the page asked for.
import { api, context, say, showError } from "./common.js";

const go = () => location.assign(context.next || "/overview");
let oldPassword = "";

document.getElementById("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  oldPassword = document.getElementById("password").value;
  try {
    const r = await api("POST", "/api/auth/login", { username: document.getElementById("username").value, password: oldPassword });
    context.csrf = r.csrf_token;
    if (r.account.must_change_password) {
      document.getElementById("login-form").hidden = true;
      document.getElementById("password-form").hidden = false;
      say("login.must_change");
      document.getElementById("new-password").focus();
    } else go();
  } catch (err) {
    showError(err);
  }
});

document.getElementById("password-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await api("POST", "/api/auth/password", { old_password: oldPassword, new_password: document.getElementById("new-password").value });
    go();
  } catch (err) {
    showError(err);
  }
});
