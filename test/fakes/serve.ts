/**
 * Runs the fakes as standalone servers (for trying Hearth by hand, and for benchmarks that keep the
 * upstream out of the measuring process):
 *   pnpm tsx test/fakes/serve.ts [--openai-port 9101] [--ollama-port 9103]
 * Prints one line per server once all listen.
 */
import { parseArgs } from "node:util";
import { startFakeOllama } from "./ollama.js";
import { startFakeOpenAI } from "./openai.js";

const { values } = parseArgs({
  options: { "openai-port": { type: "string", default: "9101" }, "ollama-port": { type: "string" } },
});
const openai = await startFakeOpenAI({ port: Number(values["openai-port"]) });
let lines = `fake OpenAI on ${openai.url}/v1 (key test-openai-key)\n`;
if (values["ollama-port"]) {
  const ollama = await startFakeOllama({ port: Number(values["ollama-port"]), models: [{ name: "bench:latest", contextLength: 131_072 }] });
  lines += `fake Ollama on ${ollama.url} (model bench:latest)\n`;
}
process.stdout.write(lines);
