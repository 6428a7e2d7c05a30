import { z } from 'zod';

/**
 * Where a chart comes from: an OCI reference (oci://...), a repository chart ("opencti/opencti",
 * with the repository to add), or a local path. `helm upgrade` and `helm template` take the
 * same reference.
 */
export const ChartSourceSchema = z
  .object({
    ref: z.string().min(1).describe('oci://registry/charts/name, repo/name, or a local chart path'),
    repository: z
      .object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a repository name is lowercase letters, digits and dashes'), url: z.url() })
      .strict()
      .optional()
      .describe('added with `helm repo add` and refreshed with `helm repo update` before use'),
  })
  .strict();

export type ChartSource = z.output<typeof ChartSourceSchema>;

/**
 * Values for helm: files on the worker, inline values, and dotted-path pairs like helm's
 * --set ("migration.hook": false stays a boolean, "image.tag": "0.10" stays a string). Inline
 * values and pairs reach helm as a private values file, never as argv.
 */
export const ValuesSchema = z
  .object({
    files: z.array(z.string().min(1)).default([]),
    inline: z.record(z.string(), z.unknown()).optional(),
    set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
  })
  .strict()
  .default({ files: [], set: {} });

export type Values = z.output<typeof ValuesSchema>;
