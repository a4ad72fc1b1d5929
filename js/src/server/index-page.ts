// The page `/` answers when no console is built: where the APIs are. Shared
// by the Node server and the Worker.
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

export function indexPage(): Response {
  return new Response(INDEX, { headers: { "content-type": "text/html; charset=utf-8" } });
}
