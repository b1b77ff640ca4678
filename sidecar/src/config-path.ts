/**
 * Where the config file lives when nobody says: `init` writes it there, and the sidecar, `doctor` and
 * the service read it from there. `$XDG_CONFIG_HOME/hearth/sidecar.yaml`, else
 * `~/.config/hearth/sidecar.yaml` — on macOS too: one path to document, the one the service files and
 * the example config already use, and where command-line tools on a Mac commonly keep theirs.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The default config path for this user. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && xdg.startsWith("/") ? xdg : join(home, ".config");
  return join(base, "hearth", "sidecar.yaml");
}

/**
 * The config file to read: the --config flag, else HEARTH_SIDECAR_CONFIG, else the default path when
 * a file is there (none is fine: flags and environment variables may say everything).
 */
export function configFileToRead(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): string | undefined {
  if (flag) return flag;
  if (env.HEARTH_SIDECAR_CONFIG) return env.HEARTH_SIDECAR_CONFIG;
  const path = defaultConfigPath(env);
  return exists(path) ? path : undefined;
}
