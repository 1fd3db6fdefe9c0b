// The Google provider schema the stacks are written against: hashicorp/google 6.50.0, the version
// @cdktf/provider-google 16.12.1 was generated from. `npm run validate` cannot check it: the Go
// module proxy does not serve v6.50.0 (environments/scripts/validate.sh), so it validates against a
// newer build, which accepts attributes 6.50.0 does not have. The package ships no schema JSON, so
// the schema is read back from the generated bindings: each resource's `synthesizeAttributes()`
// and the `…ToTerraform(struct)` functions it calls return object literals whose keys are exactly
// the schema's argument and block names. They are parsed with the TypeScript compiler API, never
// evaluated, so no binding code runs and tokens cannot hide a key.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import type { TerraformJson } from './synth';

/** One block of the schema: its arguments (leaves, maps included) and its nested blocks. */
export interface SchemaBlock {
  readonly attributes: ReadonlySet<string>;
  readonly blocks: Readonly<Record<string, SchemaBlock>>;
}

export type SchemaKind = 'resource' | 'data' | 'provider';

const packageDir = path.dirname(require.resolve('@cdktf/provider-google/package.json'));
const libDir = path.join(packageDir, 'lib');

/** The provider version the bindings were generated from, as the package declares it. */
export const BINDINGS_PROVIDER_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { cdktf: { provider: { version: string } } }
).cdktf.provider.version;

// Parsing all 1470 modules (164 MB) takes seconds; a stack uses a few dozen types, so each module
// is parsed on first use only and kept for the rest of the process.
const cache = new Map<string, SchemaBlock | undefined>();

/**
 * The schema of one Terraform type in the bindings' provider version, or undefined when the
 * provider has no such resource or data source. `provider` takes no type: it is the `google` block.
 */
export function schemaOf(kind: 'provider'): SchemaBlock;
export function schemaOf(kind: 'resource' | 'data', type: string): SchemaBlock | undefined;
export function schemaOf(kind: SchemaKind, type = 'google'): SchemaBlock | undefined {
  const key = `${kind}:${type}`;
  if (!cache.has(key)) cache.set(key, load(kind, type));
  return cache.get(key);
}

/**
 * The bindings lay out one module per type, named after it (google_cloud_run_v2_service ->
 * cloud-run-v2-service, data-google-cloud-run-v2-service): that names the file, and the module's
 * own `tfResourceType` confirms it.
 */
function moduleDir(kind: SchemaKind, type: string): string | undefined {
  if (kind === 'provider') return type === 'google' ? 'provider' : undefined;
  const match = /^google_([a-z0-9]+(?:_[a-z0-9]+)*)$/.exec(type);
  if (!match) return undefined;
  const name = match[1].replace(/_/g, '-');
  return kind === 'data' ? `data-google-${name}` : name;
}

function load(kind: SchemaKind, type: string): SchemaBlock | undefined {
  const dir = moduleDir(kind, type);
  // google_data_google_x would name the module of data source google_x.
  if (!dir || (kind === 'resource' && dir.startsWith('data-google-'))) return undefined;
  const main = path.join(libDir, dir, 'index.js');
  if (!fs.existsSync(main)) return undefined;
  const mainFile = parse(main);
  const structs: Structs = new Map();
  collectStructFunctions(mainFile, structs);
  // The largest modules move their struct functions into index-structs/*.js.
  const structsDir = path.join(libDir, dir, 'index-structs');
  if (fs.existsSync(structsDir)) {
    for (const f of fs.readdirSync(structsDir).filter((f) => f.endsWith('.js')).sort()) collectStructFunctions(parse(path.join(structsDir, f)), structs);
  }
  const { declaredType, attributes } = resourceClass(mainFile);
  if (declaredType !== type) throw new Error(`${main}: declares tfResourceType ${declaredType}, expected ${type}`);
  return blockFrom(attributes, mainFile, structs, new Map());
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
}

/** `function fooToTerraform(struct) { …; return { a: …, b: … }; }`, by name, with the file it is in. */
type Structs = Map<string, { literal: ts.ObjectLiteralExpression; file: ts.SourceFile }>;

function collectStructFunctions(file: ts.SourceFile, into: Structs): void {
  for (const statement of file.statements) {
    if (!ts.isFunctionDeclaration(statement) || !statement.name || !statement.body) continue;
    const name = statement.name.text;
    if (!name.endsWith('ToTerraform')) continue; // `…ToHclTerraform` mirror these for HCL output
    const literals = statement.body.statements.filter(
      (s): s is ts.ReturnStatement & { expression: ts.ObjectLiteralExpression } =>
        ts.isReturnStatement(s) && !!s.expression && ts.isObjectLiteralExpression(s.expression),
    );
    if (literals.length !== 1) throw new Error(`${file.fileName}: ${name} has ${literals.length} object-literal returns, expected 1`);
    if (into.has(name)) throw new Error(`${file.fileName}: ${name} defined twice`);
    into.set(name, { literal: literals[0].expression, file });
  }
}

/** The class that has `X.tfResourceType = "…"`, and the literal its synthesizeAttributes() returns. */
function resourceClass(file: ts.SourceFile): { declaredType: string; attributes: ts.ObjectLiteralExpression } {
  let className: string | undefined;
  let declaredType: string | undefined;
  for (const statement of file.statements) {
    if (!ts.isExpressionStatement(statement) || !ts.isBinaryExpression(statement.expression)) continue;
    const { left, operatorToken, right } = statement.expression;
    if (operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isPropertyAccessExpression(left) || left.name.text !== 'tfResourceType') continue;
    if (!ts.isIdentifier(left.expression) || !ts.isStringLiteral(right)) continue;
    if (className) throw new Error(`${file.fileName}: more than one tfResourceType`);
    className = left.expression.text;
    declaredType = right.text;
  }
  if (!className || !declaredType) throw new Error(`${file.fileName}: no tfResourceType`);
  const cls = file.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === className);
  const method = cls?.members.find(
    (m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === 'synthesizeAttributes',
  );
  const returned = method?.body?.statements.find(ts.isReturnStatement)?.expression;
  if (!returned || !ts.isObjectLiteralExpression(returned)) throw new Error(`${file.fileName}: ${className}.synthesizeAttributes() does not return an object literal`);
  return { declaredType, attributes: returned };
}

/**
 * Each key's value says what it is: `cdktf.stringToTerraform(…)`, `cdktf.hashMapper(…)(…)` or
 * `cdktf.listMapper(cdktf.xToTerraform, false)(…)` is an argument; a call of a struct function,
 * directly or through `cdktf.listMapper(fn, true)`, is a nested block (or, for the plugin-framework
 * resources, a nested attribute, which takes keys the same way). Any other shape throws, so a
 * change in the generator fails loudly instead of turning blocks into leaves.
 */
function blockFrom(
  literal: ts.ObjectLiteralExpression,
  file: ts.SourceFile,
  structs: Structs,
  built: Map<string, SchemaBlock>,
): SchemaBlock {
  const attributes = new Set<string>();
  const blocks: Record<string, SchemaBlock> = {};
  for (const property of literal.properties) {
    if (!ts.isPropertyAssignment(property) || !(ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) {
      throw new Error(`${file.fileName}: unexpected property ${property.getText(file)}`);
    }
    const key = property.name.text;
    const struct = structFunctionOf(property.initializer, file);
    if (!struct) {
      attributes.add(key);
      continue;
    }
    let block = built.get(struct);
    if (!block) {
      const body = structs.get(struct);
      if (!body) throw new Error(`${file.fileName}: ${key} maps through ${struct}, which is not defined in its module`);
      block = blockFrom(body.literal, body.file, structs, built);
      built.set(struct, block);
    }
    blocks[key] = block;
  }
  return { attributes, blocks };
}

/** The struct function a value is mapped through, or undefined for a plain argument. */
function structFunctionOf(value: ts.Expression, file: ts.SourceFile): string | undefined {
  const fail = (): never => {
    throw new Error(`${file.fileName}: unrecognised binding shape ${value.getText(file)}`);
  };
  if (!ts.isCallExpression(value)) return fail();
  const callee = value.expression;
  if (ts.isCallExpression(callee)) {
    const mapper = functionName(callee.expression);
    if (mapper?.cdktf && mapper.name === 'hashMapper') {
      const element = functionName(callee.arguments[0]);
      // A map of blocks does not exist in Terraform's schema; its keys would be free.
      return element?.cdktf ? undefined : fail();
    }
    if (mapper?.cdktf && mapper.name === 'listMapper') {
      const element = functionName(callee.arguments[0]);
      if (!element) return fail();
      return element.cdktf ? undefined : element.name;
    }
    return fail();
  }
  const fn = functionName(callee);
  if (!fn) return fail();
  return fn.cdktf ? undefined : fn.name;
}

/** `fooToTerraform`, `structs0_1.fooToTerraform`, `(0, index_structs_1.fooToTerraform)` or `cdktf.x`. */
function functionName(expression: ts.Expression | undefined): { name: string; cdktf: boolean } | undefined {
  if (!expression) return undefined;
  if (ts.isParenthesizedExpression(expression)) return functionName(expression.expression);
  if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.CommaToken) return functionName(expression.right);
  if (ts.isIdentifier(expression)) return { name: expression.text, cdktf: false };
  if (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression)) {
    return { name: expression.name.text, cdktf: expression.expression.text === 'cdktf' };
  }
  return undefined;
}

// Terraform's own arguments, valid on every resource whatever the provider's schema says.
const RESOURCE_META = new Set(['depends_on', 'count', 'for_each', 'provider', 'lifecycle', 'provisioner', 'connection']);
const LIFECYCLE = new Set(['create_before_destroy', 'prevent_destroy', 'ignore_changes', 'replace_triggered_by', 'precondition', 'postcondition']);
const CDKTF_METADATA = '//';

export interface SchemaFinding {
  /** Dotted, without list indexes: `google_cloud_run_v2_service.runtime.template.containers.foo`. */
  readonly path: string;
  readonly problem: 'unknown type' | 'unknown key';
}

/**
 * Every key of the stack's resources, data sources and `google` provider blocks that the
 * bindings' provider version does not know, each path once. Argument values are not entered:
 * a map's keys are the user's.
 */
export function unknownKeys(json: TerraformJson & { data?: TerraformJson['resource'] }): SchemaFinding[] {
  const findings = new Map<string, SchemaFinding>();
  const report = (at: string, problem: SchemaFinding['problem']) => findings.set(at, { path: at, problem });

  const sections: ['resource' | 'data', string, TerraformJson['resource']][] = [
    ['resource', '', json.resource],
    ['data', 'data.', json.data],
  ];
  for (const [kind, prefix, section] of sections) {
    for (const [type, instances] of Object.entries(section ?? {})) {
      const schema = schemaOf(kind, type);
      for (const [name, body] of Object.entries(instances)) {
        const at = `${prefix}${type}.${name}`;
        if (!schema) report(at, 'unknown type');
        else walk(schema, body, at, report, true);
      }
    }
  }
  for (const [name, configs] of Object.entries(json.provider ?? {})) {
    const at = `provider.${name}`;
    if (name !== 'google') {
      report(at, 'unknown type');
      continue;
    }
    for (const config of configs) walk(schemaOf('provider'), config, at, report, false);
  }
  return [...findings.values()];
}

function walk(
  schema: SchemaBlock,
  body: unknown,
  at: string,
  report: (at: string, problem: SchemaFinding['problem']) => void,
  topLevel: boolean,
): void {
  // A block can be given whole as a token (`${…}`) or an override's scalar; nothing to check inside.
  if (body === null || typeof body !== 'object') return;
  if (Array.isArray(body)) {
    for (const element of body) walk(schema, element, at, report, topLevel);
    return;
  }
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const here = `${at}.${key}`;
    if (topLevel && key === CDKTF_METADATA) continue;
    if (topLevel && key === 'lifecycle') {
      for (const lifecycleKey of Object.keys(isObject(value) ? value : {})) if (!LIFECYCLE.has(lifecycleKey)) report(`${here}.${lifecycleKey}`, 'unknown key');
      continue;
    }
    if (topLevel && RESOURCE_META.has(key)) continue;
    if (schema.attributes.has(key)) continue;
    if (key in schema.blocks) {
      walk(schema.blocks[key], value, here, report, false);
      continue;
    }
    // cdktf writes a dynamic block as `dynamic: { <block>: { for_each, iterator, content } }`.
    if (key === 'dynamic' && isObject(value)) {
      for (const [blockName, spec] of Object.entries(value)) {
        if (!(blockName in schema.blocks)) report(`${here}.${blockName}`, 'unknown key');
        else if (isObject(spec)) walk(schema.blocks[blockName], spec.content, `${here}.${blockName}.content`, report, false);
      }
      continue;
    }
    report(here, 'unknown key');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
