// What the Node server answers outside the APIs: the console's files when
// they are built beside this bundle (dist/www/), else a plain index page
// that points at the API.
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { indexPage } from "./index-page.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export function consoleAssets(
  root = fileURLToPath(new URL("./www/", import.meta.url)),
): (request: Request) => Promise<Response | undefined> {
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    const pathname = decodeURIComponent(new URL(request.url).pathname);
    const relative = pathname === "/" ? "index.html" : pathname.slice(1);
    const file = path.resolve(root, relative);
    // Nothing outside the console's directory.
    if (
      file.startsWith(path.resolve(root) + path.sep) &&
      existsSync(file) &&
      statSync(file).isFile()
    ) {
      const type = TYPES[path.extname(file)] ?? "application/octet-stream";
      return new Response(request.method === "HEAD" ? null : readFileSync(file), {
        headers: { "content-type": type },
      });
    }
    if (pathname === "/") return indexPage();
    return undefined;
  };
}
