import { spanUsageOf, tokenCount } from './span-usage';

describe('tokenCount', () => {
  it.each([
    [12, 12],
    [12.9, 12],
    ['12', 12],
    [' 12.0 ', 12],
    ['1e3', 1000],
    [0, 0],
    [2_147_483_647, 2_147_483_647],
  ])('reads %j as %j', (value, expected) => {
    expect(tokenCount(value)).toBe(expected);
  });

  it.each([null, undefined, true, '', 'twelve', 'NaN', 'Infinity', -1, 2_147_483_648, {}, [3]])(
    'reads %j as no count',
    (value) => {
      expect(tokenCount(value)).toBeNull();
    },
  );
});

describe('spanUsageOf', () => {
  it("reads Langflow's own keys first", () => {
    expect(
      spanUsageOf({
        model_name: 'gpt-4o',
        prompt_tokens: 10,
        completion_tokens: '20',
        total_tokens: 31,
        'gen_ai.usage.input_tokens': 99,
        'gen_ai.request.model': 'other',
      }),
    ).toEqual({ modelName: 'gpt-4o', promptTokens: 10, completionTokens: 20, totalTokens: 31 });
  });

  it('reads the GenAI conventions, the total being prompt + completion', () => {
    expect(
      spanUsageOf({
        'gen_ai.response.model': 'gpt-4o-mini-2024',
        'gen_ai.usage.input_tokens': 7,
        'gen_ai.usage.output_tokens': 8,
      }),
    ).toEqual({
      modelName: 'gpt-4o-mini-2024',
      promptTokens: 7,
      completionTokens: 8,
      totalTokens: 15,
    });
  });

  it("reads OpenInference's names", () => {
    expect(
      spanUsageOf({
        'llm.model_name': 'claude',
        'llm.token_count.prompt': 1,
        'llm.token_count.completion': 2,
        'llm.token_count.total': 4,
      }),
    ).toEqual({ modelName: 'claude', promptTokens: 1, completionTokens: 2, totalTokens: 4 });
  });

  it('gives nothing for spans without usage, and skips unreadable values', () => {
    expect(spanUsageOf({ model_name: '', total_tokens: 'many', other: 1 })).toEqual({
      modelName: null,
      promptTokens: null,
      completionTokens: null,
      totalTokens: null,
    });
    expect(spanUsageOf({ total_tokens: 'many', 'llm.usage.total_tokens': 5 }).totalTokens).toBe(5);
  });
});
