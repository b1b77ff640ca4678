/**
 * How the installed package reaches node-llama-cpp, which it does not ship: every
 * `import … from "node-llama-cpp"` in the bundle resolves to a small module that loads it from the
 * llama.cpp add-on (src/addons/llama-cpp/load.ts, with top-level await) and re-exports its names. Only
 * chunks imported dynamically — when GGUF models are configured — may reach that module; the build
 * checks it from esbuild's metafile. Pure, so both rules are tested alone.
 */

/** esbuild's namespace and path for the module that stands for node-llama-cpp. */
export const SHIM_NAMESPACE = "hearth-llama-cpp-addon";
export const SHIM_INPUT = `${SHIM_NAMESPACE}:node-llama-cpp`;

/** The module's source: load the add-on once, export each of node-llama-cpp's names from it. */
export function shimSource(loaderPath: string, exportNames: readonly string[]): string {
  const names = exportNames.filter((n) => n !== "default" && /^[A-Za-z_$][\w$]*$/.test(n));
  return [
    `import { importLlamaCpp } from ${JSON.stringify(loaderPath)};`,
    "const llamaCpp = await importLlamaCpp();",
    `export const { ${names.join(", ")} } = llamaCpp;`,
    "",
  ].join("\n");
}

export interface MetafileOutputs {
  [file: string]: { imports: { path: string; kind: string; external?: boolean }[]; inputs: Record<string, unknown> };
}

/**
 * The chain of outputs from `entry` to one that holds `input`, following static imports only: what a
 * start of the entry loads before any code runs. Undefined when none does.
 */
export function staticChainTo(outputs: MetafileOutputs, entry: string, input: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]): string[] | undefined => {
    if (seen.has(file)) return undefined;
    seen.add(file);
    const out = outputs[file];
    if (!out) return undefined;
    if (input in out.inputs) return [...chain, file];
    for (const i of out.imports) {
      if (i.kind !== "import-statement" || i.external) continue;
      const found = walk(i.path, [...chain, file]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(entry, []);
}
