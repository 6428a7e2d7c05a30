/**
 * Schemas built once per workflow thread instead of once per workflow.
 *
 * The worker's workflow sandbox evaluates every module a workflow imports again for each
 * workflow, so each tenant of a fleet rebuilt every schema of its input (zod objects with
 * their checks and refinements) before its first step. This module is shared by every
 * workflow of the thread (the bundle preloads it, see src/workflows/shared-libraries.ts),
 * so the first workflow to evaluate a schema module builds its schemas and the others
 * take them from here. In Node, where a module is evaluated once anyway, this changes nothing.
 *
 * Sharing is safe because a schema is a function of the code alone: it holds no data of
 * the workflow that built it, and what zod caches on it while parsing is the same
 * whichever workflow parses. Preloading the schema modules themselves is not possible:
 * the SDK freezes a preloaded module's exports, and zod binds a schema's methods onto
 * the schema on first use.
 */
const built = new Map<string, unknown>();

/**
 * The builder for one module's schemas: `const schema = schemasOf('domain/grammar')`,
 * then `export const XSchema = schema('XSchema', () => z...)`. Module names are unique
 * (test/unit/shared-schemas.test.ts); a name used twice in one module is refused.
 */
export function schemasOf(module: string): <T>(name: string, build: () => T) => T {
  const names = new Set<string>();
  return <T>(name: string, build: () => T): T => {
    if (names.has(name)) throw new Error(`${module} builds two schemas named ${name}`);
    names.add(name);
    const key = `${module}:${name}`;
    if (built.has(key)) return built.get(key) as T;
    const schema = build();
    built.set(key, schema);
    return schema;
  };
}
