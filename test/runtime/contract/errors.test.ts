import { z } from 'zod';
import { ValidationError, formatPath, joinPath, problemsFromZod } from '../../../runtime/src/contract';
import { InvalidPropsError } from '../../../infra/src/props-validator';
import { EnvironmentConfigError } from '../../../environments/load';
import { MemoryValidationError } from '../../../runtime/src/memory/errors';
import { TeamConfigError } from '../../../runtime/src/agents/errors';

describe('ValidationError', () => {
  it('carries a stable code and every problem, and says them all', () => {
    const error = new ValidationError('THING_INVALID', 'invalid thing', [
      { path: 'a.b', message: 'must be x' },
      { path: 'c[0]', message: 'must be y' },
    ]);
    expect(error).toMatchObject({ code: 'THING_INVALID', name: 'ValidationError', problems: [{ path: 'a.b' }, { path: 'c[0]' }] });
    expect(error.message).toBe('invalid thing:\n  - a.b: must be x\n  - c[0]: must be y');
  });

  it.each([
    ['the kit', new InvalidPropsError('stack/redis', [{ path: 'tier', message: 'bad' }]), 'INFRA_INVALID_PROPS', 'InvalidPropsError'],
    ['the environments', new EnvironmentConfigError('prod', [{ path: 'region', message: 'bad' }]), 'ENVIRONMENT_INVALID_CONFIG', 'EnvironmentConfigError'],
    ['memory', new MemoryValidationError([{ path: 'content', message: 'bad' }]), 'MEMORY_INVALID_ITEM', 'MemoryValidationError'],
    ['teams', new TeamConfigError([{ path: 'id', message: 'bad' }], 'teams/a.yaml'), 'TEAM_INVALID_CONFIG', 'TeamConfigError'],
  ])('is the one model of %s', (_area, error, code, name) => {
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code, name });
    expect(ValidationError.isValidationError(error)).toBe(true);
  });

  it('is recognised by shape too, as one thrown by a second copy of the package would be', () => {
    const foreign = Object.assign(new Error('x'), { code: 'X', subject: 'x', problems: [] });
    expect(ValidationError.isValidationError(foreign)).toBe(true);
    expect(ValidationError.isValidationError(new Error('x'))).toBe(false);
    expect(ValidationError.isValidationError(undefined)).toBe(false);
  });
});

describe('problemsFromZod', () => {
  const schema = z.strictObject({
    name: z.string().regex(/^[a-z]+$/, 'lowercase letters'),
    size: z.int().min(1),
    items: z.array(z.strictObject({ id: z.string() })),
  });
  const problems = (input: unknown, prefix?: string) => {
    const result = schema.safeParse(input);
    if (result.success) throw new Error('expected a failure');
    return problemsFromZod(result.error, prefix);
  };

  it('reports every issue, each at its path, in the words the schema gives', () => {
    expect(problems({ name: 'A', size: 0, items: [{ id: 'a' }, { id: 3 }] })).toEqual([
      { path: 'name', message: 'lowercase letters' },
      { path: 'size', message: 'Too small: expected number to be >=1' },
      { path: 'items[1].id', message: 'expected string, received number' },
    ]);
  });

  it('names a missing field as required, and each unknown field at its own path', () => {
    expect(problems({ size: 1, items: [{ id: 'a', colour: 'red' }], extra: 1, more: 2 })).toEqual([
      { path: 'name', message: 'required (expected string)' },
      { path: 'items[0].colour', message: 'unknown field' },
      { path: 'extra', message: 'unknown field' },
      { path: 'more', message: 'unknown field' },
    ]);
  });

  it('puts paths under a prefix (a variable, a file)', () => {
    expect(problems({ name: 'a', size: 1, items: {} }, 'ORCHESTRA_X')).toEqual([{ path: 'ORCHESTRA_X.items', message: 'expected array, received object' }]);
    expect(problems('text', 'ORCHESTRA_X')).toEqual([{ path: 'ORCHESTRA_X', message: 'expected object, received string' }]);
  });
});

describe('paths', () => {
  it('are dotted, with brackets for indexes, and (root) for the input itself', () => {
    expect(formatPath(['deployments', 1, 'provider'])).toBe('deployments[1].provider');
    expect(formatPath([])).toBe('(root)');
    expect(joinPath('agents[0].config', 'temperature')).toBe('agents[0].config.temperature');
    expect(joinPath('agents[0].config', '(root)')).toBe('agents[0].config');
    expect(joinPath('ORCHESTRA_API_KEYS', '[2]')).toBe('ORCHESTRA_API_KEYS[2]');
  });
});
