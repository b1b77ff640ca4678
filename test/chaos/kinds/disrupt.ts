/**
 * Disruptions beside a steady load: the sidecar killed mid-stream, a storm of kills and restarts, the
 * Worker restarted, a machine that sleeps (SIGSTOP … SIGCONT), and 64 streams at once over 2 slots.
 */
import { between, briskModel, sleep, type Kind, type Load } from "../kind.js";
import { chatRequests } from "../../fakes/ollama.js";
import { transportError } from "../client.js";
import { startHome, type Home } from "../stack.js";

/** Long enough answers that a disruption usually finds streams in flight. */
const longer = { firstTokenMs: [200, 800], tokensPerSecond: [10, 30], answerTokens: [60, 150] } as const;

/** Waits until home has taken `n` more chats (streams in flight there), or `maxMs` passed. */
async function homeBusy(home: Home, n: number, maxMs: number): Promise<void> {
  const before = chatRequests(home.ollama).length;
  const until = Date.now() + maxMs;
  while (chatRequests(home.ollama).length < before + n && Date.now() < until) await sleep(25);
}

/** Restarts the sidecar, retrying if it does not come up (it reconnects on its own; this is a new process). */
async function restart(home: Home, log: (m: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await home.start();
    } catch (err) {
      if (attempt >= 3) throw err;
      log(`sidecar restart ${attempt} failed, again: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
  }
}

export const killedMidStream: Kind = {
  name: "killed-mid-stream",
  about: "the sidecar is SIGKILLed while it streams: committed streams end in a typed error, the rest go to the cloud",
  gapMs: 250,
  async setup(env) {
    const home = await startHome(env.stack, { name: "killed", model: briskModel(env, "killed", longer), seed: env.seed });
    const disrupt = async (load: Load) => {
      while (load.sent() < load.target) {
        // Mid-stream: once home has answers going, a little way into them.
        await homeBusy(home, 2, 5_000);
        await sleep(between(env.rand, 300, 1_500));
        home.kill();
        await sleep(300);
        await restart(home, env.log);
      }
    };
    return { home, disrupt };
  },
};

export const reconnectStorm: Kind = {
  name: "reconnect-storm",
  about: "10 kills and restarts of the sidecar under load",
  gapMs: 250,
  async setup(env) {
    const home = await startHome(env.stack, { name: "storm", model: briskModel(env, "storm", longer), seed: env.seed });
    const disrupt = async () => {
      for (let n = 0; n < 10; n++) {
        await homeBusy(home, 1, 2_000);
        await sleep(between(env.rand, 0, 500));
        home.kill();
        await restart(home, env.log);
      }
    };
    return { home, disrupt };
  },
};

/** Resolves once nothing listens on the Worker's port any more (its process has gone). */
async function down(url: string): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const refused = await fetch(`${url}/healthz`).then(
      () => false,
      (err: unknown) => transportError(err) === "ECONNREFUSED",
    );
    if (refused) return;
    await sleep(50);
  }
  throw new Error("wrangler dev still answers 15 s into its restart");
}

export const workerRestart: Kind = {
  name: "worker-restart",
  about: "wrangler dev restarts under load (a deploy as the sidecar sees it): requests meanwhile are refused and retried, the sidecar reconnects",
  gapMs: 250,
  async setup(env) {
    const home = await startHome(env.stack, { name: "restart", model: briskModel(env, "restart", longer), seed: env.seed });
    const { worker } = env.stack;
    const disrupt = async (load: Load) => {
      for (let n = 0; n < 2; n++) {
        await sleep(between(env.rand, 1_500, 3_000));
        // Stopping wrangler dev resets the connections it holds, which a real deploy does not do (the
        // old version finishes its requests): let those in flight end first, then send on at once.
        await load.pause();
        const restarting = worker.restart();
        await down(worker.url);
        load.resume();
        await restarting;
      }
      // Let the sidecar find the Worker again before the load ends.
      await sleep(2_000);
    };
    return { home, disrupt };
  },
};

export const concurrentStreams: Kind = {
  name: "concurrent-64",
  about: "64 streams at once over 2 slots and a queue of 4: the rest are refused at once and go to the cloud",
  concurrency: 64,
  minRequests: 64,
  modes: ["fetch-stream", "sdk-stream"],
  async setup(env) {
    const args = ["--slots", "2", "--queue", "4", "--drain-seconds", "1"];
    const home = await startHome(env.stack, { name: "c64", model: briskModel(env, "crowded"), seed: env.seed, sidecarArgs: args });
    return { home };
  },
};

export const machineSleeps: Kind = {
  name: "machine-sleeps",
  about: "the sidecar's machine sleeps (SIGSTOP) past the idle deadline, then wakes (SIGCONT)",
  gapMs: 250,
  async setup(env) {
    const home = await startHome(env.stack, { name: "sleepy", model: briskModel(env, "sleepy", longer), seed: env.seed });
    const asleepMs = Math.max(env.stack.deadlines.idle * 1.5, 10_000 * env.scale);
    const disrupt = async () => {
      for (let n = 0; n < 2; n++) {
        await sleep(between(env.rand, 1_000, 2_000));
        home.signal("SIGSTOP");
        await sleep(asleepMs);
        home.signal("SIGCONT");
      }
    };
    return { home, disrupt };
  },
};
