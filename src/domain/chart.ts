import { z } from 'zod';
import { ChartRefSchema, FORBIDDEN_KEYS, HttpUrlSchema, plainRecord, WorkerPathSchema } from './grammar.js';
import { schemasOf } from './shared-schemas.js';

const schema = schemasOf('domain/chart');

/**
 * Where a chart comes from: an OCI reference (oci://...), a repository chart ("opencti/opencti",
 * with the repository to add), or a local path. `helm upgrade` and `helm template` take the
 * same reference.
 */
export const ChartSourceSchema = schema('ChartSourceSchema', () =>
  z
    .object({
      ref: ChartRefSchema.describe('oci://registry/charts/name, repo/name, or a local chart path'),
      repository: z
        .object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a repository name is lowercase letters, digits and dashes'), url: HttpUrlSchema })
        .strict()
        .optional()
        .describe('added with `helm repo add` (which fetches its index) before every chart read; the runbook step also runs `helm repo update`'),
    })
    .strict(),
);

export type ChartSource = z.output<typeof ChartSourceSchema>;

/** A --set style key (`image.tag`, `podAnnotations.prometheus\\.io/scrape`): written into a values file, never argv. */
const SetKeySchema = schema('SetKeySchema', () =>
  z
    .string()
    .min(1, 'a values key path such as image.tag')
    .max(256, 'a values key path has at most 256 characters')
    .refine((key) => !/[\u0000-\u001f\u007f]/.test(key), { message: 'a values key path has no control characters or newlines' })
    .refine((key) => !key.split(/(?<!\\)\./).some((segment) => FORBIDDEN_KEYS.has(segment) || segment === ''), {
      message: 'a values key path has no empty segment and does not name __proto__, constructor or prototype',
    }),
);

/**
 * Values for helm: files on the worker, inline values, and dotted-path pairs like helm's
 * --set ("migration.hook": false stays a boolean, "image.tag": "0.10" stays a string). Inline
 * values and pairs reach helm as a private values file, never as argv.
 */
export const ValuesSchema = schema('ValuesSchema', () =>
  z
    .object({
      files: z.array(WorkerPathSchema('a values file on the worker')).default([]),
      inline: plainRecord(z.string(), z.unknown()).optional(),
      set: plainRecord(SetKeySchema, z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
    })
    .strict()
    .default({ files: [], set: {} }),
);

export type Values = z.output<typeof ValuesSchema>;
