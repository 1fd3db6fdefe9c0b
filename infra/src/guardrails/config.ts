import { TerraformDataSource, TerraformElement, TerraformProvider, TerraformResource, TerraformStack, Token, Tokenization } from 'cdktf';

/* Reading what a resource will synthesize to, before tokens are resolved. */

export type Attributes = Record<string, any>;

/** The resource's Terraform attributes (overrides and meta-arguments such as lifecycle included). */
export function resourceAttributes(resource: TerraformResource): Attributes {
  const json = resource.toTerraform() as { resource?: Record<string, Record<string, Attributes>> };
  return json.resource?.[resource.terraformResourceType]?.[resource.friendlyUniqueId] ?? {};
}

export function dataSourceAttributes(data: TerraformDataSource): Attributes {
  const json = data.toTerraform() as { data?: Record<string, Record<string, Attributes>> };
  return json.data?.[data.terraformResourceType]?.[data.friendlyUniqueId] ?? {};
}

export function providerAttributes(provider: TerraformProvider): Attributes {
  const json = provider.toTerraform() as { provider?: Record<string, Attributes[]> };
  return json.provider?.[provider.terraformResourceType]?.[0] ?? {};
}

/** True for a value only known at deploy (a token, or a raw `${…}` expression written by an override). */
export function isReference(value: unknown): boolean {
  return Token.isUnresolved(value) || (typeof value === 'string' && /^\$\{[\s\S]*\}$/.test(value));
}

/** True when `value` is a reference as a whole: no literal text around or between its tokens. */
export function isWholeReference(value: unknown): boolean {
  if (typeof value !== 'string') return Token.isUnresolved(value);
  if (/^\$\{[\s\S]*\}$/.test(value) && !Token.isUnresolved(value)) return true;
  const fragments = Tokenization.reverseString(value);
  return fragments.tokens.length > 0 && fragments.literals.every((l) => (l as unknown) === '');
}

/** A block or list of blocks as a list; a reference (unknown until deploy) as an empty one. */
export function asList(value: unknown): any[] {
  if (value === undefined || value === null || Token.isUnresolved(value)) return [];
  return Array.isArray(value) ? value : [value];
}

/** A value for a message. */
export function show(value: unknown): string {
  if (value === undefined) return 'unset';
  if (isReference(value)) return 'a reference (not a literal)';
  return JSON.stringify(value);
}

/** The provider a resource is configured with: its own, else the stack's default (unaliased) one. */
const defaultProviders = new WeakMap<TerraformStack, Map<string, TerraformProvider | undefined>>();
export function providerOf(element: TerraformResource): TerraformProvider | undefined {
  if (element.provider) return element.provider;
  const name = element.terraformGeneratorMetadata?.providerName ?? element.terraformResourceType.split('_')[0];
  const stack = TerraformStack.of(element);
  let byName = defaultProviders.get(stack);
  if (!byName) defaultProviders.set(stack, (byName = new Map()));
  if (!byName.has(name)) {
    const found = stack.node
      .findAll()
      .find((c): c is TerraformProvider => TerraformProvider.isTerraformProvider(c) && c.terraformResourceType === name && !c.alias);
    byName.set(name, found);
  }
  return byName.get(name);
}

export function resourceType(element: TerraformElement): string {
  return (element as TerraformResource).terraformResourceType ?? element.constructor.name;
}
