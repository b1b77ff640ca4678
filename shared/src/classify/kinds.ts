/** The task kinds the classifier tells apart. The order is the weight layout: append, never reorder. */
export const TASK_KINDS = ["chat", "code", "math", "creative", "extraction", "reasoning"] as const;

/**
 * What each kind means, by what the answer needs (see SOURCES.md for the data behind each):
 * - `code`: writing, reading, debugging or explaining code, shell, SQL, config.
 * - `math`: calculation, algebra, word problems, proofs, probability.
 * - `reasoning`: logic puzzles, riddles, deduction under stated conditions, argument analysis:
 *   no arithmetic to speak of, but several steps that must all hold.
 * - `creative`: writing something new: stories, poems, essays, blog posts, emails, speeches, and
 *   role-play ("act as…", "pretend you are…").
 * - `extraction`: the answer comes from text the user supplies: summarise, extract, classify,
 *   rewrite, translate, proofread, answer from a passage.
 * - `chat`: conversation, advice and knowledge questions (science, history, law, …), technical
 *   terms included, as long as no code or given text is the subject.
 */
export type TaskKind = (typeof TASK_KINDS)[number];
