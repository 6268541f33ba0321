/**
 * The escape hatch: components written in TypeScript and referenced from a manifest by name. A connector
 * folder may hold `components.ts`, which registers its components when the connector loads.
 */

export type ComponentKind = 'transform' | 'config_normalizer';
// Factories receive a context object specific to their kind (see transforms.ts and declarative-source.ts).
export type ComponentFactory = (ctx: never) => unknown;

const components = new Map<string, ComponentFactory>();

/** Register a component under `name` (conventionally `<connector>.<component>`). */
export function registerComponent<C>(kind: ComponentKind, name: string, factory: (ctx: C) => unknown): void {
  components.set(`${kind}:${name}`, factory as ComponentFactory);
}

export function getComponent(kind: ComponentKind, name: string): ((ctx: unknown) => unknown) | undefined {
  return components.get(`${kind}:${name}`) as ((ctx: unknown) => unknown) | undefined;
}
