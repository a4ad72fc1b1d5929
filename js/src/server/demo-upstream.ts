// `npm start` has no mail server behind it: in demo mode without --upstream
// the gateway forwards to this stand-in on 127.0.0.1, which accepts every
// account with the password `demo` (and checks it on OPTIONS too, as real
// ActiveSync servers do, so the gateway's credential check works as in
// production) and answers like an ActiveSync endpoint would: a curl through
// the gateway shows the whole path (decision, then the mail server).
import { createServer, type Server } from "node:http";

/** The one password the demo mail server accepts, for every account. */
export const DEMO_PASSWORD = "demo";

export async function startDemoUpstream(): Promise<{ url: URL; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    const auth = req.headers.authorization ?? "";
    const password = auth.startsWith("Basic ")
      ? Buffer.from(auth.slice(6), "base64").toString("utf8").split(":").slice(1).join(":")
      : undefined;
    if (password !== DEMO_PASSWORD) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="demo mail server"' }).end();
      return;
    }
    if (req.method === "OPTIONS") {
      res
        .writeHead(200, {
          "ms-asprotocolversions": "14.1,16.0,16.1",
          "ms-asprotocolcommands": "Sync,FolderSync,Ping,SendMail,ItemOperations",
        })
        .end();
      return;
    }
    res
      .writeHead(200, { "content-type": "text/plain; charset=utf-8" })
      .end(`demo mail server: ${req.method} ${req.url} accepted\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: new URL(`http://127.0.0.1:${port}/`), server };
}
