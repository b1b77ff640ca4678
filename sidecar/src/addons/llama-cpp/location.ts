/**
 * Where the llama.cpp add-on lives: the sidecar's own data directory, `$XDG_DATA_HOME/hearth`, else
 * `~/.local/share/hearth` (on macOS too, as the config file's `~/.config/hearth`: one path to document).
 * Not inside the npm prefix: that may need root, and `npm install -g` of a new sidecar replaces it.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** The sidecar's data directory for this user. */
export function dataDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec: a relative XDG_DATA_HOME is invalid and must be ignored.
  return join(xdg && xdg.startsWith("/") ? xdg : join(home, ".local", "share"), "hearth");
}

/** The add-on's directory: a package.json, node_modules/ and addon.json. */
export function addonDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return join(dataDir(env, home), "llama-cpp");
}

/** What `add llama-cpp` wrote, beside node_modules. */
export const RECORD_FILE = "addon.json";
