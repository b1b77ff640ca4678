/**
 * The deploy, step by step, each only when not done yet (decide.ts says which): the D1 database and
 * its id in wrangler.toml, the migrations, the secrets, the deploy, the first user. Re-running it
 * changes nothing that is already right, and deploys the checkout again.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Cloud } from "./cloud.js";
import { configuredDatabase, databaseDecision, secretsDecision, sidecarInstall, sidecarLine, unappliedMigrations, userDecision, withDatabaseId, SECRETS, type SecretName } from "./decide.js";

export interface DeployOptions {
  /** wrangler.toml: its database_id is written when the database is created or found. */
  config: string;
  /** Where the deploy keeps what it must remember (deploy.json: the admin token it set). */
  stateDir: string;
  /** Name of the first user, when one is created. */
  userName: string;
  env: Readonly<Record<string, string | undefined>>;
  /** sidecar/package.json: its version and whether it is published (x-published). */
  sidecarPackage: { version: string; "x-published"?: boolean };
  /** How long the new Worker may take to answer its admin API (a first workers.dev deploy takes a moment). Default: 60 s. */
  readyTimeoutMs?: number;
}

export interface Io {
  say(text: string): void;
  /** Asks on a terminal; absent when there is none (then nothing is asked). */
  ask?(question: string): Promise<string>;
}

export interface FirstUser {
  id: string;
  name: string;
  apiKey: string;
  sidecarToken: string;
}

export interface DeployResult {
  url: string;
  user?: FirstUser;
  sidecarLine?: string;
}

interface Saved {
  adminToken?: string;
}

async function database(o: DeployOptions, cloud: Cloud, io: Io): Promise<void> {
  const toml = await readFile(o.config, "utf8");
  const configured = configuredDatabase(toml);
  const decision = databaseDecision(configured, await cloud.databases());
  let id = decision.do === "create" ? undefined : decision.id;
  if (decision.do === "create") {
    await cloud.createDatabase(configured.name);
    id = (await cloud.databases()).find((d) => d.name === configured.name)?.id;
    if (!id) throw new Error(`created D1 database "${configured.name}", but it is not in the list of databases`);
  }
  if (id && id !== configured.id) await writeFile(o.config, withDatabaseId(toml, id));
  const said = { keep: "exists, its id is in wrangler.toml", adopt: "found on the account; its id written into wrangler.toml", create: "created; its id written into wrangler.toml" };
  io.say(`D1 database "${configured.name}": ${said[decision.do]} (${id})\n`);
}

async function migrations(cloud: Cloud, io: Io): Promise<void> {
  const pending = unappliedMigrations(await cloud.listMigrations());
  if (pending.length > 0) await cloud.applyMigrations();
  io.say(pending.length > 0 ? `migrations: applied ${pending.join(", ")}\n` : "migrations: none pending\n");
}

const generated = () => randomBytes(32).toString("base64url");

/** The secrets to add with the deploy (the ones set already are kept by it). */
async function secrets(o: DeployOptions, cloud: Cloud, io: Io): Promise<Partial<Record<SecretName, string>>> {
  const out: Partial<Record<SecretName, string>> = {};
  const set = await cloud.secretNames();
  for (const step of secretsDecision(set, o.env, io.ask !== undefined)) {
    const what = SECRETS.find((s) => s.name === step.name)?.what ?? "";
    let value: string | undefined;
    if (step.do === "from-env") value = o.env[step.name];
    else if (step.do === "generate") value = generated();
    else if (step.do === "ask" && io.ask) {
      if (step.name === "HEARTH_ADMIN_TOKEN") {
        const gen = await io.ask(`${step.name} (${what}) is not set. Generate one? (Y/n) `);
        value = /^n/i.test(gen) ? await io.ask(`${step.name}: `) : generated();
      } else {
        value = (await io.ask(`${step.name} (${what}; empty to leave it off): `)).trim() || undefined;
      }
    }
    if (value) out[step.name] = value;
    const said = { keep: "already set", "from-env": "set from your environment", generate: "generated", ask: value ? "set" : "left off", skip: "not set: that target stays off (set it in your environment and re-run)" };
    io.say(`secret ${step.name}: ${said[step.do]}\n`);
  }
  if (!out.HEARTH_ADMIN_TOKEN && !set?.includes("HEARTH_ADMIN_TOKEN")) {
    throw new Error("HEARTH_ADMIN_TOKEN is needed: the admin API (and creating users) is disabled without it");
  }
  return out;
}

/** Users on the Worker, asked with the admin token; waits for a new deploy to answer. "refused": the token is not the Worker's. */
async function countUsers(url: string, adminToken: string, timeoutMs: number): Promise<number | "refused"> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${url}/admin/users`, { headers: { authorization: `Bearer ${adminToken}` } }).catch(() => undefined);
    if (r?.status === 401 || r?.status === 403) return "refused";
    if (r?.ok) return ((await r.json()) as { data: unknown[] }).data.length;
    if (Date.now() > until) throw new Error(`${url}/admin/users did not answer within ${timeoutMs / 1000} s (last: ${r ? r.status : "no connection"})`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

async function firstUser(o: DeployOptions, url: string, adminToken: string | undefined, io: Io): Promise<FirstUser | undefined> {
  const counted = adminToken ? await countUsers(url, adminToken, o.readyTimeoutMs ?? 60_000) : undefined;
  const decision = userDecision(counted === "refused" ? undefined : adminToken, typeof counted === "number" ? counted : undefined);
  if (decision === "no-token") {
    io.say(`first user: not checked — ${counted === "refused" ? "the Worker refused this admin token" : "no admin token here"}; run with HEARTH_ADMIN_TOKEN=… to check for (and create) it\n`);
    return undefined;
  }
  if (decision === "exists") {
    io.say(`first user: ${String(counted)} user${counted === 1 ? "" : "s"} already, none created\n`);
    return undefined;
  }
  const r = await fetch(`${url}/admin/users`, { method: "POST", headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" }, body: JSON.stringify({ name: o.userName }) });
  if (r.status !== 201) throw new Error(`creating the first user failed: ${r.status} ${await r.text()}`);
  const user = (await r.json()) as FirstUser;
  io.say(`first user: created "${user.name}" (${user.id})\n`);
  return user;
}

export async function runDeploy(o: DeployOptions, cloud: Cloud, io: Io): Promise<DeployResult> {
  const statePath = join(o.stateDir, "deploy.json");
  const saved = JSON.parse(await readFile(statePath, "utf8").catch(() => "{}")) as Saved;
  io.say(`deploying Hearth to ${cloud.where}\n`);
  await cloud.ready();
  await database(o, cloud, io);
  await migrations(cloud, io);
  const added = await secrets(o, cloud, io);
  const url = await cloud.deploy(added);
  io.say(`deployed: ${url}\n`);
  if (added.HEARTH_ADMIN_TOKEN) {
    await mkdir(o.stateDir, { recursive: true });
    await writeFile(statePath, `${JSON.stringify({ ...saved, adminToken: added.HEARTH_ADMIN_TOKEN }, null, 2)}\n`, { mode: 0o600 });
  }
  const adminToken = added.HEARTH_ADMIN_TOKEN || o.env.HEARTH_ADMIN_TOKEN || saved.adminToken;
  const user = await firstUser(o, url, adminToken, io);
  const line = user ? sidecarLine(sidecarInstall(o.sidecarPackage), url, user.sidecarToken) : undefined;
  io.say(`\nHearth is deployed.\n  dashboard:    ${url}/\n`);
  if (added.HEARTH_ADMIN_TOKEN) io.say(`  admin token:  in ${statePath} (sign in with it for the admin views; pnpm hearth --url ${url} --admin-token …)\n`);
  if (user) {
    io.say(`  API key:      ${user.apiKey}   (${user.name}'s; shown this once)\n`);
    io.say(`  sidecar:      on the machine with your models:\n                ${line}\n`);
  }
  return { url, ...(user ? { user } : {}), ...(line ? { sidecarLine: line } : {}) };
}
