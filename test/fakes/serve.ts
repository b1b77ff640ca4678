/**
 * Runs the fakes as standalone servers (for trying Hearth by hand or from a benchmark):
 *   pnpm tsx test/fakes/serve.ts [--openai-port 9101] [--anthropic-port 9102]
 */
import { parseArgs } from "node:util";
import { startFakeOpenAI } from "./openai.js";

const { values } = parseArgs({ options: { "openai-port": { type: "string", default: "9101" } } });
const openai = await startFakeOpenAI({ port: Number(values["openai-port"]) });
process.stdout.write(`fake OpenAI on ${openai.url}/v1 (key test-openai-key)\n`);
