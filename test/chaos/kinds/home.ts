/**
 * Faults at home, scripted into the fake Ollama behind the real sidecar: offline, a backend that
 * hangs or stalls, slow long answers, cut streams, a full queue, a model that keeps loading.
 */
import { briskModel, realisticModel, sleep, type Kind } from "../kind.js";
import { startHome } from "../stack.js";

/** Every other request (as the kind's PRNG draws) meets the fault; the rest are served normally. */
const HALF = 0.5;

export const offline: Kind = {
  name: "sidecar-offline",
  about: "no sidecar connected: the cloud answers at once",
  async setup(env) {
    const home = await startHome(env.stack, { name: "offline", model: briskModel(env, "offline"), seed: env.seed, offline: true });
    return { home };
  },
};

export const hangBeforeFirstToken: Kind = {
  name: "hang-first-token",
  about: "Ollama takes the request and never sends a token: home's first-token deadline, then the cloud",
  async setup(env) {
    const home = await startHome(env.stack, { name: "hang", model: briskModel(env, "hangs"), seed: env.seed });
    return { home, before: () => env.rand() < HALF && home.ollama.enqueueChat({ type: "hang" }) };
  },
};

export const stallAfterFirstToken: Kind = {
  name: "stall-after-first",
  about: "Ollama sends 1–5 tokens, then nothing, connection open: the idle deadline must end it",
  async setup(env) {
    const home = await startHome(env.stack, { name: "stall", model: briskModel(env, "stalls"), seed: env.seed });
    const before = () => env.rand() < HALF && home.ollama.enqueueChat({ type: "stall", afterEvents: 1 + Math.floor(env.rand() * 5) });
    return { home, before };
  },
};

export const slowLongAnswers: Kind = {
  name: "slow-long",
  about: "a CPU home: 0.5–5 s to the first token, 5–30 tokens/s, long answers, streamed and not",
  async setup(env) {
    const home = await startHome(env.stack, { name: "slow", model: realisticModel(env, "slow"), seed: env.seed });
    return { home };
  },
};

export const cutMidStream: Kind = {
  name: "cut-mid-stream",
  about: "Ollama's stream breaks after 1–8 lines: a typed error once committed, the cloud before",
  async setup(env) {
    const home = await startHome(env.stack, { name: "cut", model: briskModel(env, "cuts"), seed: env.seed });
    const before = () => env.rand() < HALF && home.ollama.enqueueChat({ type: "cut", afterEvents: 1 + Math.floor(env.rand() * 8) });
    return { home, before };
  },
};

export const queueFull: Kind = {
  name: "queue-full",
  about: "Ollama answers 503 (OLLAMA_MAX_QUEUE exceeded): overloaded, the cloud answers",
  async setup(env) {
    const home = await startHome(env.stack, { name: "busy", model: briskModel(env, "busy"), seed: env.seed });
    return { home, before: () => env.rand() < HALF && home.ollama.enqueueChat({ type: "status", status: 503 }) };
  },
};

export const modelLoading: Kind = {
  name: "model-loading",
  about: "Ollama unloads the model every 12 s and takes 8 s to load it again: loading, the cloud meanwhile, home once loaded",
  // Paced like the disruption kinds: while home loads, the cloud would otherwise answer hundreds.
  gapMs: 250,
  async setup(env) {
    const model = briskModel(env, "loads", { loadMs: 8_000 });
    const home = await startHome(env.stack, { name: "loading", model, seed: env.seed });
    const disrupt = async (load: { sent(): number; target: number }) => {
      // Unloaded again and again, as a short keep_alive or memory pressure would; the load (longer
      // than home's first-token deadline) goes on when the request that started it is cancelled.
      while (load.sent() < load.target) {
        home.ollama.loaded.clear();
        await sleep(12_000 * env.scale);
      }
    };
    return { home, disrupt };
  },
};
