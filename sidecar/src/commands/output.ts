/** Writes to stdout and waits until it is flushed: commands exit right after (native handles may keep the loop alive). */
export function print(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

export async function exitAfter(text: string, code: number): Promise<never> {
  await print(text);
  process.exit(code);
}
