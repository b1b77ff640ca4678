/**
 * The Responses API's store, inside the user's Durable Object (its SQLite storage): the responses
 * made with `store: true`, so `GET /v1/responses/{id}` can return them and `previous_response_id` can
 * continue a conversation on whichever target serves the next turn.
 *
 * A stored response is the Response object the client got and that turn's own input items (item
 * references resolved); it links to the response it continued. A conversation is rebuilt by walking
 * those links: each turn's input, then its output, oldest first — so a turn's text is stored once, and
 * deleting a response really removes it (a later turn that needs it then answers 404 naming it).
 *
 * Bounded, per user: a response is kept for RETENTION_DAYS (30) after it was made or last continued from
 * (continuing a conversation refreshes every turn of it), and at most maxResponses responses and
 * maxChars of JSON; past either cap the least recently used go first. An alarm deletes what has
 * expired even when the user makes no more requests. Expired rows are never served, alarm or not.
 */
import type { Item, Json, ResponsesContext as Context, StoredResponse } from "../../hub-client/types.js";
import { AlarmRegistry } from "../alarms.js";

export interface StoreLimits {
  /** Default: 30 days (what OpenAI keeps a stored response for). */
  retentionMs: number;
  /** Default: 1,000. */
  maxResponses: number;
  /** The JSON text of all stored responses together, in characters. Default: 128 Mi (up to 256 MiB in UTF-16, more in UTF-8 for non-Latin text). */
  maxChars: number;
}

export const RETENTION_DAYS = 30;
export const DEFAULT_STORE_LIMITS: StoreLimits = { retentionMs: RETENTION_DAYS * 86_400_000, maxResponses: 1_000, maxChars: 128 * 2 ** 20 };

/** A row's text is split into pieces this long (SQLite rows in a Durable Object hold at most 2 MB; a char is up to 3 bytes). */
const PIECE_CHARS = 512 * 1024;

type Row = Record<string, SqlStorageValue>;

export class ResponseStore {
  readonly #storage: DurableObjectStorage;
  readonly #limits: StoreLimits;
  readonly #alarms: AlarmRegistry;
  #ready = false;

  /** `alarms`: where the store asks for its expiry alarm (and registers its work). */
  constructor(storage: DurableObjectStorage, limits: StoreLimits = DEFAULT_STORE_LIMITS, alarms = new AlarmRegistry(storage)) {
    this.#storage = storage;
    this.#limits = limits;
    this.#alarms = alarms;
    alarms.register("responses", (now) => {
      this.expire(now);
      return this.nextExpiry();
    });
  }

  /** The tables are made on first use: a user who never calls the Responses API has none. */
  get #sql(): SqlStorage {
    const sql = this.#storage.sql;
    if (!this.#ready) {
      sql.exec(`CREATE TABLE IF NOT EXISTS hearth_responses (id TEXT PRIMARY KEY, previous TEXT, created_at INTEGER NOT NULL, used_at INTEGER NOT NULL, chars INTEGER NOT NULL)`);
      sql.exec(`CREATE INDEX IF NOT EXISTS hearth_responses_used ON hearth_responses (used_at)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS hearth_response_pieces (id TEXT NOT NULL, n INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (id, n))`);
      sql.exec(`CREATE TABLE IF NOT EXISTS hearth_response_items (item_id TEXT PRIMARY KEY, response_id TEXT NOT NULL)`);
      this.#ready = true;
    }
    return sql;
  }

  #live(id: string, now: number): Row | undefined {
    return this.#sql.exec("SELECT id, previous FROM hearth_responses WHERE id = ? AND used_at >= ?", id, now - this.#limits.retentionMs).toArray()[0];
  }

  #load(id: string): StoredResponse {
    const pieces = this.#sql.exec("SELECT data FROM hearth_response_pieces WHERE id = ? ORDER BY n", id).toArray();
    return JSON.parse(pieces.map((p) => String(p.data)).join("")) as StoredResponse;
  }

  /** Stores a response (JSON of StoredResponse), then trims the store to its limits. */
  async put(json: string, now: number): Promise<void> {
    const record = JSON.parse(json) as StoredResponse;
    const { id, previous_response_id: previous, output } = record.response;
    this.#storage.transactionSync(() => {
      this.#remove(id);
      const sql = this.#sql;
      sql.exec("INSERT INTO hearth_responses (id, previous, created_at, used_at, chars) VALUES (?, ?, ?, ?, ?)", id, previous ?? null, now, now, json.length);
      for (let n = 0; n * PIECE_CHARS < json.length; n++) sql.exec("INSERT INTO hearth_response_pieces (id, n, data) VALUES (?, ?, ?)", id, n, json.slice(n * PIECE_CHARS, (n + 1) * PIECE_CHARS));
      for (const item of output) if (typeof item.id === "string") sql.exec("INSERT OR REPLACE INTO hearth_response_items (item_id, response_id) VALUES (?, ?)", item.id, id);
      this.#trim(now);
    });
    await this.#schedule();
  }

  /** The Response as stored, or undefined (never stored, deleted or expired). */
  get(id: string, now: number): Json | undefined {
    return this.#live(id, now) ? this.#load(id).response : undefined;
  }

  /** Deletes a response; false when there was none. */
  delete(id: string): boolean {
    if (this.#sql.exec("SELECT 1 FROM hearth_responses WHERE id = ?", id).toArray().length === 0) return false;
    this.#storage.transactionSync(() => this.#remove(id));
    return true;
  }

  /**
   * What a new turn needs: the conversation up to `previous` (every earlier turn's input, then its
   * output, oldest first), and the stored output items `refs` name. Continuing refreshes the turns used.
   */
  context(previous: string | null, refs: readonly string[], now: number): Context {
    const history: Item[] = [];
    const used: string[] = [];
    for (let id = previous; id !== null; ) {
      const row = this.#live(id, now);
      if (!row || used.length > this.#limits.maxResponses) return { ok: false, missing: "previous_response_id", id };
      used.push(id);
      const record = this.#load(id);
      history.unshift(...record.input, ...record.response.output);
      id = typeof row.previous === "string" ? row.previous : null;
    }
    const items: Record<string, Item> = {};
    for (const ref of refs) {
      const owner = this.#sql.exec("SELECT response_id FROM hearth_response_items WHERE item_id = ?", ref).toArray()[0];
      const responseId = typeof owner?.response_id === "string" ? owner.response_id : undefined;
      const found = responseId && this.#live(responseId, now) ? this.#load(responseId).response.output.find((o) => o.id === ref) : undefined;
      if (!found) return { ok: false, missing: "item", id: ref };
      items[ref] = found;
      if (responseId) used.push(responseId);
    }
    for (const id of used) this.#sql.exec("UPDATE hearth_responses SET used_at = ? WHERE id = ?", now, id);
    return { ok: true, history, items };
  }

  /** Deletes what has expired; returns how many. The alarm calls it (then asks nextExpiry). */
  expire(now: number): number {
    const old = this.#sql.exec("SELECT id FROM hearth_responses WHERE used_at < ?", now - this.#limits.retentionMs).toArray();
    this.#storage.transactionSync(() => {
      for (const r of old) this.#remove(String(r.id));
    });
    return old.length;
  }

  /** When the next stored response expires (none when the store is empty). */
  nextExpiry(): number | undefined {
    const next = this.#sql.exec("SELECT MIN(used_at) AS t FROM hearth_responses").one().t;
    return typeof next === "number" ? next + this.#limits.retentionMs : undefined;
  }

  #remove(id: string): void {
    const sql = this.#sql;
    sql.exec("DELETE FROM hearth_responses WHERE id = ?", id);
    sql.exec("DELETE FROM hearth_response_pieces WHERE id = ?", id);
    sql.exec("DELETE FROM hearth_response_items WHERE response_id = ?", id);
  }

  /**
   * Expired rows, then the least recently used beyond the caps. Among rows used at the same moment (a
   * conversation continued together) the newest goes first, so what stays is still a whole chain.
   */
  #trim(now: number): void {
    const sql = this.#sql;
    for (const r of sql.exec("SELECT id FROM hearth_responses WHERE used_at < ?", now - this.#limits.retentionMs).toArray()) this.#remove(String(r.id));
    const totals = sql.exec("SELECT COUNT(*) AS n, COALESCE(SUM(chars), 0) AS chars FROM hearth_responses").one();
    let count = Number(totals.n);
    let chars = Number(totals.chars);
    if (count <= this.#limits.maxResponses && chars <= this.#limits.maxChars) return;
    for (const r of sql.exec("SELECT id, chars FROM hearth_responses ORDER BY used_at ASC, created_at DESC").toArray()) {
      if (count <= this.#limits.maxResponses && chars <= this.#limits.maxChars) break;
      this.#remove(String(r.id));
      count--;
      chars -= Number(r.chars);
    }
  }

  /** Asks for the alarm at the next expiry. */
  async #schedule(): Promise<void> {
    const at = this.nextExpiry();
    if (at !== undefined) await this.#alarms.need(at);
  }
}
