// What the Node server answers outside the APIs: the console's files when
// they are built beside this bundle (dist/www/), else a plain index page
// that points at the API.
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

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

const INDEX = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>seatcap</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}code{background:#f1f3f5;padding:.1em .3em;border-radius:3px}</style>
</head><body>
<h1>seatcap edge server</h1>
<p>The ActiveSync gateway is at <code>/Microsoft-Server-ActiveSync</code>; the admin API at <code>/v1</code>,
described by <a href="/v1/openapi.json">/v1/openapi.json</a>. Call it with <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<p>Try: <code>curl -H "Authorization: Bearer $TOKEN" http://HOST/v1/seats/activesync</code></p>
</body></html>
`;

export function consoleAssets(root = fileURLToPath(new URL("./www/", import.meta.url))): (request: Request) => Promise<Response | undefined> {
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    const pathname = decodeURIComponent(new URL(request.url).pathname);
    const relative = pathname === "/" ? "index.html" : pathname.slice(1);
    const file = path.resolve(root, relative);
    // Nothing outside the console's directory.
    if (file.startsWith(path.resolve(root) + path.sep) && existsSync(file) && statSync(file).isFile()) {
      const type = TYPES[path.extname(file)] ?? "application/octet-stream";
      return new Response(request.method === "HEAD" ? null : readFileSync(file), { headers: { "content-type": type } });
    }
    if (pathname === "/") return new Response(INDEX, { headers: { "content-type": "text/html; charset=utf-8" } });
    return undefined;
  };
}
