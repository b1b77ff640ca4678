/**
 * `pnpm run deploy`'s decisions, one pure function per step, from what was found: whether to create
 * the D1 database or use the one there, which migrations to apply, which secrets to ask for, whether a
 * first user is needed — and the bits of wrangler's output and wrangler.toml the steps read and write.
 * Everything that touches the account or the network is in cloud.ts and run.ts.
 */

/** wrangler.toml's database_id before anyone has created the database. */
export const PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000";

export interface Database {
  name: string;
  id: string;
}

export type DatabaseDecision = { do: "keep"; id: string } | { do: "adopt"; id: string } | { do: "create" };

/**
 * `keep` the configured id when the account has it; `adopt` a database of the configured name that is
 * there (a re-run after the id was lost, or a database made by hand); otherwise `create` it.
 */
export function databaseDecision(configured: Database, onAccount: readonly Database[]): DatabaseDecision {
  if (configured.id !== PLACEHOLDER_ID && onAccount.some((d) => d.id === configured.id)) return { do: "keep", id: configured.id };
  const named = onAccount.find((d) => d.name === configured.name);
  return named ? { do: "adopt", id: named.id } : { do: "create" };
}

/** The `[[d1_databases]]` table with this binding. */
function databaseTable(toml: string, binding: string): { start: number; end: number; text: string } | undefined {
  const re = /^\[\[d1_databases\]\]\s*$/gm;
  for (let m = re.exec(toml); m; m = re.exec(toml)) {
    const start = m.index;
    const next = toml.slice(start + m[0].length).search(/^\[/m);
    const end = next === -1 ? toml.length : start + m[0].length + next;
    const text = toml.slice(start, end);
    if (new RegExp(`^binding\\s*=\\s*"${binding}"\\s*$`, "m").test(text)) return { start, end, text };
  }
  return undefined;
}

export class DeployConfigError extends Error {
  readonly code = "deploy_config";
  constructor(message: string) {
    super(message);
    this.name = "DeployConfigError";
  }
}

/** The database a binding names in wrangler.toml. */
export function configuredDatabase(toml: string, binding = "DB"): Database {
  const table = databaseTable(toml, binding);
  const name = table && /^database_name\s*=\s*"([^"]+)"\s*$/m.exec(table.text)?.[1];
  const id = table && /^database_id\s*=\s*"([^"]*)"\s*$/m.exec(table.text)?.[1];
  if (!name || id === undefined) throw new DeployConfigError(`wrangler.toml has no [[d1_databases]] with binding = "${binding}", database_name and database_id`);
  return { name, id };
}

/** wrangler.toml with the binding's database_id set, everything else (comments included) as it was. */
export function withDatabaseId(toml: string, id: string, binding = "DB"): string {
  const table = databaseTable(toml, binding);
  if (!table) throw new DeployConfigError(`wrangler.toml has no [[d1_databases]] with binding = "${binding}"`);
  const text = table.text.replace(/^database_id\s*=\s*"[^"]*"/m, `database_id = "${id}"`);
  return toml.slice(0, table.start) + text + toml.slice(table.end);
}

/** Migration files `wrangler d1 migrations list` says are not applied yet. */
export function unappliedMigrations(listOutput: string): string[] {
  if (/No migrations to apply/.test(listOutput)) return [];
  const after = listOutput.slice(Math.max(0, listOutput.indexOf("Migrations to be applied")));
  return [...new Set(after.match(/\b\d{4}_[\w.-]+\.sql\b/g) ?? [])];
}

/** The secrets Hearth reads: the admin token guards /admin (and is needed to make the first user). */
export const SECRETS = [
  { name: "HEARTH_ADMIN_TOKEN", required: true, what: "the operator token for /admin and the dashboard's admin views" },
  { name: "OPENAI_API_KEY", required: false, what: "enables the OpenAI target" },
  { name: "ANTHROPIC_API_KEY", required: false, what: "enables the Anthropic target" },
] as const;

export type SecretName = (typeof SECRETS)[number]["name"];

/**
 * Per secret: `keep` it (set on the Worker already), take it `from-env` (the operator's environment
 * has it), `ask` for it (a terminal is there), `generate` it (the admin token, with no one to ask), or
 * `skip` it (a cloud key nobody gave: that provider stays off).
 * @param set the Worker's secret names; undefined when the Worker does not exist yet
 */
export function secretsDecision(set: readonly string[] | undefined, env: Readonly<Record<string, string | undefined>>, interactive: boolean): { name: SecretName; do: "keep" | "from-env" | "ask" | "generate" | "skip" }[] {
  return SECRETS.map(({ name, required }) => {
    if (set?.includes(name)) return { name, do: "keep" as const };
    if (env[name]) return { name, do: "from-env" as const };
    if (interactive) return { name, do: "ask" as const };
    return { name, do: required ? ("generate" as const) : ("skip" as const) };
  });
}

export type UserDecision = "create" | "exists" | "no-token";

/** A first user is made only when there is none, and only with the admin token at hand to ask. */
export function userDecision(adminToken: string | undefined, users: number | undefined): UserDecision {
  if (!adminToken || users === undefined) return "no-token";
  return users === 0 ? "create" : "exists";
}

/**
 * The deployed URL: from wrangler's output file (WRANGLER_OUTPUT_FILE_PATH, one JSON entry a line, the
 * `deploy` entry's targets), else from its printed targets. The workers.dev one when there are several.
 */
export function deployedUrl(outputFile: string, stdout: string): string | undefined {
  const targets: string[] = [];
  for (const line of outputFile.split("\n")) {
    try {
      const entry = JSON.parse(line) as { type?: string; targets?: string[] };
      if (entry.type === "deploy" && Array.isArray(entry.targets)) targets.push(...entry.targets);
    } catch {
      // not a JSON line
    }
  }
  if (targets.length === 0) targets.push(...(stdout.match(/https:\/\/[^\s]+/g) ?? []));
  const urls = targets.map((t) => (/^https?:\/\//.test(t) ? t : `https://${t}`)).map((u) => u.replace(/\/+$/, ""));
  return urls.find((u) => u.endsWith(".workers.dev")) ?? urls[0];
}

/** How this checkout's sidecar is installed: the registry once published, else its packed tarball (as the dashboard's build says). */
export function sidecarInstall(sidecarPackage: { version: string; "x-published"?: boolean }): string {
  return sidecarPackage["x-published"] ? "npm install -g hearth-sidecar" : `npm install -g hearth-sidecar-${sidecarPackage.version}.tgz`;
}

/** The line that installs the sidecar on the home machine and connects it. */
export function sidecarLine(install: string, url: string, sidecarToken: string): string {
  return `${install} && hearth-sidecar init --url ${url} --token ${sidecarToken}`;
}

/**
 * wrangler.toml for a rehearsal kept elsewhere (the deploy's state directory): the same Worker, its
 * relative paths made absolute against the checkout, no file watcher.
 */
export function relocatedConfig(toml: string, root: string): string {
  const abs = (p: string) => JSON.stringify(`${root}/${p}`);
  return toml
    .replace(/^main = "(.*)"$/m, (_, p: string) => `main = ${abs(p)}`)
    .replace(/^migrations_dir = "(.*)"$/m, (_, p: string) => `migrations_dir = ${abs(p)}`)
    .replace(/^command = "node (.*)"$/m, (_, p: string) => `command = ${JSON.stringify(`node ${root}/${p}`)}`)
    .replace(/^watch_dir = ".*"\n/m, "")
    .replace(/^directory = "(.*)"$/m, (_, p: string) => `directory = ${abs(p)}`);
}
