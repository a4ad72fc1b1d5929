// Signing in: an administrator's bearer token, checked with GET /v1/whoami
// and kept in this tab's sessionStorage until "Sign out". A page served as
// static files (no /v1) says so and points at the simulator.
import { errorBox, field, h } from "../ui/dom.js";
import { Api, ApiError, type Role } from "./api.js";

const KEY = "seatcap.admin.token";

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage refused (private mode): the session lasts as long as the page.
  }
}

export type AdminRole = Exclude<Role, { kind: "gateway" }>;

/** The role of `token`, or the reason it can't administer. */
export async function check(token: string): Promise<{ api: Api; role: AdminRole }> {
  const api = new Api(token);
  const role = await api.whoami();
  if (role.kind === "gateway") {
    throw new ApiError(
      403,
      "forbidden",
      "this token is for the mail gateway only and can't administer. Sign in with a server or domain administrator's token",
    );
  }
  return { api, role };
}

export function roleText(role: AdminRole): (HTMLElement | string)[] {
  return role.kind === "server-admin"
    ? [h("strong", {}, "server administrator")]
    : [
        h("strong", {}, "domain administrator"),
        " of ",
        h("strong", { class: "mono" }, role.domain),
      ];
}

/** The sign-in form; `signedIn` runs after the server accepted the token. */
export function signInForm(
  version: string | null,
  signedIn: (session: { api: Api; role: AdminRole }) => void,
  notice?: string,
): HTMLElement {
  const input = h("input", {
    type: "password",
    name: "token",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    minlength: 1,
  });
  const submit = h("button", { type: "submit" }, "Sign in");
  const answer = h("div", { "aria-live": "polite" }, notice ? errorBox(notice) : null);
  const form = h(
    "form",
    { class: "stack", "aria-labelledby": "signin-h" },
    field(
      "Administrator token",
      input,
      "A server administrator's token (seatcap serve --admin-token, or the one it printed) or a domain administrator's (--domain-token). Kept in this tab only, until you sign out.",
    ),
    h("div", { class: "row" }, submit),
    answer,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    submit.disabled = true;
    answer.replaceChildren(h("p", { class: "note", role: "status" }, "Checking the token…"));
    try {
      const session = await check(token);
      storeToken(token);
      signedIn(session);
    } catch (e) {
      const message =
        e instanceof ApiError && e.code === "unauthorized"
          ? "The server does not know this token."
          : e instanceof ApiError
            ? e.message
            : (e as Error).message;
      answer.replaceChildren(errorBox(`Not signed in: ${message}`));
      input.focus();
      input.select();
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => input.focus());
  return h(
    "section",
    { class: "panel signin" },
    h("h1", { id: "signin-h", tabindex: "-1" }, "Sign in to the admin console"),
    h(
      "p",
      { class: "note" },
      `Connected to the seatcap server${version ? ` ${version}` : ""} at ${location.host}. Its admin API is at /v1.`,
    ),
    form,
  );
}

/** Shown when no seatcap server answers beside the page. */
export function noServer(why: string): HTMLElement {
  return h(
    "section",
    { class: "panel no-server", "data-no-server": "" },
    h("h1", { tabindex: "-1" }, "Admin console"),
    h(
      "div",
      { class: "error", role: "alert" },
      h(
        "p",
        {},
        h("strong", {}, "No seatcap server here. "),
        `The admin console talks to a seatcap server's API at /v1 on this address, and ${why}: this page is probably served as static files.`,
      ),
    ),
    h(
      "p",
      {},
      "Start the server and open its address instead: ",
      h("code", {}, "npx seatcap serve --demo"),
      ".",
    ),
    h(
      "p",
      {},
      "The what-if simulator works without a server, entirely in this browser: ",
      h("a", { href: "#/sim", class: "button secondary" }, "Open the simulator"),
    ),
  );
}
