/**
 * `pnpm hearth …`: a thin CLI over the admin API.
 *   pnpm hearth users create --name alice        pnpm hearth users list
 *   pnpm hearth users show <id>                  pnpm hearth users delete <id>
 *   pnpm hearth keys issue <userId> [--kind sidecar]
 *   pnpm hearth keys revoke <userId> <credentialId>
 *   pnpm hearth policy set <userId> --auto-targets openai/gpt-4.1-mini,anthropic/claude-sonnet-4-5
 *   pnpm hearth policy set <userId> --mode hybrid --file rules.json   (a whole policy as JSON; flags win)
 * Where: --url / HEARTH_URL (default http://127.0.0.1:8787); --admin-token / HEARTH_ADMIN_TOKEN
 * (default: the one in .dev.vars, for the local Worker).
 */
import { defineCommand, runMain, type ArgsDef } from "citty";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const common = {
  url: { type: "string", description: "Hearth's base URL (env HEARTH_URL)", default: process.env.HEARTH_URL ?? "http://127.0.0.1:8787" },
  "admin-token": { type: "string", description: "The operator token (env HEARTH_ADMIN_TOKEN; default: from .dev.vars)" },
} satisfies ArgsDef;

function adminToken(given: string | undefined): string {
  if (given) return given;
  if (process.env.HEARTH_ADMIN_TOKEN) return process.env.HEARTH_ADMIN_TOKEN;
  const devVars = join(resolve(import.meta.dirname, "../.."), ".dev.vars");
  const m = existsSync(devVars) ? /^HEARTH_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(devVars, "utf8")) : null;
  if (m?.[1]) return m[1].trim();
  throw new Error("no admin token: pass --admin-token or set HEARTH_ADMIN_TOKEN");
}

async function api(args: { url: string; "admin-token"?: string }, method: string, path: string, body?: unknown): Promise<void> {
  const r = await fetch(`${args.url.replace(/\/$/, "")}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken(args["admin-token"])}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  process.stdout.write(`${text}\n`);
  if (!r.ok) process.exitCode = 1;
}

const id = { type: "positional", description: "user id", required: true } as const;

const users = defineCommand({
  meta: { name: "users", description: "create, list, show and delete users" },
  subCommands: {
    create: defineCommand({
      meta: { description: "create a user; prints its API key and sidecar token (shown once)" },
      args: { ...common, name: { type: "string", required: true, description: "display name" } },
      run: ({ args }) => api(args, "POST", "/users", { name: args.name }),
    }),
    list: defineCommand({ meta: { description: "list users and their credentials" }, args: { ...common }, run: ({ args }) => api(args, "GET", "/users") }),
    show: defineCommand({ meta: { description: "one user" }, args: { ...common, id }, run: ({ args }) => api(args, "GET", `/users/${args.id}`) }),
    delete: defineCommand({ meta: { description: "delete a user and all its keys" }, args: { ...common, id }, run: ({ args }) => api(args, "DELETE", `/users/${args.id}`) }),
  },
});

const keys = defineCommand({
  meta: { name: "keys", description: "issue and revoke API keys and sidecar tokens" },
  subCommands: {
    issue: defineCommand({
      meta: { description: "issue a new credential (shown once)" },
      args: { ...common, id, kind: { type: "string", default: "api", description: "api or sidecar" } },
      run: ({ args }) => api(args, "POST", `/users/${args.id}/credentials`, { kind: args.kind }),
    }),
    revoke: defineCommand({
      meta: { description: "revoke a credential (takes effect within 5 s everywhere)" },
      args: { ...common, id, credential: { type: "positional", required: true, description: "credential id" } },
      run: ({ args }) => api(args, "DELETE", `/users/${args.id}/credentials/${args.credential}`),
    }),
  },
});

const policy = defineCommand({
  meta: { name: "policy", description: "set a user's routing policy" },
  subCommands: {
    set: defineCommand({
      meta: { description: "replace the policy (omitted settings go back to the deployment's defaults)" },
      args: {
        ...common,
        id,
        file: { type: "string", description: "a policy as JSON (rules, hedge…); the flags below override its fields" },
        mode: { type: "string", description: "local_first, local_only, cloud_only or hybrid" },
        "auto-targets": { type: "string", description: "comma-separated provider/model list for model auto" },
        "max-attempts": { type: "string", description: "upstream attempts per target, 1-5" },
        "local-first-token-ms": { type: "string", description: "most home may take to the first token (the learned deadline's ceiling)" },
        private: { type: "boolean", description: "never send this user's requests to the cloud" },
        hedge: { type: "boolean", description: "start the cloud beside a slow home answer, keep the first" },
      },
      run: ({ args }) => {
        // The Worker validates the result and names any bad field in its 400.
        const body: Record<string, unknown> = args.file ? (JSON.parse(readFileSync(args.file, "utf8")) as Record<string, unknown>) : {};
        if (args.mode) body.mode = args.mode;
        if (args["local-first-token-ms"]) body.localFirstTokenMs = Number(args["local-first-token-ms"]);
        if (args.private !== undefined) body.private = args.private;
        if (args.hedge !== undefined) body.hedge = { enabled: args.hedge };
        if (args["auto-targets"]) body.autoTargets = args["auto-targets"].split(",").map((s) => s.trim());
        if (args["max-attempts"]) body.maxAttemptsPerTarget = Number(args["max-attempts"]);
        return api(args, "PUT", `/users/${args.id}/policy`, body);
      },
    }),
  },
});

void runMain(defineCommand({ meta: { name: "hearth", description: "Hearth's admin CLI" }, subCommands: { users, keys, policy } }));
