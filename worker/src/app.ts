/**
 * The Worker's routes:
 *   GET  /healthz                 liveness, the Worker's version and tunnel protocols; no auth
 *   POST /v1/chat/completions     OpenAI-compatible chat (API key)
 *   POST /v1/code                 the same, routed as a code task
 *   POST /v1/embeddings           OpenAI-compatible embeddings: the named model only, never another
 *   POST /v1/messages             Anthropic's Messages API (Claude Code), and /v1/messages/count_tokens
 *   POST /v1/responses            OpenAI's Responses API; GET and DELETE /v1/responses/{id} for stored ones
 *   POST /v1/route/explain        the plan a chat body would get now, not run
 *   GET  /v1/stats                the caller's routing stats (DELETE resets them)
 *   GET  /v1/stats/series         the caller's time series (?range=1h|24h|7d|30d|1y&step=<s>)
 *   GET  /v1/health               the caller's health: sidecars, breakers, budget, cloud providers
 *   GET  /v1/live                 a WebSocket pushing each finished request and sidecar change (JSON)
 *   GET  /v1/models               models this key can use (API key)
 *   GET  /v1/models/{id}          one of them (ids hold a '/', encoded or not)
 *   GET  /v1/me                   the key's own user (API key)
 *   GET  /v1/policy               the caller's routing policy; PUT replaces it (validated, 400 naming the field)
 *   GET  /v1/home                 the caller's connected sidecars: models, slots, queue, memory, breaker
 *   POST /auth/login, /auth/logout, GET /auth/session   dashboard sessions (a cookie in place of the key)
 *   GET  /v1/sidecar/connect      the sidecar's WebSocket (sidecar token)
 *   /admin/*                      the operator's admin API (HEARTH_ADMIN_TOKEN)
 */
import { Hono } from "hono";
import { adminRoutes } from "./admin/routes.js";
import { rateLimit, requireApiKey } from "./auth/middleware.js";
import { serveEmbeddings } from "./embeddings/serve.js";
import { requestContext } from "./http/context.js";
import { cors } from "./http/cors.js";
import { errorFormat, notFound, onError } from "./http/errors.js";
import { scopeOf } from "./http/scope.js";
import { answerRoute } from "./api/answer.js";
import { chatDialect } from "./dialects/chat/index.js";
import { anthropicErrors, countTokens, messagesDialect } from "./dialects/messages/index.js";
import { deleteStoredResponse, responsesDialect, storedResponse } from "./dialects/responses/index.js";
import type { AppEnv } from "./http/types.js";
import { listModels, retrieveModel } from "./api/models.js";
import { explainRoute } from "./api/explain.js";
import { getStats, resetStats } from "./api/stats.js";
import { getSeries } from "./api/series.js";
import { userHealth } from "./health/routes.js";
import { liveRoute } from "./api/live.js";
import { sidecarConnect } from "./api/sidecar-connect.js";
import { getHome } from "./api/home.js";
import { getPolicy, putPolicy } from "./api/policy.js";
import { authRoutes } from "./session/routes.js";
import { health } from "./version.js";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestContext());
  app.get("/healthz", (c) => c.json(health()));
  app.route("/admin", adminRoutes());
  app.route("/auth", authRoutes());
  // Before the /v1 router: the tunnel authenticates with the sidecar token, not an API key.
  app.get("/v1/sidecar/connect", sidecarConnect);
  // Before the key check: a browser's preflight carries no key. Errors get the headers too.
  app.use("/v1/*", cors());
  // Anthropic's clients read Anthropic's error shape, a bad key included: set before any check.
  app.use("/v1/messages", errorFormat(anthropicErrors));
  app.use("/v1/messages/*", errorFormat(anthropicErrors));

  const v1 = new Hono<AppEnv>();
  v1.use("*", requireApiKey(), rateLimit());
  v1.post("/chat/completions", answerRoute(chatDialect()));
  v1.post("/code", answerRoute(chatDialect({ forceKind: "code", defaultAuto: true })));
  v1.post("/embeddings", (c) => serveEmbeddings(scopeOf(c)));
  v1.post("/messages", answerRoute(messagesDialect));
  v1.post("/messages/count_tokens", async (c) => c.json(await countTokens(scopeOf(c))));
  v1.post("/responses", answerRoute(responsesDialect));
  v1.get("/responses/:id", async (c) => new Response(await storedResponse(scopeOf(c), c.req.param("id"), c.req.query("stream")), { headers: { "content-type": "application/json", "x-request-id": c.get("requestId") } }));
  v1.delete("/responses/:id", async (c) => c.json(await deleteStoredResponse(scopeOf(c), c.req.param("id"))));
  v1.post("/route/explain", explainRoute());
  v1.get("/stats", getStats);
  v1.delete("/stats", resetStats);
  v1.get("/stats/series", getSeries);
  v1.get("/health", userHealth);
  v1.get("/live", liveRoute);
  v1.get("/models", listModels);
  v1.get("/models/:id{.+}", retrieveModel);
  v1.get("/policy", getPolicy);
  v1.put("/policy", putPolicy);
  v1.get("/home", getHome);
  v1.get("/me", (c) => {
    const { user } = c.get("principal");
    return c.json({ id: user.id, name: user.name, policy: user.policy });
  });
  app.route("/v1", v1);

  app.onError(onError);
  app.notFound(notFound);
  return app;
}
