import { describe, expect, it } from "vitest";
import { ChatMLChatWrapper, GeneralChatWrapper, JinjaTemplateChatWrapper, Llama3_1ChatWrapper, QwenChatWrapper } from "node-llama-cpp";
import { wrapperSupportsTools } from "./chat-wrapper.js";

const plainTemplate =
  "{%- for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ 'assistant: ' }}{%- endif %}";
const toolsTemplate =
  "{%- if tools %}{{ '<tools>' + (tools | tojson) + '</tools>\\n' }}{%- endif %}{%- for m in messages %}" +
  "{%- if m.role == 'assistant' and m.tool_calls %}{%- for c in m.tool_calls %}{{ '<call>' + c.function.name + ' ' + (c.function.arguments | tojson) + '</call>' }}{%- endfor %}" +
  "{%- elif m.role == 'tool' %}{{ '<result>' + m.content + '</result>\\n' }}{%- else %}{{ m.role + ': ' + m.content + '\\n' }}{%- endif %}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{ 'assistant: ' }}{%- endif %}";

describe("wrapperSupportsTools", () => {
  it("is true for wrappers with a function-call syntax of their own", () => {
    expect(wrapperSupportsTools(new Llama3_1ChatWrapper())).toBe(true);
    expect(wrapperSupportsTools(new QwenChatWrapper())).toBe(true);
  });
  it("is false for wrappers that fall back to node-llama-cpp's generic syntax", () => {
    expect(wrapperSupportsTools(new ChatMLChatWrapper())).toBe(false);
    expect(wrapperSupportsTools(new GeneralChatWrapper())).toBe(false);
  });
  it("follows a Jinja template: true only when it renders tools and tool calls", () => {
    expect(wrapperSupportsTools(new JinjaTemplateChatWrapper({ template: plainTemplate }))).toBe(false);
    expect(wrapperSupportsTools(new JinjaTemplateChatWrapper({ template: toolsTemplate }))).toBe(true);
  });
});
