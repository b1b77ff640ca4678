/**
 * Which chat format a model uses, and whether it can call tools. node-llama-cpp picks a "chat
 * wrapper" for every model: a specialised one (Llama 3.1, Qwen, Mistral…) when the model's Jinja
 * template renders the same as one it knows, else a wrapper around the Jinja template itself.
 */
import { ChatWrapper, JinjaTemplateChatWrapper, resolveChatWrapper, type GgufFileInfo } from "node-llama-cpp";

/**
 * The tools rule: a model supports tools when its chat wrapper has a function-call syntax of its own.
 *
 * Every wrapper *can* render functions: those without a syntax of their own fall back to
 * node-llama-cpp's generic one (`ChatWrapper.defaultSettings.functions`), which the model never saw
 * in training, so calls come out unreliable. A Jinja wrapper counts when node-llama-cpp extracted the
 * call syntax from the template (`usingJinjaFunctionCallTemplate`, i.e. the template renders `tools`
 * and `tool_calls`). Measured on 3.22.1, this says yes for DeepSeek, Qwen, Llama 3/3.1/3.2,
 * Mistral, Functionary, Gemma 4, Harmony (gpt-oss), Seed and Muse; no for General, Llama 2, Alpaca,
 * ChatML, Falcon and Gemma.
 */
export function wrapperSupportsTools(wrapper: ChatWrapper): boolean {
  if (wrapper instanceof JinjaTemplateChatWrapper) return wrapper.usingJinjaFunctionCallTemplate;
  return !sameFunctionSyntax(wrapper.settings.functions, ChatWrapper.defaultSettings.functions);
}

function sameFunctionSyntax(a: ChatWrapper["settings"]["functions"], b: ChatWrapper["settings"]["functions"]): boolean {
  // The settings hold strings and LlamaText values; LlamaText serialises to JSON faithfully.
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The wrapper node-llama-cpp would use for a file, from its metadata alone (no weights loaded).
 * Costs a few hundred ms for a model with a Jinja template (it test-renders candidate formats), so
 * callers cache it per file version.
 */
export function wrapperForFile(fileInfo: GgufFileInfo, filename: string): ChatWrapper | null {
  return resolveChatWrapper({ fileInfo, filename, warningLogs: false });
}
