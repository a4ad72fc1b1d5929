// The console: two sections behind hash routes, so the page works as static
// files (simulator only) and behind the seatcap server (both).
//   #/sim?s=<scenario>   the what-if simulator (www/src/sim)
//   #/admin/...          the admin console against /v1 (www/src/admin)
import { mountSimulator } from "./sim/index.js";
import { mountAdmin } from "./admin/index.js";

export interface Route {
  /** Path segments after the section: `#/admin/accounts/x@y.com` → ["accounts", "x@y.com"]. */
  path: string[];
  query: URLSearchParams;
}

/** What a section returns when mounted: called before the next route replaces it. */
export type Unmount = () => void;

const app = document.getElementById("app") as HTMLElement;
let current: { section: string; unmount?: Unmount; update?: (route: Route) => void } | undefined;

function parse(hash: string): { section: string; route: Route } {
  const text = hash.replace(/^#\/?/, "");
  const [pathPart = "", queryPart = ""] = text.split("?", 2) as [string?, string?];
  const [section = "sim", ...path] = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  return {
    section: section === "admin" ? "admin" : "sim",
    route: { path, query: new URLSearchParams(queryPart) },
  };
}

function render(): void {
  const { section, route } = parse(location.hash);
  for (const id of ["sim", "admin"]) {
    const link = document.getElementById(`nav-${id}`);
    if (id === section) link?.setAttribute("aria-current", "page");
    else link?.removeAttribute("aria-current");
  }
  if (current?.section === section && current.update) {
    current.update(route);
    return;
  }
  current?.unmount?.();
  app.replaceChildren();
  const mounted = section === "admin" ? mountAdmin(app, route) : mountSimulator(app, route);
  current = { section, ...mounted };
  document.title = section === "admin" ? "seatcap — admin console" : "seatcap — what-if simulator";
}

window.addEventListener("hashchange", render);
render();
