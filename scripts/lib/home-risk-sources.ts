/**
 * The public per-prompt outcome sets the home-risk estimate learns from, as data: where each file
 * lives (repository, pinned commit, path), its license, and how a row becomes a prompt plus the
 * quality each model reached on it. scripts/fetch-home-risk-data.ts reads them;
 * shared/src/classify/risk/SOURCES.md is the same table in prose.
 *
 * Off limits, kept for outside evaluation, and never to be added here: lm-sys/FastChat (MT-Bench),
 * lm-sys/RouteLLM (its evals and data), TIGER-AI-Lab/MMLU-Pro's eval results, tatsu-lab/alpaca_eval's
 * results. MMLU and GSM8K prompts are left out too (RouteLLM's outside evaluation uses them).
 */
import type { ChatMessage } from "../../shared/src/openai/request.js";
import { parseCsv } from "./classifier-sources.js";

/** How a source measures quality: 0/1 correctness, or a GPT-4 judge's 1–10 score. */
export type Scale = "correct" | "judge10";

export interface OutcomeRecord {
  id: string;
  source: string;
  license: string;
  scale: Scale;
  messages: ChatMessage[];
  /** Per model (its name in the source): the quality it reached on this prompt. */
  outcomes: Record<string, number>;
}

export interface ModelInfo {
  /** Parameters in billions (a mixture of experts counts its total). */
  sizeB: number;
  role: "home" | "cloud" | "other";
}

export interface OutcomeSource {
  name: string;
  repo: string;
  ref: string;
  license: string;
  scale: Scale;
  /** What the source is, in words (the sources table). */
  about: string;
  /** Every model the rows score, with its size and its role in training. */
  models: Record<string, ModelInfo>;
  /** Reads the source's files (path → text) into records. */
  read(files: ReadonlyMap<string, string>): Omit<OutcomeRecord, "source" | "license" | "scale">[];
  paths: readonly string[];
}

/**
 * Python's repr of a list of strings (RouterBench keeps prompts that way): ['a', "b's"] → ["a", "b's"].
 * Handles both quote styles and the escapes repr emits (\\ \' \" \n \r \t \xNN \uNNNN \UNNNNNNNN).
 */
export function parsePyStrList(s: string): string[] {
  const out: string[] = [];
  let i = s.indexOf("[") + 1;
  const simple: Record<string, string> = { n: "\n", r: "\r", t: "\t", "\\": "\\", "'": "'", '"': '"', "0": "\0" };
  while (i > 0 && i < s.length) {
    const q = s[i];
    if (q !== "'" && q !== '"') {
      i++;
      continue;
    }
    let text = "";
    for (i++; i < s.length && s[i] !== q; i++) {
      if (s[i] !== "\\") {
        text += s[i];
        continue;
      }
      const e = s[++i] ?? "";
      const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
      if (hex) {
        text += String.fromCodePoint(parseInt(s.slice(i + 1, i + 1 + hex), 16));
        i += hex;
      } else text += simple[e] ?? `\\${e}`;
    }
    out.push(text);
    i++;
  }
  return out;
}

const ROUTERBENCH_MODELS: Record<string, ModelInfo> = {
  "mistralai/mistral-7b-chat": { sizeB: 7, role: "home" },
  "WizardLM/WizardLM-13B-V1.2": { sizeB: 13, role: "other" },
  "mistralai/mixtral-8x7b-chat": { sizeB: 47, role: "other" },
  "zero-one-ai/Yi-34B-Chat": { sizeB: 34, role: "other" },
  "meta/code-llama-instruct-34b-chat": { sizeB: 34, role: "other" },
  "meta/llama-2-70b-chat": { sizeB: 70, role: "other" },
  "gpt-3.5-turbo-1106": { sizeB: 0, role: "other" },
  "claude-instant-v1": { sizeB: 0, role: "other" },
  "claude-v1": { sizeB: 0, role: "other" },
  "claude-v2": { sizeB: 0, role: "other" },
  "gpt-4-1106-preview": { sizeB: 0, role: "cloud" },
};

/** RouterBench's zero-shot split of one task, as RouterDC committed it (train + test files). */
const routerbench = (task: string, name: string, about: string, license: string): OutcomeSource => ({
  name,
  repo: "shuhao02/RouterDC",
  ref: "0e63989c5bf4363330b8a4616386e3f7f116d9f8",
  license: `${license}; RouterBench (withmartian) outcomes as committed by RouterDC (no license file in that repository)`,
  scale: "correct",
  about,
  models: ROUTERBENCH_MODELS,
  paths: [`datasets/routerbench_zs/${task}_train.csv`, `datasets/routerbench_zs/${task}_test.csv`],
  read(files) {
    const seen = new Set<string>();
    const out: ReturnType<OutcomeSource["read"]> = [];
    for (const text of files.values()) {
      for (const row of parseCsv(text)) {
        const id = row.sample_id ?? "";
        if (!id || seen.has(id)) continue;
        const outcomes: Record<string, number> = {};
        for (const m of Object.keys(ROUTERBENCH_MODELS)) {
          const v = row[m];
          if (v !== undefined && v !== "" && Number.isFinite(Number(v))) outcomes[m] = Number(v);
        }
        const content = parsePyStrList(row.prompt ?? "").join("\n\n");
        if (!content.trim()) continue;
        seen.add(id);
        out.push({ id: `${name}:${id}`, messages: [{ role: "user", content }], outcomes });
      }
    }
    return out;
  },
});

const ARENA_BENCH_MODELS: Record<string, ModelInfo> = {
  "Mistral-7B-Instruct-v0.1": { sizeB: 7, role: "home" },
  "Starling-LM-7B-alpha": { sizeB: 7, role: "home" },
  "openchat_3.5": { sizeB: 7, role: "home" },
  "Mixtral-8x7B-Instruct-v0.1": { sizeB: 47, role: "other" },
  "vicuna-33b-v1.3": { sizeB: 33, role: "other" },
  "Llama-2-70b-chat": { sizeB: 70, role: "other" },
  "gpt-3.5-turbo-1106": { sizeB: 0, role: "other" },
  "claude-2.1": { sizeB: 0, role: "other" },
  "gpt-4-turbo": { sizeB: 0, role: "cloud" },
};
const ARENA_DIR = "data/arena-bench-v1";

const arenaBench: OutcomeSource = {
  name: "arena-bench",
  repo: "lm-sys/arena-hard-auto",
  ref: "4a705dd6963f777aba2ae79259e3013934e6e012",
  license: "Apache-2.0 (repository); prompts written by Chatbot Arena users",
  scale: "judge10",
  about:
    "arena-bench-v1 (Dec 2023, the forerunner of Arena-Hard): 300 open-ended prompts picked from Chatbot Arena, each answer graded 1–10 by GPT-4-Turbo against a reference answer",
  models: ARENA_BENCH_MODELS,
  paths: [`${ARENA_DIR}/question.jsonl`, ...Object.keys(ARENA_BENCH_MODELS).map((m) => `${ARENA_DIR}/model_judgment/${m}.jsonl`)],
  read(files) {
    const lines = (path: string): Record<string, unknown>[] =>
      (files.get(path) ?? "").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
    const scores = new Map<string, Record<string, number>>();
    for (const m of Object.keys(ARENA_BENCH_MODELS)) {
      for (const j of lines(`${ARENA_DIR}/model_judgment/${m}.jsonl`)) {
        if (typeof j.score !== "number" || typeof j.question_id !== "string") continue;
        const at = scores.get(j.question_id) ?? {};
        at[m] = j.score;
        scores.set(j.question_id, at);
      }
    }
    return lines(`${ARENA_DIR}/question.jsonl`).flatMap((q) => {
      const id = String(q.question_id);
      const turns = Array.isArray(q.turns) ? q.turns.filter((t): t is string => typeof t === "string") : [];
      if (turns.length !== 1 || !turns[0]?.trim()) return [];
      return [{ id: `arena-bench:${id}`, messages: [{ role: "user" as const, content: turns[0] }], outcomes: scores.get(id) ?? {} }];
    });
  },
};

export const OUTCOME_SOURCES: readonly OutcomeSource[] = [
  routerbench("arc_challenge", "rb-arc", "ARC-Challenge grade-school science questions, multiple choice (RouterBench prompt, with its few worked examples)", "CC-BY-SA-4.0 (ARC)"),
  routerbench("mbpp", "rb-mbpp", "MBPP Python programming tasks, judged by their unit tests", "CC-BY-4.0 (MBPP)"),
  routerbench("winograde", "rb-winogrande", "Winogrande pronoun resolution, two options (RouterBench prompt, with its worked examples)", "CC-BY (Winogrande)"),
  arenaBench,
];
