/**
 * Libraries every workflow uses, evaluated once per workflow thread instead of once per
 * workflow. The worker's reusable V8 context gives each workflow its own copy of every
 * module it imports, so every tenant upgrade built zod and the Ed25519 tables again before
 * its first step and kept that copy for as long as it was cached. The bundler's
 * `preloadModules` (src/worker/bundle.ts) loads this module before any workflow exists and
 * shares what it imports: a 1,000-tenant fleet (bench:scale) then took 66.6 s instead of
 * 80.4 s, 48 s of worker CPU instead of 70 s, and 321 MiB instead of 432 MiB.
 *
 * Only pure libraries belong here: the SDK deep-freezes what a preloaded module exports
 * and shares it between workflows, so a module that keeps state per workflow would leak
 * it. Not semver: frozen, its global regular expressions cannot reset their position and
 * `satisfies('0.2.1', '>=0.1.0 <0.3.0')` answers false. Not our own schema modules: zod
 * binds a schema's methods onto it on first use, which a frozen schema refuses; they
 * share their schemas through src/domain/shared-schemas.ts instead, which is preloaded
 * here.
 */
import { z } from 'zod';

// zod writes its default locale and memoizer into its config on the first schema it
// builds, and decides once whether it may compile parsers; after the freeze those writes
// would fail inside a workflow, so they happen here, before it.
z.config(z.locales.en());
z.config({ memoizer: z.core.memoizer() });
void z.core.util.allowsEval.value;

export { z };
// The registry of schemas built once per thread (src/domain/shared-schemas.ts).
export { schemasOf } from '../domain/shared-schemas.js';
export { ed25519 } from '@noble/curves/ed25519.js';
export { sha256, sha512 } from '@noble/hashes/sha2.js';
