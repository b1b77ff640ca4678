/** The task kinds the classifier tells apart. The order is the weight layout: append, never reorder. */
export const TASK_KINDS = ["chat", "code", "math", "creative", "extraction"] as const;

/**
 * - `code`: writing, reading, debugging or explaining code, shell, SQL, config, programming concepts.
 * - `math`: calculation, algebra, proofs, probability, word problems, logic puzzles.
 * - `creative`: poems, stories, lyrics, jokes, scenes, role-play, style rewrites.
 * - `extraction`: the answer comes from text the user supplies: summarise, extract, classify,
 *   convert, translate, proofread, answer from a passage.
 * - `chat`: everything else: greetings, advice, opinions, general knowledge.
 */
export type TaskKind = (typeof TASK_KINDS)[number];
