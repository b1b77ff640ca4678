/**
 * A one-line progress bar for model loads on a terminal; silent when stderr is not a TTY (services,
 * CI), where the logger's "model loaded" line is enough.
 */
export function loadProgress(stream: NodeJS.WriteStream = process.stderr): (modelId: string, fraction: number) => void {
  if (!stream.isTTY) return () => {};
  let last = -1;
  return (modelId, fraction) => {
    const pct = Math.floor(Math.max(0, Math.min(1, fraction)) * 100);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    stream.write(`\rloading ${modelId} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${String(pct).padStart(3)}%`);
    if (pct >= 100) {
      stream.write("\n");
      last = -1;
    }
  };
}
