import { describe, expect, it } from 'vitest';
import { createToolContext, type ToolContext } from './types.js';

describe('createToolContext', () => {
  it('holds only plain data and a signal, frozen, whatever the caller passes in', () => {
    const signal = new AbortController().signal;
    const smuggled = {
      signal,
      idempotencyKey: 'k',
      actorId: 'a',
      sessionId: 's',
      registry: {},
      db: {},
    } as ToolContext;
    const context = createToolContext(smuggled);
    expect(Object.keys(context).sort()).toEqual(['actorId', 'idempotencyKey', 'sessionId', 'signal']);
    expect(context.signal).toBe(signal);
    for (const key of ['actorId', 'idempotencyKey', 'sessionId'] as const)
      expect(typeof context[key]).toBe('string');
    expect(Object.isFrozen(context)).toBe(true);
    expect(() => {
      (context as { actorId: string }).actorId = 'someone-else';
    }).toThrow(TypeError);
  });
});
