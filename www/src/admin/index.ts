// The admin console, against the seatcap server's admin API on the same
// origin. Routes (after #/admin):
//   (none), seats              every feature's seat use
//   seats/<feature>            holders in claim order, capped (restore), waiting list
//   directory                  server defaults and domains
//   directory/<d>              a domain: settings, classes, accounts (paged, search)
//   directory/<d>/class/<c>    a class's settings
//   accounts/<id>              one account: per feature setting, effective, source, seat, capped
//   log                        the audit log
//   licence                    the licence in force; upload a new one
// A setting is changed in two steps: a preview simulated from the live
// state in the engine worker, then Apply (settings.ts).
import type { Route, Unmount } from "../main.js";
import { h, replace } from "../ui/dom.js";
import { ApiError, health, type Api } from "./api.js";
import {
  type Ctx,
  type Flash,
  type View,
  failed,
  flashBox,
  href,
  isAbort,
  loading,
} from "./common.js";
import { accountView, directoryView, domainView } from "./directory.js";
import { licenceView } from "./licence.js";
import { logView } from "./log.js";
import { featureSeatsView, seatsOverview } from "./seats.js";
import {
  type AdminRole,
  check,
  noServer,
  roleText,
  signInForm,
  storedToken,
  storeToken,
} from "./session.js";

type Section = "seats" | "directory" | "log" | "licence";

function pick(route: Route): { section: Section; view: View } | undefined {
  const [first = "seats", second] = route.path;
  if (first === "seats")
    return { section: "seats", view: second === undefined ? seatsOverview : featureSeatsView };
  if (first === "directory")
    return { section: "directory", view: second === undefined ? directoryView : domainView };
  if (first === "accounts" && second !== undefined)
    return { section: "directory", view: accountView };
  if (first === "log") return { section: "log", view: logView };
  if (first === "licence") return { section: "licence", view: licenceView };
  return undefined;
}

export function mountAdmin(
  root: HTMLElement,
  initial: Route,
): { unmount?: Unmount; update?: (route: Route) => void } {
  let route = initial;
  let session: { api: Api; role: AdminRole } | undefined;
  let version: string | null = null;
  let current: AbortController | undefined;
  const life = new AbortController();
  const shell = h("div", { class: "admin" });
  root.append(shell);

  const signIn = (notice?: string) => {
    session = undefined;
    current?.abort();
    replace(
      shell,
      signInForm(
        version,
        (s) => {
          session = s;
          frame();
          show(true);
        },
        notice,
      ),
    );
  };

  const signOut = () => {
    storeToken(null);
    signIn();
  };

  // The signed-in frame: who you are, sign out, the sections.
  const nav = h("nav", { class: "admin-nav", "aria-label": "Admin console" });
  const flashSlot = h("div", { class: "flash-slot" });
  const viewRoot = h("div", { class: "admin-view" });
  const frame = () => {
    if (!session) return;
    const out = h("button", { type: "button", class: "secondary", "data-signout": "" }, "Sign out");
    out.addEventListener("click", signOut);
    replace(
      shell,
      h(
        "div",
        { class: "admin-bar", "data-role": session.role.kind },
        h(
          "p",
          { class: "who" },
          "Signed in as ",
          roleText(session.role),
          version ? h("span", { class: "note" }, ` · seatcap ${version}`) : null,
        ),
        out,
      ),
      nav,
      flashSlot,
      viewRoot,
    );
  };

  const drawNav = (section: Section | undefined) => {
    const links: [Section, string, string][] = [
      ["seats", "Seats", href.seats()],
      ["directory", "Directory", href.directory()],
      ["log", "Audit log", href.log()],
      ["licence", "Licence", href.licence()],
    ];
    replace(
      nav,
      h(
        "ul",
        {},
        links.map(([id, text, link]) =>
          h(
            "li",
            {},
            h(
              "a",
              { href: link, "aria-current": id === section ? "page" : null, "data-nav": id },
              text,
            ),
          ),
        ),
      ),
    );
  };

  /** Renders the route's view; `focus` moves focus to its heading (a navigation, not a refresh). */
  const show = (focus: boolean, flash?: Flash) => {
    if (!session) return;
    current?.abort();
    const controller = new AbortController();
    current = controller;
    const picked = pick(route);
    drawNav(picked?.section);
    replace(flashSlot);
    const ctx: Ctx = {
      api: session.api,
      role: session.role,
      scope: session.role.kind === "domain-admin" ? session.role.domain : undefined,
      signal: controller.signal,
      route,
      refresh: (message) => show(false, message),
    };
    if (!picked) {
      replace(
        viewRoot,
        h("h1", { tabindex: "-1" }, "Not found"),
        h(
          "p",
          {},
          "No such page in the admin console. ",
          h("a", { href: href.seats() }, "Go to Seats"),
        ),
      );
      return;
    }
    const target = h("div", { class: "view" });
    replace(viewRoot, loading());
    const started = picked.view(ctx, target);
    // Show the view once it has its data, so it appears whole.
    void started
      .then(() => {
        if (controller.signal.aborted) return;
        replace(viewRoot, target);
        if (flash) {
          // What a write did, shown with the view it changed; focus goes there so a keyboard user hears it.
          const box = flashBox(flash);
          box.setAttribute("tabindex", "-1");
          replace(flashSlot, box);
          box.focus();
        } else if (focus) target.querySelector<HTMLElement>("h1")?.focus();
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted || isAbort(e)) return;
        if (e instanceof ApiError && e.code === "unauthorized") {
          storeToken(null);
          signIn("The server no longer accepts this token: sign in again.");
          return;
        }
        replace(viewRoot, h("h1", { tabindex: "-1" }, "Could not load this page"), failed(e));
      });
  };

  const start = async () => {
    replace(shell, loading("Looking for the seatcap server…"));
    const found = await health(life.signal);
    if (life.signal.aborted) return;
    if (!found.ok) {
      replace(shell, noServer(found.why));
      return;
    }
    version = found.version;
    const token = storedToken();
    if (!token) return signIn();
    try {
      session = await check(token);
    } catch (e) {
      if (life.signal.aborted) return;
      storeToken(null);
      return signIn(
        e instanceof ApiError && e.code === "unauthorized"
          ? "The server no longer accepts the saved token: sign in again."
          : `Not signed in: ${(e as Error).message}`,
      );
    }
    if (life.signal.aborted) return;
    frame();
    show(false);
  };

  start().catch((e: unknown) => {
    if (!isAbort(e)) replace(shell, failed(e));
  });

  return {
    unmount: () => {
      life.abort();
      current?.abort();
    },
    update: (next) => {
      route = next;
      show(true);
    },
  };
}
