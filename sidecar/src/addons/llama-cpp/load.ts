/**
 * Loads node-llama-cpp from the llama.cpp add-on. The installed package's build (sidecar/build) puts
 * this behind every `import … from "node-llama-cpp"` of the llama.cpp backend, which the sidecar only
 * imports dynamically when GGUF models are configured — so the light package never reaches it.
 */
import { pathToFileURL } from "node:url";
import { llamaCpp } from "./status.js";

/** node-llama-cpp cannot be loaded: the add-on is missing, incomplete or of another version. */
export class LlamaCppUnavailableError extends Error {
  readonly code = "llama_cpp_unavailable";
  constructor(message: string) {
    super(message);
    this.name = "LlamaCppUnavailableError";
  }
}

/** The add-on's node-llama-cpp module; throws LlamaCppUnavailableError with a one-line fix. */
export async function importLlamaCpp(): Promise<typeof import("node-llama-cpp")> {
  const found = await llamaCpp();
  if (!found.ok) throw new LlamaCppUnavailableError(found.message);
  // From source, `import "node-llama-cpp"` resolves in the workspace and never comes here.
  if (found.from === "checkout") throw new LlamaCppUnavailableError("the llama.cpp add-on is loaded by the installed package only");
  return (await import(pathToFileURL(found.entry).href)) as typeof import("node-llama-cpp");
}
