/**
 * The public, licensed, labelled collections the request classifier learns from, as data: where each
 * file lives (repository, pinned commit, path), its license, and how its own labels map to Hearth's
 * task kinds. scripts/fetch-classifier-data.ts reads them; shared/src/classify/SOURCES.md is the same
 * table in prose. Parsers are pure (file text in, prompts out), so a source can be checked alone.
 *
 * Never add lm-sys/FastChat data (MT-Bench, Vicuna bench): it is kept for outside evaluation.
 */
import { fnv1a } from "../../shared/src/classify/hash.js";
import type { TaskKind } from "../../shared/src/classify/kinds.js";

export interface Item {
  kind: TaskKind;
  /** The user's message; one turn. */
  text: string;
  /** A reference answer from the source, used only to build multi-turn evaluation conversations. */
  answer?: string;
  /** Difficulty signal where the source has one (MATH level 1–5). */
  level?: number;
  /** The source's own label (category, subject, template), for per-label tables. */
  label?: string;
}

export interface Source {
  name: string;
  /** owner/name on GitHub. */
  repo: string;
  /** The commit the counts and weights were made from. */
  ref: string;
  paths: readonly string[];
  license: string;
  /** How the source's labels become kinds, in words (the sources table). */
  mapping: string;
  /** `eval`: never trained on (its authors ask that it stay out of training corpora). */
  role: "train" | "eval";
  parse(path: string, text: string): Item[];
}

const jsonl = (text: string): Record<string, unknown>[] =>
  text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const letters = "ABCDE";
const choices = (opts: readonly unknown[]): string => opts.map((o, i) => `${letters[i] ?? i}. ${str(o)}`).join("\n");

/** RFC 4180 CSV (quoted fields with "" escapes and line breaks), header row to objects. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      (row = []), (field = "");
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  const [head, ...body] = rows;
  return body.filter((r) => r.length === head?.length).map((r) => Object.fromEntries((head ?? []).map((h, i) => [h, r[i] ?? ""])));
}

const fileOf = (path: string): string => (path.split("/").pop() ?? path).replace(/\.jsonl?$/, "");

/** P3 (promptsource) templates as used in Self-Instruct's T0 sample: file name → kind. */
const P3_DIR = "data/finetuning/t0_train_50k/data_per_template/";
const p3 = (dataset: string, license: string, templates: Record<string, TaskKind>, mapping: string): Source => ({
  name: `p3-${dataset.replace(/_3_0_0$/, "")}`,
  repo: "yizhongw/self-instruct",
  ref: "0b26ccaa415992100fa32df62d41b994cf928e23",
  paths: Object.keys(templates).map((t) => `${P3_DIR}${dataset}_${t}.jsonl`),
  license: `${license} (data); promptsource templates Apache-2.0; Self-Instruct repository Apache-2.0`,
  mapping,
  role: "train",
  parse: (path, text) => {
    const template = fileOf(path).slice(dataset.length + 1);
    const kind = templates[template];
    if (!kind) return [];
    return jsonl(text).map((r) => ({ kind, text: str(r.prompt).trim(), answer: str(r.completion).replace("<|endoftext|>", "").trim(), label: template }));
  },
});

const same = (kind: TaskKind, names: string[]): Record<string, TaskKind> => Object.fromEntries(names.map((n) => [n, kind]));

const BBH_KIND: Record<string, TaskKind> = {
  ...same("reasoning", [
    "logical_deduction_three_objects", "logical_deduction_five_objects", "logical_deduction_seven_objects",
    "tracking_shuffled_objects_three_objects", "tracking_shuffled_objects_five_objects", "tracking_shuffled_objects_seven_objects",
    "web_of_lies", "navigate", "temporal_sequences", "date_understanding", "formal_fallacies", "causal_judgement",
    "reasoning_about_colored_objects", "penguins_in_a_table",
  ]),
  ...same("math", ["multistep_arithmetic_two", "object_counting"]),
};

const EXPERTQA_CAP = 800;

/** ExpertQA's software specialties (its `specific_field`, free text written by each expert). */
const EXPERTQA_SOFTWARE =
  /software|web|develop|program|salesforce|computer|crm|\bit\b|cloud|blockchain|data engineering|machine learning|artificial intelligence|front end|xai|ux|digital workplace|cyber|hardware|game design|multimedia|telecom/i;

export const SOURCES: readonly Source[] = [
  {
    name: "gsm8k",
    repo: "openai/grade-school-math",
    ref: "3101c7d5072418e28b9008a6636bde82a006892c",
    paths: ["grade_school_math/data/train.jsonl", "grade_school_math/data/test.jsonl"],
    license: "MIT",
    mapping: "every problem → math (grade-school word problems)",
    role: "train",
    parse: (_p, text) => jsonl(text).map((r) => ({ kind: "math", text: str(r.question), answer: str(r.answer).replace(/<<[^>]*>>/g, ""), level: 0 })),
  },
  {
    name: "math",
    repo: "cmu-mind/RISE",
    ref: "4a2806e53546f04586177b8396b59a19840c0240",
    paths: ["data/math/test.jsonl"],
    license: "MIT (MATH, Hendrycks et al.; 1,000-problem sample of its test split as committed in RISE, MIT)",
    mapping: "every problem → math; `level` (1–5) kept as the difficulty signal",
    role: "train",
    parse: (_p, text) =>
      jsonl(text).map((r) => ({ kind: "math", text: str(r.problem), answer: str(r.solution), level: Number(/\d/.exec(str(r.level))?.[0] ?? 0), label: str(r.type) })),
  },
  {
    name: "humaneval",
    repo: "openai/human-eval",
    ref: "6d43fb980f9fee3c892a914eda09951f772ad10d",
    paths: ["data/HumanEval.jsonl.gz"],
    license: "MIT",
    mapping: "every task → code (a Python signature and docstring to complete)",
    role: "train",
    parse: (_p, text) => jsonl(text).map((r) => ({ kind: "code", text: str(r.prompt), answer: str(r.canonical_solution) })),
  },
  {
    name: "mbpp",
    repo: "OckBench/OckBench",
    ref: "b72752a0ba5989d3c212675ec60d3eedcd838628",
    paths: ["data/mbpp.jsonl"],
    license: "CC-BY-4.0 (MBPP, Google Research; verbatim copy of mbpp/mbpp.jsonl)",
    mapping: "every task → code; prompt = task text + its asserts, as in the MBPP paper",
    role: "train",
    parse: (_p, text) =>
      jsonl(text).map((r) => ({
        kind: "code",
        text: `${str(r.text)} Your code should pass these tests:\n\n${(Array.isArray(r.test_list) ? r.test_list : []).map(str).join("\n")}`,
        answer: str(r.code),
      })),
  },
  {
    name: "act-as",
    repo: "f/awesome-chatgpt-prompts",
    ref: "50a97c072933c93c76cc0714e9dd4c4cf1d80ae7",
    paths: ["prompts.csv"],
    license: "CC0-1.0",
    mapping: "`for_devs` TRUE → code; otherwise → creative (role-play and persona prompts); prompts over 4,000 chars dropped",
    role: "train",
    parse: (_p, text) =>
      parseCsv(text)
        .filter((r) => r.prompt && r.prompt.length <= 4000)
        .map((r) => ({ kind: r.for_devs === "TRUE" ? "code" : "creative", text: r.prompt ?? "", label: r.act })),
  },
  {
    name: "truthfulqa",
    repo: "benedictflorance/truthfulqa_experiments",
    ref: "6fdfd38288e86296582a584694df5cf43d1f634a",
    paths: ["datasets/TruthfulQA.csv"],
    license: "Apache-2.0 (TruthfulQA, Lin et al.; verbatim copy of TruthfulQA.csv)",
    mapping: "every question → chat (knowledge questions in 38 categories: law, health, history, science, …)",
    role: "train",
    parse: (_p, text) => parseCsv(text).map((r) => ({ kind: "chat", text: r.Question ?? "", answer: r["Best Answer"], label: r.Category })),
  },
  {
    name: "expertqa",
    repo: "chaitanyamalaviya/ExpertQA",
    ref: "1aa7ba81bd4c083c12ef1aa2fee338f6cb60fa87",
    paths: ["data/r1_data_anon.jsonl"],
    license: "MIT (ExpertQA, Malaviya et al. 2024; questions written by experts in 32 fields)",
    mapping:
      "open and directed questions → chat (medicine, law, chemistry, history, economics, philosophy, …); questions only; questions the source types as a hypothetical scenario or a request for a list of resources, and the software specialties of “Engineering and Technology”, left out",
    role: "train",
    // The other chat sources are short factoid questions, so an essay-shaped "explain / discuss / what
    // were the causes" question on science or history drifted to code or creative without these.
    // Left out, by the source's own labels: "hypothetical scenario" questions (a long given situation
    // reads like the passage of an extraction or reasoning prompt); "request for a list of resources"
    // (with them, "list …" leaned to chat and an extraction ask such as "list every date and amount
    // as a table" went to math: index.test.ts's invoice case); and the software specialties (web
    // development, Salesforce, IT, …), whose questions are often about code, Hearth's `code` kind.
    parse: (_p, text) =>
      jsonl(text).flatMap((r) => {
        const meta = (r.metadata ?? {}) as Record<string, unknown>;
        const field = str(meta.field);
        const question = str(r.question).trim();
        if (!question || /hypothetical scenario|list of resources/i.test(str(meta.question_type))) return [];
        if (field === "Engineering and Technology" && EXPERTQA_SOFTWARE.test(str(meta.specific_field))) return [];
        return [{ kind: "chat" as const, text: question, label: field }];
      })
        // A stable sample of 800, the size of the other chat sources (817, 1,000, 800), so one source
        // does not set what chat looks like.
        .sort((a, b) => fnv1a(`expertqa:${a.text}`) - fnv1a(`expertqa:${b.text}`))
        .slice(0, EXPERTQA_CAP),
  },
  {
    name: "folio",
    repo: "Yale-LILY/FOLIO",
    ref: "5d7bb84c7edab3fb358e057d2807f19cf5cf5e2d",
    paths: ["data/v0.0/folio-train.jsonl", "data/v0.0/folio-validation.jsonl"],
    license: "CC-BY-SA-4.0",
    mapping: "every story → reasoning: premises, a conclusion, and “true, false or uncertain?”",
    role: "train",
    parse: (_p, text) =>
      jsonl(text).map((r) => ({
        kind: "reasoning",
        text: `${(Array.isArray(r.premises) ? r.premises : []).map(str).join("\n")}\n\nBased on the statements above, is the following conclusion true, false, or uncertain? ${str(r.conclusion)}`,
        answer: str(r.label),
      })),
  },
  {
    name: "lsat-ar",
    repo: "zhongwanjun/AR-LSAT",
    ref: "41f78ca7be3e24602b694b9d6b78105fc0c8bfc6",
    paths: ["data/AR_TrainingData.json", "data/AR_DevelopmentData.json", "data/AR_TestData.json"],
    license: "MIT (repository; questions from published LSAT analytical-reasoning sections)",
    mapping: "every question → reasoning (logic games: ordering, grouping, seating under stated conditions)",
    role: "train",
    parse: (_p, text) =>
      (JSON.parse(text) as { passage: string; questions: { question: string; options: string[]; answer: string }[] }[]).flatMap((g) =>
        g.questions.map((q) => ({ kind: "reasoning" as const, text: `${g.passage}\n\n${q.question}\n${choices(q.options)}`, answer: q.answer })),
      ),
  },
  {
    name: "lsat-lr",
    repo: "zhongwanjun/AR-LSAT",
    ref: "41f78ca7be3e24602b694b9d6b78105fc0c8bfc6",
    paths: ["complete_lsat_data/val_lr.json", "complete_lsat_data/test_lr.json"],
    license: "MIT (repository; questions from published LSAT logical-reasoning sections)",
    mapping: "every question → reasoning (find the assumption, flaw, or what must be true of an argument)",
    role: "train",
    parse: (_p, text) =>
      (JSON.parse(text) as { context: string; question: string; answers: string[] }[]).map((q) => ({
        kind: "reasoning" as const,
        text: `${q.context}\n\n${q.question}\n${choices(q.answers)}`,
      })),
  },
  p3("cnn_dailymail_3_0_0", "Apache-2.0 (CNN/DailyMail)", {
    ...same("extraction", ["2_or_3_sentences", "news_card_view", "news_stock", "news_summary", "sum_in_brief", "tldr_summary", "write_an_outline"]),
    ...same("creative", ["generate_story", "spice_up_story"]),
  }, "summary/outline templates over a given article → extraction; “write a story from these highlights” → creative"),
  p3("duorc", "MIT (DuoRC)", {
    ...same("extraction", ["SelfRC_answer_question", "SelfRC_extract_answer", "SelfRC_question_answering", "SelfRC_title_generation", "SelfRC_movie_director", "SelfRC_decide_worth_it", "ParaphraseRC_answer_question", "ParaphraseRC_extract_answer", "ParaphraseRC_title_generation"]),
    ...same("creative", ["SelfRC_build_story_around_qa", "ParaphraseRC_build_story_around_qa"]),
  }, "questions about a given movie plot → extraction; “build a movie plot around this” → creative"),
  p3("quoref", "CC-BY-4.0 (Quoref)", same("extraction", ["Answer_Friend_Question", "Answer_Question_Given_Context", "Find_Answer", "Given_Context_Answer_Question", "Read_And_Extract_", "Guess_Title_For_Context", "What_Is_The_Answer"]), "every template (reading comprehension over a given passage) → extraction"),
  p3("adversarial_qa", "CC-BY-SA-3.0 (AdversarialQA)", same("extraction", ["dbert_answer_the_following_q", "dbert_based_on", "dbert_tell_what_it_is", "droberta_question_context_answer", "dbidaf_generate_question"]), "every template (answer from, or ask about, a given Wikipedia passage) → extraction"),
  p3("amazon_polarity", "Apache-2.0 (Amazon polarity)", same("extraction", ["Is_this_product_review_positive", "User_recommend_this_product", "convey_negative_or_positive_sentiment", "flattering_or_not", "negative_or_positive_tone", "would_you_buy"]), "sentiment of a given review → extraction"),
  p3("dbpedia_14", "CC-BY-SA-3.0 (DBpedia-14)", same("extraction", ["given_a_choice_of_categories_", "given_list_what_category_does_the_paragraph_belong_to", "pick_one_category_for_the_following_text"]), "classify a given paragraph → extraction"),
  p3("ropes", "CC-BY-4.0 (ROPES)", same("extraction", ["background_new_situation_answer", "given_background_situation", "plain_background_situation", "prompt_beginning", "read_background_situation"]), "answer from a given background text and situation → extraction"),
  p3("cosmos_qa", "CC-BY-4.0 (Cosmos QA)", same("extraction", ["context_answer_to_question", "context_description_question_text", "context_question_description_answer_text", "description_context_question_text", "no_prompt_text"]), "questions about a given short story → extraction"),
  p3("kilt_tasks_hotpotqa", "MIT (KILT) / CC-BY-SA-4.0 (HotpotQA)", same("chat", ["combining_facts", "complex_question", "final_exam", "formulate", "straighforward_qa"]), "closed-book trivia questions, no passage given → chat"),
  p3("commonsense_qa", "MIT (CommonsenseQA)", same("chat", ["answer_given_question_without_options", "answer_to_question", "most_suitable_answer", "question_answering"]), "everyday-knowledge questions → chat"),
  p3("common_gen", "MIT (CommonGen)", {
    ...same("creative", ["Example_prompt", "Given_concepts_type_1", "Given_concepts_type_2", "Put_together", "choice_in_concept_centric_sentence_generation", "random_task_template_prompt", "topic_to_sentence"]),
    ...same("extraction", ["sentence_to_concepts", "topics_from_the_sentence"]),
  }, "write a sentence from concepts → creative; concepts of a given sentence → extraction"),
  {
    name: "bbh",
    repo: "suzgunmirac/BIG-Bench-Hard",
    ref: "9ee07bd481feebf959a6b59d61ea57bdcf30964d",
    paths: Object.keys(BBH_KIND).map((t) => `bbh/${t}.json`),
    license: "MIT; carries BIG-bench's canary (“should never appear in training corpora”), so evaluation only",
    mapping: "logic tasks (deduction, shuffled objects, web of lies, navigate, dates, fallacies, …) → reasoning; multistep arithmetic, object counting → math; the language-judgement tasks are left out",
    role: "eval",
    parse: (path, text) => {
      const task = fileOf(path);
      const kind = BBH_KIND[task];
      if (!kind) return [];
      return (JSON.parse(text) as { examples: { input: string; target: string }[] }).examples.map((e) => ({ kind, text: e.input, answer: e.target, label: task }));
    },
  },
];
