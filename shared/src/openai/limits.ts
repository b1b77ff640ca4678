/**
 * Size and depth limits on a chat body, checked right after JSON.parse and before anything that
 * recurses over it (schema validation, the classifier, structured clone into a Durable Object, JSON
 * re-encoding). Measured before these limits: `model: auto` with a schema 3,000 levels of JSON deep
 * overflowed workerd's stack on the way into the sidecar hub's Durable Object (2,000 still passed).
 * Every walk here is iterative, so the check itself cannot overflow.
 */
export const CHAT_LIMITS = {
  /** Anthropic's documented maximum. OpenAI refuses more than 2,048, which long agent transcripts outgrow. */
  messages: 100_000,
  /** Content parts in one message. No provider documents a cap; Anthropic takes at most 600 images a request. */
  contentParts: 10_000,
  /** OpenAI takes 128, but Claude takes more, and clients with many MCP servers send 150–330. */
  tools: 1_024,
  /** OpenAI's documented maximum. */
  stop: 4,
  /** OpenAI's documented maximum (keys up to 64 chars, values up to 512). */
  metadataEntries: 16,
  /**
   * Levels in `response_format.json_schema.schema` and each `tools[i].function.parameters`, counted
   * from the schema (`{}` is 1). OpenAI's strict mode allows 10 levels of schema nesting, which is
   * 20–40 levels of JSON once `properties` and `anyOf` are counted.
   */
  schemaDepth: 64,
  /** Levels in the rest of the body, counted from the body (`{}` is 1), the schemas above left out. */
  bodyDepth: 64,
} as const;

type Path = (string | number)[];

interface Level {
  node: object;
  /** An object's keys; null for an array. */
  keys: string[] | null;
  /** The child taken last (-1: none yet). */
  at: number;
}

const isContainer = (v: unknown): v is object => typeof v === "object" && v !== null;
const level = (node: object): Level => ({ node, keys: Array.isArray(node) ? null : Object.keys(node), at: -1 });
const keyOf = (l: Level): string | number => (l.keys ? (l.keys[l.at] ?? "") : l.at);

/**
 * The path to the first array or object nested more than `maxDepth` levels deep in `root` (`{}` and
 * `[]` count one level each, the root included), or undefined. Containers in `skip` are not entered.
 * Depth-first with an explicit stack of at most `maxDepth` levels: no recursion, whatever the input.
 */
export function depthViolation(root: unknown, maxDepth: number, skip?: ReadonlySet<unknown>): Path | undefined {
  if (!isContainer(root)) return undefined;
  if (maxDepth < 1) return [];
  const stack: Level[] = [level(root)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Level;
    top.at++;
    const size = top.keys ? top.keys.length : (top.node as unknown[]).length;
    if (top.at >= size) {
      stack.pop();
      continue;
    }
    const child: unknown = (top.node as Record<string | number, unknown>)[keyOf(top)];
    if (!isContainer(child) || skip?.has(child)) continue;
    if (stack.length === maxDepth) return stack.map(keyOf);
    stack.push(level(child));
  }
  return undefined;
}

/** `messages[2].content[0].x.y` → `messages[2].content`: the field a client would recognise as its own. */
export function fieldOf(path: Path): Path {
  const [a, b, c] = path;
  if (a === undefined) return [];
  if (typeof b !== "number") return [a];
  return typeof c === "string" ? [a, b, c] : [a, b];
}

/** What is over a limit: the field (as a path) and why, in words. */
export interface LimitViolation {
  path: Path;
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => isContainer(v) && !Array.isArray(v);
const get = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function overCount(value: unknown, path: Path, limit: number, what: string): LimitViolation | undefined {
  const n = Array.isArray(value) ? value.length : 0;
  return n > limit ? { path, message: `${n} ${what}, over the limit of ${limit}` } : undefined;
}

function overCounts(body: Record<string, unknown>): LimitViolation | undefined {
  const messages = items(body.messages);
  const metadata = body.metadata;
  const found =
    overCount(body.messages, ["messages"], CHAT_LIMITS.messages, "messages") ??
    overCount(body.tools, ["tools"], CHAT_LIMITS.tools, "tools") ??
    overCount(body.stop, ["stop"], CHAT_LIMITS.stop, "stop sequences") ??
    (isRecord(metadata) ? overCount(Object.keys(metadata), ["metadata"], CHAT_LIMITS.metadataEntries, "entries") : undefined);
  if (found) return found;
  for (let i = 0; i < messages.length; i++) {
    const parts = overCount(get(messages[i], "content"), ["messages", i, "content"], CHAT_LIMITS.contentParts, "content parts");
    if (parts) return parts;
  }
  return undefined;
}

/** The free-form JSON schemas of a body, each with its path. */
function schemaFields(body: Record<string, unknown>): { path: Path; value: object }[] {
  const out: { path: Path; value: object }[] = [];
  const schema = get(get(body.response_format, "json_schema"), "schema");
  if (isContainer(schema)) out.push({ path: ["response_format", "json_schema", "schema"], value: schema });
  const tools = items(body.tools);
  for (let i = 0; i < tools.length; i++) {
    const params = get(get(tools[i], "function"), "parameters");
    if (isContainer(params)) out.push({ path: ["tools", i, "function", "parameters"], value: params });
  }
  return out;
}

export const nestedTooDeep = (path: Path, limit: number): LimitViolation => ({ path, message: `nested deeper than the limit of ${limit} levels` });

/**
 * The first count or depth limit a parsed chat body is over, or undefined. Shapes are not checked
 * here (the schema does that next): a field of the wrong type is not counted, only walked for depth.
 */
export function chatLimitViolation(body: Record<string, unknown>): LimitViolation | undefined {
  const count = overCounts(body);
  if (count) return count;
  const schemas = schemaFields(body);
  for (const { path, value } of schemas) {
    if (depthViolation(value, CHAT_LIMITS.schemaDepth)) return nestedTooDeep(path, CHAT_LIMITS.schemaDepth);
  }
  const at = depthViolation(body, CHAT_LIMITS.bodyDepth, new Set(schemas.map((s) => s.value)));
  return at ? nestedTooDeep(fieldOf(at), CHAT_LIMITS.bodyDepth) : undefined;
}
