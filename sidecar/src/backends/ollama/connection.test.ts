import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../log.js";
import { createOllamaBackend } from "./index.js";

/** An Ollama-like /api/chat whose chunked terminator trails the `done` line, as a real server's can. */
async function server(terminatorDelayMs: number): Promise<{ url: string; connections: () => number; server: Server }> {
  let connections = 0;
  const srv = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(`${JSON.stringify({ message: { role: "assistant", content: "Hi" }, done: false })}\n`);
      res.write(`${JSON.stringify({ message: { role: "assistant", content: "" }, done: true, done_reason: "stop", eval_count: 1 })}\n`);
      setTimeout(() => res.end(), terminatorDelayMs);
    });
  });
  srv.keepAliveTimeout = 10_000;
  srv.on("connection", () => connections++);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, connections: () => connections, server: srv };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe("Ollama backend connections", () => {
  it("reuses one connection across generations, even when the response ends after its done line", async () => {
    const s = await server(5);
    servers.push(s.server);
    const backend = createOllamaBackend({ host: s.url, log: silentLogger });
    for (let i = 0; i < 3; i++) {
      // Stops at the end event, as the request handler does.
      for await (const ev of backend.generate("m", { model: "m", messages: [{ role: "user", content: "hi" }] }, { signal: new AbortController().signal })) {
        if (ev.type === "end") break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await backend.dispose();
    expect(s.connections()).toBe(1);
  });
});
