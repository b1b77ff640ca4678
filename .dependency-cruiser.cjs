/**
 * The Worker's layering (STYLE.md's target shape), checked in CI by test/unit/layering.test.ts and by
 * `pnpm layers`. Dependencies point down only; types count (a type import is a dependency too).
 *
 *   8  routes and HTTP glue   app.ts, index.ts, http/, auth/, session/, api/, admin/, health/
 *   7  dialects               dialects/{chat,messages,responses}/, embeddings/
 *   6  the pipeline           pipeline/
 *   5  routing                routing/
 *   4  targets                targets/
 *   3  the executor           execute/
 *   2  providers              providers/
 *   1  the vocabulary         stream/, hub-client/, db/, scope.ts, config.ts, log.ts, version.ts
 *   0  shared                 the @hearth/shared package
 *   hub/ (the Durable Object) beside the Worker: it may use the vocabulary, and nothing in the Worker
 *        imports it but index.ts (which exports the class for the runtime).
 */
const SRC = "^worker/src/";
const layers = [
  ["vocabulary", `${SRC}(stream/|hub-client/|db/|scope\\.ts$|config\\.ts$|log\\.ts$|version\\.ts$)`],
  ["providers", `${SRC}providers/`],
  ["execute", `${SRC}execute/`],
  ["targets", `${SRC}targets/`],
  ["routing", `${SRC}routing/`],
  ["pipeline", `${SRC}pipeline/`],
  ["dialects", `${SRC}(dialects|embeddings)/`],
  ["routes", `${SRC}(app\\.ts$|index\\.ts$|http/|auth/|session/|api/|admin/|health/)`],
];

/** Each layer may import its own and those below, never one above. */
const upward = layers.slice(0, -1).map(([name, path], i) => ({
  name: `no-upward-from-${name}`,
  comment: `${name} may not import a layer above it (${layers.slice(i + 1).map(([n]) => n).join(", ")})`,
  severity: "error",
  from: { path, pathNot: "\\.test\\.ts$" },
  to: { path: layers.slice(i + 1).map(([, p]) => `(${p})`).join("|") },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "An import cycle: the modules in it cannot be understood, tested or moved apart.",
      severity: "error",
      from: { path: SRC },
      to: { circular: true },
    },
    ...upward,
    {
      name: "hub-only-through-its-client",
      comment: "Worker code reaches the user's hub through hub-client/ (an interface), never the Durable Object's modules.",
      severity: "error",
      from: { path: SRC, pathNot: [`${SRC}hub/`, `${SRC}index\\.ts$`] },
      to: { path: `${SRC}hub/` },
    },
    {
      name: "hub-over-the-vocabulary",
      comment: "The Durable Object uses shared code and the vocabulary only, never the Worker's request path.",
      severity: "error",
      from: { path: `${SRC}hub/`, pathNot: "\\.test\\.ts$" },
      to: { path: layers.slice(1).map(([, p]) => `(${p})`).join("|") },
    },
    {
      name: "worker-not-from-tests",
      comment: "Product code never imports test helpers.",
      severity: "error",
      from: { path: SRC, pathNot: "\\.test\\.ts$|/test-[a-z-]+\\.ts$" },
      to: { path: "(\\.test\\.ts$|/test-[a-z-]+\\.ts$|^test/)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(node_modules|\\.wrangler|dist)" },
    // Type-only imports are dependencies too.
    tsPreCompilationDeps: true,
    // Resolves `./x.js` (what sources import, as TypeScript compiles them) to x.ts.
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".json"],
    },
  },
};
